"""`cooc embed`, `cooc eval analogy|similarity`, `cooc sweep` through typer's CliRunner."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.embedding import Embedding
from cooc.grammars.attributes import BinaryAttributeModel

runner = CliRunner()


@pytest.fixture
def model_files(tmp_path):
    m = BinaryAttributeModel(5, p=[0.5, 0.4, 0.3, 0.6, 0.45], s=0.3)
    m.to_cooccurrence().save(tmp_path / "counts")
    lines = []
    for name, pairs in m.families().items():
        lines.append(f": {name}")
        lines += [f"{a} {b} {c} {d}" for (a, b) in pairs[:4] for (c, d) in pairs[:4] if (a, b) != (c, d)]
    (tmp_path / "q.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "sim.tsv").write_text(
        f"{m.words[0]}\t{m.words[1]}\t3\n{m.words[0]}\t{m.words[2]}\t1\n{m.words[1]}\t{m.words[3]}\t2\nfoo\tbar\t4\n"
    )
    return tmp_path, m


def test_embed_then_eval(model_files):
    tmp, m = model_files
    res = runner.invoke(
        app, ["embed", str(tmp / "counts"), "-o", str(tmp / "emb"), "--target", "logm", "--dim", "6", "--eps", "1e-9"]
    )
    assert res.exit_code == 0, res.output
    emb = Embedding.load(tmp / "emb")
    assert emb.dim == 6 and emb.index_to_key == m.words and emb.meta["target"] == "logm"
    res = runner.invoke(
        app,
        [
            "eval",
            "analogy",
            str(tmp / "emb"),
            "--questions",
            str(tmp / "q.txt"),
            "--protocol",
            "pairs",
            "--output",
            str(tmp / "a.json"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp / "a.json").read_text())
    assert data["accuracy"] == 1.0 and data["total"] == 5 * 4 * 3
    assert "60/60 correct" in res.output
    res = runner.invoke(app, ["eval", "analogy", str(tmp / "emb"), "--questions", str(tmp / "q.txt")])
    assert res.exit_code == 0 and "protocol gensim" in res.output
    res = runner.invoke(
        app, ["eval", "similarity", str(tmp / "emb"), "--pairs", str(tmp / "sim.tsv"), "--output", str(tmp / "s.json")]
    )
    assert res.exit_code == 0, res.output
    sim = json.loads((tmp / "s.json").read_text())["sim"]
    assert (sim["listed"], sim["evaluated"], sim["oov"]) == (4, 3, 1)


def test_embed_refuses_to_overwrite_and_reports_errors(model_files):
    tmp, _ = model_files
    args = ["embed", str(tmp / "counts"), "-o", str(tmp / "emb"), "--dim", "3"]
    assert runner.invoke(app, args).exit_code == 0
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "error: " in res.output and "--overwrite" in res.output
    assert runner.invoke(app, args + ["--overwrite"]).exit_code == 0
    res = runner.invoke(app, ["embed", str(tmp / "missing"), "-o", str(tmp / "e2")])
    assert res.exit_code == 1 and "does not exist (neither missing.json nor missing.npz is there)" in res.output
    (tmp / "half.npz").write_bytes((tmp / "counts.npz").read_bytes())  # the .json lost: not "does not exist"
    res = runner.invoke(app, ["embed", str(tmp / "half"), "-o", str(tmp / "e4")])
    assert res.exit_code == 1 and "does not exist" not in res.output and "half.json" in res.output, res.output
    res = runner.invoke(app, ["embed", str(tmp / "counts"), "-o", str(tmp / "e3"), "--target", "glove"])
    assert res.exit_code == 1 and "'target' must be one of" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_sweep(model_files):
    tmp, _ = model_files
    res = runner.invoke(
        app,
        [
            "sweep",
            str(tmp / "counts"),
            "--targets",
            "m,logm",
            "--dims",
            "2,5,8",
            "--questions",
            str(tmp / "q.txt"),
            "-o",
            str(tmp / "sweep"),
            "--eps",
            "1e-9",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp / "sweep" / "sweep.json").read_text())
    assert set(data["curves"]) == {"m", "logm"}
    assert data["curves"]["logm"]["ks"] == [2, 5, 8] and data["curves"]["logm"]["accuracy"][-1] == 1.0
    assert (tmp / "sweep" / "sweep.png").stat().st_size > 1000
    res = runner.invoke(app, ["sweep", str(tmp / "counts"), "--dims", "a,b"])
    assert res.exit_code == 1 and "comma-separated list of int" in res.output


def test_embed_dtype_reaches_the_solver_and_float32_agrees(model_files):
    import numpy as np

    tmp, _ = model_files
    base = ["embed", str(tmp / "counts"), "--target", "mstar", "--dim", "5"]
    assert runner.invoke(app, [*base, "-o", str(tmp / "e32")]).exit_code == 0
    res = runner.invoke(app, [*base, "-o", str(tmp / "e64"), "--dtype", "float64"])
    assert res.exit_code == 0, res.output
    e32, e64 = Embedding.load(tmp / "e32"), Embedding.load(tmp / "e64")
    assert e32.meta["params"]["dtype"] == "float32" and e64.meta["params"]["dtype"] == "float64"
    a, b = np.asarray(e32.vectors, dtype=np.float64), np.asarray(e64.vectors)
    signs = np.sign(np.sum(a * b, axis=0))
    assert np.allclose(a * signs, b, atol=1e-4 * np.abs(b).max())
    bad = runner.invoke(app, [*base, "-o", str(tmp / "e16"), "--dtype", "float16"])
    assert bad.exit_code == 1 and "'dtype' must be one of" in bad.output


def test_embed_and_sweep_threads_reach_the_blas(model_files, monkeypatch):
    from threadpoolctl import threadpool_info

    from cooc.spectral.estimator import EigenEmbedding

    tmp, _ = model_files
    seen = []
    real = EigenEmbedding.fit

    def spy(self, *args, **kwargs):
        seen.append({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"})
        return real(self, *args, **kwargs)

    monkeypatch.setattr(EigenEmbedding, "fit", spy)
    res = runner.invoke(app, ["embed", str(tmp / "counts"), "--dim", "5", "-o", str(tmp / "e1"), "--threads", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sweep", str(tmp / "counts"), "--targets", "m", "--dims", "2", "-o", str(tmp / "s1"),
                              "--questions", str(tmp / "q.txt"), "--threads", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert seen == [{1}, {1}]
    bad = runner.invoke(app, ["embed", str(tmp / "counts"), "--dim", "5", "-o", str(tmp / "e0"), "--threads", "0"])
    assert bad.exit_code == 1 and "'threads' must be a positive integer" in bad.output


def test_no_progress_reaches_the_eigensolver_and_the_counter(model_files, monkeypatch, tmp_path):
    import cooc.cli.demo as demo_cli
    import cooc.cli.spectral as spectral_cli
    import cooc.count as count_pkg
    from cooc.corpus.build import build_corpus
    from cooc.spectral.estimator import EigenEmbedding

    tmp, _ = model_files
    monkeypatch.setattr(spectral_cli, "is_tty", lambda: True)  # as on a terminal: bars unless --no-progress
    monkeypatch.setattr(demo_cli, "is_tty", lambda: True)
    seen = []
    real_fit = EigenEmbedding.fit

    def fit(self, *args, **kwargs):
        seen.append(("embed", self.progress))
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(EigenEmbedding, "fit", fit)
    for flags, name in (([], "e"), (["--progress"], "ep"), (["--no-progress"], "en")):
        res = runner.invoke(app, ["embed", str(tmp / "counts"), "--dim", "3", "-o", str(tmp / name), *flags])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sweep", str(tmp / "counts"), "--targets", "m", "--dims", "2", "-o", str(tmp / "s"),
                              "--questions", str(tmp / "q.txt"), "--no-progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    real_count = count_pkg.count_cooccurrences

    def count(*args, **kwargs):
        seen.append(("count", kwargs["progress"]))
        return real_count(*args, **kwargs)

    monkeypatch.setattr(count_pkg, "count_cooccurrences", count)
    (tmp_path / "t.txt").write_text("the cat sat on the mat\n" * 3)
    build_corpus(tmp_path / "t.txt", tmp_path / "corpus", progress=False)
    for flag, name in (("--progress", "cp"), ("--no-progress", "cn")):
        res = runner.invoke(app, ["count", str(tmp_path / "corpus"), "-o", str(tmp_path / name), "--window", "2", flag])
        assert res.exit_code == 0, res.output
    import cooc.experiments.demo as demo_run

    def run_demo(out, config, progress, log, overwrite):
        seen.append(("demo", progress))
        return SimpleNamespace(report="", seconds={"total": 0.0})

    monkeypatch.setattr(demo_run, "run_demo", run_demo)
    for flag, name in (("--progress", "dp"), ("--no-progress", "dn")):
        res = runner.invoke(app, ["demo", "-o", str(tmp_path / name), flag])
        assert res.exit_code == 0, res.output
    assert seen == [("embed", True), ("embed", True), ("embed", False), ("embed", False), ("count", True), ("count", False),
                    ("demo", True), ("demo", False)]  # fmt: skip


def test_embed_refuses_directional_counts(tmp_path):
    # `cooc count --directional` writes the forward matrix F; `cooc embed` says so instead of decomposing it.
    import numpy as np
    import scipy.sparse as sp

    from cooc.cooccurrence.matrix import Cooccurrence

    F = sp.csr_matrix(np.triu(np.arange(1, 26, dtype=np.float64).reshape(5, 5), 1))
    unigram = np.array([9, 8, 7, 6, 5])
    Cooccurrence.from_scipy(F, list("abcde"), unigram, settings={"directional": True, "symmetric": False}).save(
        tmp_path / "f"
    )
    res = runner.invoke(app, ["embed", str(tmp_path / "f"), "-o", str(tmp_path / "e"), "--dim", "2"])
    assert res.exit_code != 0
    assert res.output.startswith("error: top_eigenpairs: the matrix is not symmetric"), res.output
    assert "--directional" in res.output and not (tmp_path / "e").exists()
