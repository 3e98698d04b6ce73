"""`cooc sweep` says how many of the listed questions it could score (in its table and in sweep.json), and
refuses a question set of which none can be scored before it decomposes or writes anything."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.grammars.attributes import BinaryAttributeModel

runner = CliRunner()


@pytest.fixture
def counts(tmp_path):
    m = BinaryAttributeModel(5, p=[0.5, 0.4, 0.3, 0.6, 0.45], s=0.3)
    m.to_cooccurrence().save(tmp_path / "counts")
    pairs = m.families()["a0-a1"][:4]
    lines = [": a0-a1"] + [f"{a} {b} {c} {d}" for (a, b) in pairs for (c, d) in pairs if (a, b) != (c, d)]
    (x, y), (z, w) = pairs[:2]
    lines += [": oov", "foo bar baz qux", f"foo bar {x} {y}", f"zap zip {z} {w}"]  # each with a word out of vocab
    (tmp_path / "q.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def _sweep(tmp, *args):
    return runner.invoke(app, ["sweep", str(tmp / "counts"), "--targets", "m,logm", "--dims", "2,5",
                               "--eps", "1e-9", *map(str, args)])  # fmt: skip


@pytest.mark.parametrize(
    "protocol, line, numbers",
    [
        # 12 questions of family a0-a1 in vocabulary, the 3 of family oov not
        ("gensim", r"12/15 listed questions in vocabulary \(scored at each K\)", (15, 12, 12)),
        # pairs: 4 + 2 of the 4 + 5 distinct pairs in vocabulary; all ordered pairs of them, 12 + 2 questions
        ("pairs", r"14 questions from the 6/9 listed pairs in vocabulary \(scored at each K\)", (9, 6, 14)),
    ],
)
def test_sweep_reports_the_questions_scored_out_of_those_listed(counts, protocol, line, numbers):
    tmp = counts
    res = _sweep(tmp, "--questions", tmp / "q.txt", "--protocol", protocol, "-o", tmp / protocol)
    assert res.exit_code == 0, res.output
    assert re.search(r"\n" + line + r"\n", res.output), res.output
    data = json.loads((tmp / protocol / "sweep.json").read_text())
    listed, usable, questions = numbers
    assert (data["listed"], data["usable"], data["questions"]) == numbers
    for curve in data["curves"].values():
        assert (curve["listed"], curve["usable"], curve["questions"]) == (listed, usable, questions)
    as_json = _sweep(tmp, "--questions", tmp / "q.txt", "--protocol", protocol, "-o", tmp / protocol, "--overwrite",
                     "--json")  # fmt: skip
    assert as_json.exit_code == 0, as_json.output
    assert {(c["listed"], c["usable"]) for c in json.loads(as_json.output).values()} == {(listed, usable)}


@pytest.mark.parametrize(
    "protocol, lines, message",
    [
        (
            "gensim",
            ": oov\nfoo bar baz qux\nfoo bar a0b1c1d0e1 a1b1c1d0e1\n",
            r"none of the 2 listed questions in .*q0\.txt' has its four words among the 32 words of .*counts'",
        ),
        (  # two pairs in vocabulary, but in two families: a question needs two pairs of one family
            "pairs",
            ": one\na0b1c1d0e1 a1b1c1d0e1 foo bar\n: two\na0b1c1d0e0 a1b1c1d0e0 baz qux\n",
            r"no question can be formed from .*q0\.txt': 2 of its 4 listed pairs have both words among the 32 words "
            r"of .*counts', and a question needs two pairs of one family",
        ),
    ],
)
def test_sweep_without_a_scorable_question_is_refused_before_writing(counts, monkeypatch, protocol, lines, message):
    from cooc.spectral.estimator import EigenEmbedding

    tmp = counts
    (tmp / "q0.txt").write_text(lines)
    fits, real = [], EigenEmbedding.fit
    monkeypatch.setattr(EigenEmbedding, "fit", lambda self, *a, **k: fits.append(1) or real(self, *a, **k))
    for _ in range(2):  # refused again, not blocked by a half-written folder
        res = _sweep(tmp, "--questions", tmp / "q0.txt", "--protocol", protocol, "-o", tmp / "zero")
        assert res.exit_code == 1, res.output
        assert re.fullmatch(r"error: " + message + r"[^\n]*\n", res.output.replace("\n", " ").rstrip() + "\n"), (
            res.output
        )
        assert len(res.output.strip().splitlines()) <= 3 and not (tmp / "zero" / "sweep.json").exists()
    assert fits == []  # nothing decomposed
