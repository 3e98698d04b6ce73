"""Helpers shared by the benchmark scripts: timing, machine description, RESULTS.md."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

# COOC_RESULTS points the sections elsewhere (the device session's smoke mode keeps RESULTS.md untouched).
RESULTS = Path(os.environ.get("COOC_RESULTS") or Path(__file__).resolve().parent / "RESULTS.md")


def machine() -> str:
    """One line naming the machine: CPU model, cores, memory, GPU if any."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        mem = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    gpu = ""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            gpu = ", GPU " + out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired):
        pass
    load = ""
    try:
        load = f", load avg {os.getloadavg()[0]:.1f}"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{_physical_cores()}{mem}{gpu}{load}"


def _physical_cores() -> str:
    """' (N physical cores)' when the CPUs the system shows share cores (hyper-threads), else ''.

    A parallel speed-up over the logical CPUs is bounded by the physical cores for work that
    keeps a core's execution units busy; /proc/cpuinfo names each CPU's (package, core)."""
    cores, cpu_count = set(), 0
    package = core = None
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                name = name.strip()
                if name == "processor":
                    cpu_count += 1
                elif name == "physical id":
                    package = value.strip()
                elif name == "core id":
                    core = value.strip()
                    cores.add((package, core))
    except OSError:
        return ""
    if not cores or len(cores) >= cpu_count:
        return ""
    return f" ({len(cores)} physical cores)"


def timeit(fn: Callable[[], object], repeat: int = 5, warmup: int = 1, sync: Callable[[], None] | None = None):
    """Run ``fn`` ``warmup`` times, then ``repeat`` times; return (median, min, max) seconds and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
        if sync:
            sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), result


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    def fmt(x: object) -> str:
        if isinstance(x, float):
            return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"
        if isinstance(x, int):
            return f"{x:,}"
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def append_results(title: str, body: str, path: Path = RESULTS) -> None:
    """Append a dated section with the machine line to RESULTS.md (and print it)."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = f"\n## {title} ({stamp})\n\nMachine: {machine()}\n\n{body}\n"
    print(section)
    if not path.exists():
        path.write_text(
            "# Benchmark results\n\nEach section is appended by a script in `benchmarks/`; the newest is last.\n"
        )
    with open(path, "a") as fh:
        fh.write(section)
