"""`cooc train word2vec` and `cooc train grammar` through typer's CliRunner."""

from __future__ import annotations

import csv
import json
import re

import pytest
from typer.testing import CliRunner

from cooc._core.errors import InvalidParameterError
from cooc.cli import app
from cooc.cli.train import parse_samples
from cooc.embedding import Embedding

runner = CliRunner()


def test_train_word2vec_command(cluster_corpus, tmp_path):
    out = tmp_path / "emb"
    args = [
        "train",
        "word2vec",
        str(cluster_corpus.path),
        "-o",
        str(out),
        "--dim",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "1",
        "--sample",
        "0",
        "--batch-size",
        "1024",
        "--no-progress",
        "--cbow",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    emb = Embedding.load(out)
    assert emb.vectors.shape == (20, 8) and emb.meta["model"] == "word2vec-cbow"
    assert "words/s" in result.output and re.search(r"kernel\W+numba", result.output)
    skipgram = [*args[:4], str(tmp_path / "sg"), *args[5:-4], "--no-progress"]  # no batch size, skip-gram
    default = runner.invoke(app, skipgram)
    assert default.exit_code == 0, default.output
    assert re.search(r"kernel\W+shared", default.output)  # skip-gram's CPU default
    assert Embedding.load(tmp_path / "sg").meta["provenance"]["params"]["kernel"] == "shared"
    windows = runner.invoke(app, [*skipgram[:4], str(tmp_path / "sgw"), *skipgram[5:], "--kernel", "shared"])
    assert windows.exit_code == 0, windows.output
    assert re.search(r"kernel\W+shared \(batches of windows\)", windows.output) is None  # no batch size: corpus order
    batched = [*skipgram[:4], str(tmp_path / "sgb"), *skipgram[5:], "--kernel", "shared", "--batch-size", "256"]
    windows = runner.invoke(app, batched)
    assert windows.exit_code == 0, windows.output
    assert re.search(r"kernel\W+shared \(batches of windows\)", windows.output)
    assert Embedding.load(tmp_path / "sgb").meta["provenance"]["params"]["batches"] == "windows"
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and again.output.startswith("error:") and "--overwrite" in again.output
    bad = runner.invoke(app, ["train", "word2vec", str(tmp_path / "nope"), "-o", str(tmp_path / "e2"), "--no-progress"])
    assert bad.exit_code == 1 and bad.output.startswith("error:")
    torch_kernel = runner.invoke(app, [*args[:4], str(tmp_path / "e3"), *args[5:], "--kernel", "torch"])
    assert torch_kernel.exit_code == 0, torch_kernel.output
    assert Embedding.load(tmp_path / "e3").meta["provenance"]["params"]["kernel"] == "torch"
    wrong = runner.invoke(app, [*args[:4], str(tmp_path / "e4"), *args[5:], "--kernel", "fast"])
    assert wrong.exit_code == 1 and wrong.output.startswith("error:") and "kernel" in wrong.output
    graph = runner.invoke(app, [*args[:4], str(tmp_path / "e5"), *args[5:-1], "--cuda-graph"])
    assert graph.exit_code == 1 and "cuda_graph=True is for skip-gram on a CUDA device" in graph.output


def test_train_grammar_command(tmp_path):
    out = tmp_path / "curves"
    result = runner.invoke(
        app,
        [
            "train",
            "grammar",
            "-g",
            "rhm:v=4,n_c=4,m=2,s=2,L=2",
            "-g",
            "rhm:v=4,n_c=2,m=2,s=2,L=2",
            "--samples",
            "4,8",
            "--seeds",
            "2",
            "--n-test",
            "4",
            "--steps",
            "3",
            "--width",
            "8",
            "--device",
            "cpu",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(out / "curves.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 2 * 2 and {r["grammar"] for r in rows} == {
        "rhm:v=4,n_c=4,m=2,s=2,L=2",
        "rhm:v=4,n_c=2,m=2,s=2,L=2",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert [t["scale"] for t in summary["tables"]] == [16.0, 8.0]
    for name in ("curves.png", "collapse.png", "p_star.png"):
        assert (out / name).stat().st_size > 0
    bad = runner.invoke(app, ["train", "grammar", "-g", "rhm:v=4", "-o", str(out), "--no-progress"])
    assert bad.exit_code == 1 and "missing required" in bad.output


def test_train_grammar_resumes_from_its_recorded_runs_and_trains_several_at_once(tmp_path, monkeypatch):
    """Interrupted at its third run, the command keeps the two finished ones (runs.jsonl) and, run again, trains
    only the six others; the curves equal an uninterrupted run's, and those of --jobs 2 (timings aside)."""
    import cooc.train.grammar.curves as curves

    args = ["train", "grammar", "-g", "rhm:v=4,n_c=4,m=2,s=2,L=2", "--samples", "4,8,16,24", "--seeds", "2",
            "--n-test", "4", "--steps", "3", "--width", "8", "--device", "cpu", "--no-progress"]  # fmt: skip
    one = ["--threads", "1"]  # and --jobs 2 --threads 2 below: one torch thread a run, so the same bits

    def curves_of(folder):
        with open(folder / "curves.csv") as fh:
            return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(fh)]

    assert runner.invoke(app, [*args, *one, "-o", str(tmp_path / "whole")]).exit_code == 0
    real, trained = curves._one_run, []

    def counted(*a, **k):
        trained.append(a[2:4])  # (P, seed)
        if len(trained) == 3 and stop:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(curves, "_one_run", counted)
    stop = True
    cut = runner.invoke(app, [*args, *one, "-o", str(tmp_path / "cut")])
    assert cut.exit_code == 130 and "runs.jsonl" in cut.output and "run the same command again" in cut.output
    assert not (tmp_path / "cut" / "curves.csv").exists()
    stop, trained[:] = False, []
    again = runner.invoke(app, [*args, *one, "-o", str(tmp_path / "cut")])
    assert again.exit_code == 0, again.output
    assert "2 runs were taken from" in again.output
    assert sorted(trained) == [(4, 1), (8, 1), (16, 0), (16, 1), (24, 0), (24, 1)]
    assert curves_of(tmp_path / "cut") == curves_of(tmp_path / "whole")
    refused = runner.invoke(app, [*args, "-o", str(tmp_path / "cut")])
    assert refused.exit_code == 1 and "--overwrite" in refused.output
    trained[:] = []
    fresh = runner.invoke(app, [*args, "-o", str(tmp_path / "cut"), "--overwrite"])  # its recorded runs discarded
    assert fresh.exit_code == 0 and len(trained) == 8 and "taken from" not in fresh.output
    monkeypatch.setattr(curves, "_one_run", real)
    import cooc._core.run_pool as run_pool

    pool, asked = run_pool.run_all, []
    monkeypatch.setattr(
        run_pool, "run_all", lambda tasks, jobs, *a, **k: asked.append(jobs) or pool(tasks, jobs, *a, **k)
    )
    together = runner.invoke(app, [*args, "-o", str(tmp_path / "jobs"), "--jobs", "2", "--threads", "2"])
    assert together.exit_code == 0, together.output
    assert asked == [2, 2]  # each seed's runs went to two processes
    assert curves_of(tmp_path / "jobs") == curves_of(tmp_path / "whole")
    assert len((tmp_path / "jobs" / "runs.jsonl").read_text().splitlines()) == 8


def test_parse_samples():
    assert parse_samples("1e3, 100,1e3") == [100, 1000]
    for bad in ("", "1e3,x", "0.5", "-3"):
        with pytest.raises(InvalidParameterError):
            parse_samples(bad)


def test_train_word2vec_help_says_which_kernels_give_the_same_result_for_any_thread_count():
    """Only the batched kernels do; the default shared and hogwild kernels depend on the count. The default
    learning rates are word2vec.c's."""
    import typer.main

    command = typer.main.get_command(app).commands["train"].commands["word2vec"]  # type: ignore[attr-defined]
    helps = {p.name: p.help for p in command.params}
    assert "the result is the same for any" not in helps["threads"]
    assert "Only the batched kernels" in helps["threads"] and "shared and hogwild" in helps["threads"]
    assert "0.05 CBOW, as word2vec.c; gensim: 0.025 for both" in helps["alpha"]


def test_train_lm_command_writes_curves_and_resumes(tmp_path):
    out = tmp_path / "lm"
    args = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--model", "cnn", "--samples", "8,32", "--seeds", "2",
            "--steps", "20", "--eval-every", "10", "--width", "8", "--n-val", "16", "--n-test", "32",
            "--device", "cpu", "-o", str(out), "--no-progress"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with open(out / "curves.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(int(r["P"]), int(r["seed"])) for r in rows] == [(8, 0), (8, 1), (32, 0), (32, 1)]
    curves = json.loads((out / "curves.json").read_text())
    assert curves["settings"]["targets"] == "last" and len(curves["theory"]["P_l"]) == 3
    assert len(curves["steps_measured"]) == 3 and (out / "loss.png").stat().st_size > 0
    assert "steps: P_1 " in result.output
    # run again: every run is found finished in runs.json and nothing is retrained
    before = (out / "runs.json").read_text()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and (out / "runs.json").read_text() == before
    other = runner.invoke(app, [*args[:-3], "--lr", "0.01", "-o", str(out), "--no-progress"])
    assert other.exit_code == 1 and other.output.startswith("error:") and "other settings" in other.output
    assert "other settings (train.lr: 0.001 -> 0.01); use another folder" in other.output  # names what changed
    assert "--overwrite" in other.output


def test_train_lm_jobs_train_runs_at_once_with_the_same_numbers(tmp_path):
    """``--jobs 2 --threads 2``: two processes of one torch thread each, the same rows as one thread alone;
    the number of jobs is not a setting of the runs (a folder resumes with another)."""
    args = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--model", "cnn", "--samples", "8,32", "--seeds", "2",
            "--steps", "20", "--eval-every", "10", "--width", "8", "--n-val", "16", "--n-test", "32",
            "--device", "cpu", "--no-progress"]  # fmt: skip
    alone = runner.invoke(app, [*args, "--threads", "1", "-o", str(tmp_path / "a")])
    together = runner.invoke(app, [*args, "--threads", "2", "--jobs", "2", "-o", str(tmp_path / "b")])
    assert alone.exit_code == 0 and together.exit_code == 0, together.output
    timing = ("seconds", "tokens_per_second")

    def rows(name):
        with open(tmp_path / name / "curves.csv") as fh:
            return [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(fh)]

    assert rows("a") == rows("b") and len(rows("a")) == 4
    before = (tmp_path / "b" / "runs.json").read_text()
    again = runner.invoke(app, [*args, "--jobs", "3", "-o", str(tmp_path / "b")])
    assert again.exit_code == 0 and (tmp_path / "b" / "runs.json").read_text() == before


def test_train_lm_interrupted_run_resumes_only_with_its_own_settings(tmp_path, monkeypatch):
    """An interrupted command leaves its run's checkpoint in OUT/checkpoints: the same command resumes it to
    the numbers of an uninterrupted command (dropout included), a command of other settings is refused, and
    one with --overwrite discards it and trains afresh."""
    import cooc.train.grammar.lm as lm_module

    real = lm_module.train_lm

    def interrupted(*args, **kw):  # the command stops after 10 steps of its run, a checkpoint at step 10
        real(*args, **{**kw, "checkpoint_every": 10, "_stop_after": 10})
        raise KeyboardInterrupt

    args = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--model", "cnn", "--samples", "32", "--steps", "30",
            "--eval-every", "10", "--width", "8", "--n-val", "16", "--n-test", "32", "--device", "cpu",
            "--dropout", "0.4", "--no-progress"]  # fmt: skip
    out, fresh = tmp_path / "lm", tmp_path / "fresh"

    def rows(folder, after=-1):  # the numbers of the runs, and their evaluations after step ``after``
        return [{**{k: v for k, v in r.items() if k not in ("seconds", "tokens_per_second", "history")},
                 "history": [h[:2] for h in r["history"] if h[0] > after]}
                for r in json.loads((folder / "runs.json").read_text())["rows"]]  # fmt: skip

    def interrupt(extra):
        with monkeypatch.context() as m:
            m.setattr(lm_module, "train_lm", interrupted)
            assert runner.invoke(app, [*args, *extra, "-o", str(out)]).exit_code != 0
        assert (out / "checkpoints" / "P32-seed0" / "state.json").exists() and not (out / "runs.json").exists()

    interrupt([])
    assert runner.invoke(app, [*args, "-o", str(out)]).exit_code == 0  # resumed
    assert runner.invoke(app, [*args, "-o", str(fresh)]).exit_code == 0
    assert rows(out) == rows(fresh, after=10) and rows(out)[0]["history"][0][0] == 20
    # other settings, same weight shapes: refused, not resumed
    for folder in (out, fresh):
        (folder / "runs.json").unlink()
    interrupt(["--overwrite"])
    other = runner.invoke(app, [*args, "--dropout", "0.2", "-o", str(out)])
    assert other.exit_code == 1 and "belongs to a run with other settings (model.dropout)" in other.output
    # --overwrite: the checkpoint is discarded, the run trained afresh
    assert runner.invoke(app, [*args, "--dropout", "0.2", "--overwrite", "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, [*args, "--dropout", "0.2", "--overwrite", "-o", str(fresh)]).exit_code == 0
    assert rows(out) == rows(fresh) and rows(out)[0]["history"][0][0] == 0


def test_train_lm_dropout_reaches_the_network(tmp_path, monkeypatch):
    import cooc.train.grammar.lm as lm_module

    built = []
    real = lm_module.build_lm

    def spy(*args, **kwargs):
        net = real(*args, **kwargs)
        built.append(net)
        return net

    monkeypatch.setattr(lm_module, "build_lm", spy)
    args = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--model", "cnn", "--samples", "8", "--steps", "10",
            "--eval-every", "5", "--width", "8", "--n-val", "16", "--n-test", "32", "--device", "cpu",
            "--dropout", "0.4", "-o", str(tmp_path / "lm"), "--no-progress"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert built and all(net.dropout == 0.4 for net in built)
    curves = json.loads((tmp_path / "lm" / "curves.json").read_text())
    assert curves["settings"]["model_kwargs"]["dropout"] == 0.4
    bad = runner.invoke(app, [*args[:-3], "--dropout", "1", "-o", str(tmp_path / "bad"), "--no-progress"])
    assert bad.exit_code == 1 and "dropout" in bad.output and len(bad.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "lstm"], "error: --model must be one of transformer, cnn, got 'lstm'."),
        (
            ["--context", "16"],
            "error: context T = 16 is longer than the sentences of rhm:v=4,n_c=4,m=2,s=2,L=3 (8 tokens)",
        ),
        (["--samples", "600"], "error: 1368 distinct sentences asked for (600 training + 256 validation + 512 test)"),
        (["--n-val", "0"], "error: lm data: parameter 'n_val' must be an integer in [1, inf), got 0."),
        (
            ["--samples", "10", "--n-test", "50", "--seeds", "0"],
            "error: lm_learning_curve: parameter 'seeds' must name at least one seed",
        ),
        (["--samples", "10", "--n-test", "50", "--dropout", "1"], "error: CausalTransformer: parameter 'dropout'"),
    ],
)
def test_train_lm_bad_input_is_one_line(tmp_path, extra, message):
    result = runner.invoke(app, ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "-o", str(tmp_path / "o"),
                                 "--device", "cpu", "--no-progress", *extra])  # fmt: skip
    assert result.exit_code == 1 and result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_train_word2vec_threads_reach_the_trainer(cluster_corpus, tmp_path, monkeypatch):
    import cooc.train.word2vec.estimator as estimator

    seen = []
    real = estimator.thread_limit

    def spy(n):
        seen.append(n)
        return real(n)

    monkeypatch.setattr(estimator, "thread_limit", spy)
    common = [str(cluster_corpus.path), "--dim", "4", "--epochs", "1", "--min-count", "1", "--no-progress"]
    common += ["--kernel", "numba"]  # a batched kernel: the same vectors on any number of threads
    one = runner.invoke(app, ["train", "word2vec", *common, "-o", str(tmp_path / "a"), "--threads", "1"])
    assert one.exit_code == 0, one.output
    alias = runner.invoke(app, ["train", "word2vec", *common, "-o", str(tmp_path / "b"), "--workers", "2"])
    assert alias.exit_code == 0, alias.output
    assert seen == [1, 2]
    a, b = Embedding.load(tmp_path / "a"), Embedding.load(tmp_path / "b")
    assert (a.vectors == b.vectors).all()  # the same result for any thread count


