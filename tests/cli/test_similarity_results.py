"""`cooc eval similarity`: every benchmark and pair file given is scored and kept in --json / --output, under a
name of its own (a file never replaces another result, nor a shipped benchmark's), and --pairs adds to
--benchmark."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.embedding import Embedding

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "car", "bus", "tree", "bush"]
    Embedding(rng.normal(size=(6, 3)), words, {}).save(tmp_path / "emb")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "pairs.txt").write_text("cat\tdog\t9\ncar\tbus\t8\ntree\tbush\t7\ncat\tcar\t1\n")
    (tmp_path / "b" / "pairs.txt").write_text("cat\tdog\t9\ncar\tbus\t8\ncat\ttree\t2\ndog\tbus\t1\nfoo\tbar\t3\n")
    (tmp_path / "wordsim353.txt").write_text("cat\tdog\t9\ncar\tbus\t8\ntree\tbush\t7\ncat\tcar\t1\n")
    return tmp_path


def _similarity(tmp, *args: str):
    return runner.invoke(app, ["eval", "similarity", str(tmp / "emb"), *map(str, args)])


def test_results_with_the_same_name_are_all_kept(files):
    tmp = files
    a, b, user = tmp / "a" / "pairs.txt", tmp / "b" / "pairs.txt", tmp / "wordsim353.txt"
    args = ["--benchmark", a, "--benchmark", b, "--benchmark", "wordsim353", "--benchmark", user]
    res = _similarity(tmp, *args, "--json", "-o", tmp / "s.json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert json.loads((tmp / "s.json").read_text()) == data
    # the shipped benchmark keeps its name; files whose stem is taken are named by their path
    assert list(data) == [str(a), str(b), "wordsim353", str(user)]
    assert [(v["name"], v["listed"], v["evaluated"]) for v in data.values()] == [
        (str(a), 4, 4),
        (str(b), 5, 4),
        ("wordsim353", 353, 0),
        (str(user), 4, 4),
    ]
    assert data[str(a)]["spearman"] != data[str(b)]["spearman"]
    table = _similarity(tmp, *args)
    assert table.exit_code == 0, table.output
    used = re.findall(r"│ +(\d+)/(\d+) │", table.output)  # a row per result (long paths wrap onto more lines)
    assert used == [("4", "4"), ("4", "5"), ("0", "353"), ("4", "4")], table.output
    # a file named like a shipped benchmark is named by its path even alone: never read as the shipped one
    lookalike = _similarity(tmp, "--pairs", user, "--json")
    assert lookalike.exit_code == 0 and list(json.loads(lookalike.output)) == [str(user)]
    # a file of a name of its own keeps its stem, as before
    alone = _similarity(tmp, "--pairs", a, "--json")
    assert alone.exit_code == 0 and list(json.loads(alone.output)) == ["pairs"]


def test_pairs_adds_to_the_benchmarks_given(files):
    tmp = files
    both = _similarity(tmp, "--benchmark", "simlex999", "--pairs", tmp / "a" / "pairs.txt", "--json")
    assert both.exit_code == 0, both.output
    data = json.loads(both.output)
    assert list(data) == ["simlex999", "pairs"] and (data["simlex999"]["listed"], data["pairs"]["listed"]) == (999, 4)
    only = _similarity(tmp, "--pairs", tmp / "a" / "pairs.txt", "--json")  # --pairs alone: that file only
    assert list(json.loads(only.output)) == ["pairs"]
    default = _similarity(tmp, "--json")  # nothing given: both shipped benchmarks (none of whose pairs it holds)
    assert default.exit_code == 1 and "each of wordsim353, simlex999 have" in " ".join(default.output.split())
    twice = ["--benchmark", "simlex999", "--benchmark", "simlex999", "--pairs", tmp / "a" / "pairs.txt", "--json"]
    assert list(json.loads(_similarity(tmp, *twice).output)) == ["simlex999", "pairs"]  # given twice: once


def test_evaluations_with_nothing_to_score_fail_instead_of_reporting_nan(tmp_path):
    rng = np.random.default_rng(0)
    Embedding(rng.normal(size=(4, 3)), ["cat", "dog", "car", "bus"]).save(tmp_path / "emb")
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "analogy", str(tmp_path / "emb")])
    assert res.exit_code == 1 and "no analogy could be asked" in " ".join(res.output.split()), res.output
    res = runner.invoke(app, ["eval", "similarity", str(tmp_path / "emb")])
    assert res.exit_code == 1 and "no correlation could be computed" in " ".join(res.output.split()), res.output
    one = tmp_path / "one.tsv"
    one.write_text("cat\tdog\t7.0\nlion\ttiger\t8.0\n")  # one pair in the vocabulary: no Spearman
    res = runner.invoke(app, ["eval", "similarity", str(tmp_path / "emb"), "--pairs", str(one)])
    assert res.exit_code == 1 and "fewer than two listed pairs" in " ".join(res.output.split()), res.output
    (tmp_path / "two.tsv").write_text("cat\tdog\t7.0\ncar\tbus\t6.0\ncat\tbus\t1.0\n")
    res = runner.invoke(app, ["eval", "similarity", str(tmp_path / "emb"), "--pairs", str(tmp_path / "two.tsv")])
    assert res.exit_code == 0, res.output
    (tmp_path / "same.tsv").write_text("cat\tdog\t5.0\ncar\tbus\t5.0\ncat\tbus\t5.0\n")  # no ranking: NaN
    res = runner.invoke(app, ["eval", "similarity", str(tmp_path / "emb"), "--pairs", str(tmp_path / "same.tsv")])
    assert res.exit_code == 1 and "scored pairs of same are all equal" in " ".join(res.output.split()), res.output
    q = tmp_path / "q.txt"
    q.write_text(": family\ncat dog car bus\n")
    res = runner.invoke(app, ["eval", "analogy", str(tmp_path / "emb"), "--questions", str(q)])
    assert res.exit_code == 0 and "1 listed questions in vocabulary" in " ".join(res.output.split()), res.output
    (tmp_path / "p.txt").write_text(": f1\ncat dog lion tiger\n: f2\ncar bus ship boat\n")  # one pair a family
    args = ["eval", "analogy", str(tmp_path / "emb"), "--questions", str(tmp_path / "p.txt"), "--protocol", "pairs"]
    res = runner.invoke(app, args)
    message = " ".join(res.output.split())
    assert res.exit_code == 1 and "only 2 of the 4 listed pairs have their words among the 4 words" in message, message
    assert "no family has two of them" in message
