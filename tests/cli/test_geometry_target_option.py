"""`cooc geometry symmetry|places --target`: an unknown target is refused always, and --target without --cooc
(where it would have no effect) is refused instead of silently ignored."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from cooc.cli import app

runner = CliRunner()
UNKNOWN = (
    r"error: target: parameter 'target' must be one of 'p', 'm', 'logm', 'pmi', 'ppmi', 'sppmi', 'mstar', "
    r"got 'no-such-kind'\.\n"
)
WITHOUT_COOC = (
    r"error: --target chooses the target of --cooc's block; without --cooc the kernel is fitted to the "
    r"embedding's Gram matrix, so pass --cooc FILE or leave --target out\.\n"
)


def _geometry(*args):
    return runner.invoke(app, ["geometry", *map(str, args)])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--target", "no-such-kind"], UNKNOWN),
        (["--target", "logm"], WITHOUT_COOC),
        (["--target", "mstar"], WITHOUT_COOC),  # the default named: still without effect
        (["--target", "no-such-kind", "--cooc", "counts.npz"], UNKNOWN),
    ],
)
def test_symmetry_target_is_checked(months, extra, message):
    extra = [str(months / e) if e.endswith(".npz") else e for e in extra]
    res = _geometry("symmetry", months / "emb", "--out", months / "figs", *extra)
    assert res.exit_code == 1, res.output
    assert re.fullmatch(message, res.output), res.output
    assert not (months / "figs").exists()


def test_symmetry_target_reaches_the_cooc_block(months):
    base = ("symmetry", months / "emb", "--cooc", months / "counts.npz", "--json")
    default = _geometry(*base, "--out", months / "a")
    logm = _geometry(*base, "--target", "logm", "--out", months / "b")
    gram = _geometry("symmetry", months / "emb", "--json", "--out", months / "c")
    assert default.exit_code == 0 and logm.exit_code == 0 and gram.exit_code == 0, logm.output
    assert [json.loads(r.output)["symmetry"]["block"] for r in (default, logm, gram)] == ["mstar", "logm", "gram"]


@pytest.mark.parametrize("extra, message", [(["--target", "no-such-kind"], UNKNOWN), (["--target", "m"], WITHOUT_COOC)])
def test_places_target_is_checked(months, extra, message):
    res = _geometry("places", months / "emb", "--out", months / "figs", *extra)
    assert res.exit_code == 1 and re.fullmatch(message, res.output), res.output