def test_train_word2vec_overwrite_retrains(cluster_corpus, tmp_path):
    common = [str(cluster_corpus.path), "--dim", "4", "--epochs", "1", "--min-count", "1", "--no-progress"]
    common += ["--threads", "1"]  # the default kernel's runs repeat bitwise on one thread
    first = runner.invoke(app, ["train", "word2vec", *common, "-o", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    (tmp_path / "a.checkpoint").mkdir()  # a stale default checkpoint (from a run with other settings)
    (tmp_path / "a.checkpoint" / "state.json").write_text("{}")
    other = runner.invoke(app, ["train", "word2vec", *common, "-o", str(tmp_path / "a"), "--seed", "1", "--overwrite"])
    assert other.exit_code == 0, other.output
    fresh = runner.invoke(app, ["train", "word2vec", *common, "-o", str(tmp_path / "b"), "--seed", "1"])
    assert fresh.exit_code == 0, fresh.output
    a, b = Embedding.load(tmp_path / "a"), Embedding.load(tmp_path / "b")
    assert (a.vectors == b.vectors).all() and a.meta["provenance"]["params"]["seed"] == 1
    assert not (tmp_path / "a.checkpoint").exists()


def test_train_lm_and_grammar_threads_reach_torch(tmp_path, monkeypatch):
    import torch

    import cooc.experiments.grammar as grammar_module
    import cooc.train.grammar.lm as lm_module

    seen = []
    real = lm_module.train_lm

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(lm_module, "train_lm", spy)
    before = torch.get_num_threads()
    args = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--model", "cnn", "--samples", "8", "--steps", "4",
            "--eval-every", "2", "--width", "8", "--n-val", "16", "--n-test", "32", "--device", "cpu",
            "-o", str(tmp_path / "lm"), "--no-progress", "--threads", "1"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen == [1] and torch.get_num_threads() == before

    def study(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return {"tables": [], "files": []}

    monkeypatch.setattr(grammar_module, "grammar_study", study)
    args = ["train", "grammar", "-g", "rhm:v=4,n_c=4,m=2,s=2,L=2", "-o", str(tmp_path / "g"), "--no-progress"]
    result = runner.invoke(app, [*args, "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert seen == [1, 1] and torch.get_num_threads() == before


def test_train_word2vec_says_where_it_resumed(cluster_corpus, tmp_path, monkeypatch):
    from cooc.train.word2vec.estimator import Word2Vec

    args = ["train", "word2vec", str(cluster_corpus.path), "-o", str(tmp_path / "emb"), "--dim", "8", "--epochs", "3",
            "--min-count", "1", "--no-progress", "--checkpoint-every", "0s"]  # fmt: skip
    real = Word2Vec.fit

    class Stop(Exception):
        pass

    at = [(1, 0)]

    def stopped(progress):
        if (progress["epoch"], progress["chunk"]) == at[0]:
            raise Stop

    monkeypatch.setattr(Word2Vec, "fit", lambda self, corpus, checkpoint=None, callback=None: real(
        self, corpus, checkpoint=checkpoint, callback=stopped))  # fmt: skip
    assert runner.invoke(app, args).exit_code == 1
    at[0] = (2, 0)  # the last chunk: a checkpoint of the whole run, not yet saved as an embedding
    assert runner.invoke(app, [*args[:4], str(tmp_path / "end"), *args[5:]]).exit_code == 1
    monkeypatch.setattr(Word2Vec, "fit", real)
    end = runner.invoke(app, [*args[:4], str(tmp_path / "end"), *args[5:]])
    assert end.exit_code == 0 and "(the checkpoint held the whole run)" in end.output, end.output
    fresh = runner.invoke(app, [*args[:4], str(tmp_path / "fresh"), *args[5:]])
    resumed = runner.invoke(app, args)
    assert fresh.exit_code == 0 and resumed.exit_code == 0, resumed.output
    assert "resumed from" not in fresh.output
    words = re.search(r"resumed from\s+│ word ([\d,]+) \(a checkpoint\)", resumed.output)
    assert words and 0 < int(words.group(1).replace(",", "")) < Embedding.load(tmp_path / "emb").meta["raw_words"]
    assert re.search(r"words/s\s+│ [\d,]+ ", resumed.output)  # the speed of the part trained in this call
