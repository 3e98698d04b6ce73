"""mypy as a ratchet: zero errors in the typed rooms, and never more errors than recorded elsewhere.

Runs mypy over the package (settings in pyproject.toml), counts errors per file and compares
them with .ci/mypy-baseline.json. It fails when a file in a typed room has any error, or when
any other file has more errors than its recorded count. When a file has fewer, it says so:
lower the count with ``python .ci/mypy_ratchet.py --update`` so it can never grow back.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".ci" / "mypy-baseline.json"
#: Rooms that must stay free of mypy errors.
TYPED = ("cooc/_core/", "cooc/count/", "cooc/cooccurrence/", "cooc/spectral/", "cooc/embedding.py")


def errors_per_file() -> tuple[Counter[str], str]:
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    counts: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        match = re.match(r"^(cooc/[^:]+\.py):\d+: error:", line)
        if match:
            counts[match.group(1)] += 1
    if run.returncode not in (0, 1) or (run.returncode == 1 and not counts):
        raise SystemExit(f"mypy did not run:\n{run.stdout}\n{run.stderr}")
    return counts, run.stdout


def main() -> int:
    counts, report = errors_per_file()
    if "--update" in sys.argv:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\n")
        print(f"mypy baseline: {sum(counts.values())} errors in {len(counts)} files written to {BASELINE.name}")
        return 0
    baseline = json.loads(BASELINE.read_text())
    typed = {f: n for f, n in counts.items() if f.startswith(TYPED)}
    grown = {f: (n, baseline.get(f, 0)) for f, n in counts.items() if n > baseline.get(f, 0) and f not in typed}
    shrunk = {f: (counts.get(f, 0), n) for f, n in baseline.items() if counts.get(f, 0) < n}
    for path in sorted(set(typed) | set(grown)):
        print("\n".join(line for line in report.splitlines() if line.startswith(path + ":")))
    if shrunk:
        print(
            f"mypy: fewer errors than recorded in {len(shrunk)} files; lower the baseline: "
            "python .ci/mypy_ratchet.py --update"
        )
    if typed or grown:
        print(f"mypy: {sum(typed.values())} errors in typed rooms, {len(grown)} files with more errors than recorded")
        return 1
    print(f"mypy: typed rooms clean; {sum(counts.values())} errors elsewhere, none new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
