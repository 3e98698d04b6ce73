"""Progress bars: off a terminal, the plain lines a long job writes to its log (``log_every``)."""

from __future__ import annotations

import pytest

from cooc._core import progress as progress_module
from cooc._core.progress import ProgressBar


@pytest.fixture
def clock(monkeypatch):
    """A fake ``time.perf_counter`` for the progress module: ``clock[0]`` seconds."""
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: now[0])
    return now


def lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


def test_off_a_terminal_a_line_at_most_every_log_every_seconds_and_one_at_close(capsys, clock):
    bar = ProgressBar("training", total=10, unit="steps", log_every=60)
    for _ in range(4):  # 30 s a step: a line after steps 2 and 4
        clock[0] += 30
        bar.update(1)
    bar.set_description("training: loss 0.5")
    clock[0] += 30
    bar.update(1)
    bar.close()
    bar.close()  # a second close writes nothing more
    assert lines(capsys) == [
        "training: 2/10 steps, 1m00s elapsed, about 4m00s left",
        "training: 4/10 steps, 2m00s elapsed, about 3m00s left",
        "training: loss 0.5: 5/10 steps, 2m30s elapsed, about 2m30s left",
    ]


def test_the_time_left_of_a_resumed_job_counts_only_what_this_run_did(capsys, clock):
    with ProgressBar("ensemble", total=100, unit="steps", log_every=0, completed=60) as bar:
        clock[0] += 10
        bar.update(10)  # 10 steps in 10 s: 30 left take 30 s (not 30 / 70 * 10)
    first, last = lines(capsys)
    assert first == "ensemble: 70/100 steps, 10s elapsed, about 30s left"
    assert last == first  # the line at close: nothing moved since


def test_rates_and_a_job_without_a_total(capsys, clock):
    with ProgressBar("reading", unit="docs", log_every=0, rates=("tokens",)) as bar:
        clock[0] += 2
        bar.update(3, tokens=4000)
    assert lines(capsys)[0] == "reading: 3 docs, 2s elapsed, 4.0k tokens (2.0k/s)"


@pytest.mark.parametrize("kwargs", [dict(enabled=False, log_every=0), dict(log_every=None)])
def test_no_lines_when_disabled_or_not_asked(capsys, clock, kwargs):
    with ProgressBar("quiet", total=5, **kwargs) as bar:
        clock[0] += 3600
        bar.update(5)
    assert lines(capsys) == []


def test_hours_minutes_and_seconds():
    assert [progress_module._clock(s) for s in (0, 59.4, 61, 3599, 3600, 7325)] == [
        "0s",
        "59s",
        "1m01s",
        "59m59s",
        "1h00m",
        "2h02m",
    ]
