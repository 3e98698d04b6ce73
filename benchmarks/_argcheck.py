"""Check a benchmark's command line without running the benchmark.

Usage::

    python benchmarks/_argcheck.py benchmarks/SCRIPT.py ARGS...

SCRIPT runs as ``__main__`` with ARGS, its imports included, until its argument parser returns
for the first time. Then this helper prints the parsed options and exits 0, or, if the parser
left options it does not know (scripts that parse with ``parse_known_args`` would otherwise
ignore a misspelt flag), names them and exits 2. argparse's own errors (an unknown option, a
value of the wrong type, a choice not offered) exit 2 as usual. Nested parses (sub-commands)
are let through; only the outermost one ends the run.

``benchmarks/device_session.sh`` uses it in its smoke mode to check, on a machine without a GPU,
the exact command lines of the stages that need one.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

_original = argparse.ArgumentParser.parse_known_args
_depth = [0]


def _checked(self, args=None, namespace=None):
    _depth[0] += 1
    try:
        parsed, extras = _original(self, args, namespace)
    finally:
        _depth[0] -= 1
    if _depth[0]:
        return parsed, extras
    script = sys.argv[0]
    if extras:
        print(f"argcheck: {script}: unknown arguments {extras}", file=sys.stderr)
        raise SystemExit(2)
    print(f"argcheck: {script}: ok {vars(parsed)}", flush=True)
    raise SystemExit(0)


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    script = Path(sys.argv[1])
    if not script.is_file():
        raise SystemExit(f"argcheck: no such script: {script}")
    sys.argv = [str(script), *sys.argv[2:]]
    sys.path[0] = str(script.resolve().parent)
    argparse.ArgumentParser.parse_known_args = _checked  # type: ignore[method-assign]
    runpy.run_path(str(script), run_name="__main__")
    print(f"argcheck: {script}: the script returned without parsing any arguments", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    main()
