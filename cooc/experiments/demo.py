"""The main job, end to end: text -> corpus -> counts -> M* embedding -> analogies -> report and plots.

``run_demo()`` uses the shortened English Wikipedia dump shipped with gensim (about 480k
tokens) so that it finishes in a few minutes on a laptop; ``run_demo(full=True)`` runs
the same steps on full English Wikipedia (``hf:wikimedia/wikipedia:20231101.en``, about
4-5 billion tokens: a download of ~20 GB and hours of work, a GPU recommended). A
second part shows the theory on the binary-attribute model, whose analogies are known
exactly: accuracy against K for log M, M and M*.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .._core.io import atomic_write_json, atomic_write_text

FULL_SOURCE = "hf:wikimedia/wikipedia:20231101.en"


@dataclass(frozen=True)
class DemoConfig:
    """Settings of one demo run (see :data:`SMALL` and :data:`FULL`)."""

    source: str | None = None  # None: gensim's shipped Wikipedia sample
    min_doc_tokens: int = 0
    vocab_size: int = 4000
    window: int = 16  # the papers' window and weighting
    weighting: str = "linear"
    target: str = "mstar"
    dim: int = 100
    dtype: str = "float32"  # the dense V x V target; halves memory and eigensolver time
    ks: tuple[int, ...] = (2, 5, 10, 20, 50, 75, 100)
    max_docs: int | None = None  # stop the corpus after this many documents (quick looks, tests)
    device: str = "cpu"
    workers: int | None = 2
    attribute_d: int = 7
    attribute_p: tuple[float, ...] = (0.5, 0.4, 0.3, 0.6, 0.7, 0.2, 0.45)
    attribute_s: float = 0.3
    attribute_dim: int = 40


SMALL = DemoConfig()
FULL = DemoConfig(
    source=FULL_SOURCE,
    min_doc_tokens=200,
    vocab_size=10_000,
    dim=1000,
    ks=(2, 5, 10, 20, 50, 100, 200, 300, 500, 700, 1000),
    device="auto",
    workers=None,
)


@dataclass
class DemoRun:
    """What a demo run produced: numbers for the report, step timings, written files."""

    config: DemoConfig
    out: Path
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    report: str = ""

    @contextlib.contextmanager
    def step(self, name: str, log: Callable[[str], None]) -> Iterator[None]:
        log(f"[{len(self.seconds) + 1}] {name} ...")
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 2)
        log(f"    done in {self.seconds[name]:.1f} s")


def run_demo(
    out: str | os.PathLike = "demo-out",
    full: bool = False,
    config: DemoConfig | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    overwrite: bool = False,
) -> DemoRun:
    """Run the demo and write ``report.md``, ``report.json`` and PNG plots into ``out``.

    Parameters
    ----------
    out : path
        Output folder (the corpus, counts and embedding are kept there; a rerun reuses the corpus).
    full : bool
        Full English Wikipedia instead of the shipped sample (network, disk and hours).
    config : DemoConfig, optional
        Overrides both presets.
    progress : bool
        Progress bars for the corpus build and the counting.
    log : callable
        Receives one line per step.
    overwrite : bool
        Replace a corpus in ``out/corpus`` built with other settings (one built with the same settings
        is reused either way); the counts, embedding, plots and report are rewritten on every run.
    """
    cfg = config or (FULL if full else SMALL)
    check_config(cfg)
    run = DemoRun(cfg, Path(out))
    run.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    corpus = _corpus(run, progress, log, overwrite)
    cooc = _counts(run, corpus, progress, log)
    model = _embedding(run, cooc, log)
    _analogies(run, model, log)
    _attribute_model(run, log)
    with run.step("plots and report", log):
        run.seconds["total"] = round(time.perf_counter() - started, 2)
        run.report = _report_text(run)
        atomic_write_text(run.out / "report.md", run.report)
        atomic_write_json(
            run.out / "report.json",
            {"config": asdict(cfg), "facts": run.facts, "seconds": run.seconds, "files": run.files},
        )
    return run


#: the files a demo writes into its output folder (besides the corpus folder, which it reuses)
OUTPUT_FILES = (
    "report.md",
    "report.json",
    "counts.npz",
    "counts.json",
    "embedding.npz",
    "embedding.json",
    "spectrum.png",
    "analogy_families.png",
    "accuracy_vs_k.png",
    "attribute_model.png",
)


# -- steps ---------------------------------------------------------------------------------------
def _corpus(run: DemoRun, progress: bool, log: Callable[[str], None], overwrite: bool = False) -> Any:
    from .._core.errors import CorruptFileError, OutputExistsError
    from ..corpus.build import build_corpus
    from ..corpus.tokenize import Tokenizer
    from ..data import wiki_sample_path

    cfg = run.config
    source = cfg.source or str(wiki_sample_path())
    with run.step(f"corpus from {'the shipped Wikipedia sample' if cfg.source is None else source}", log):
        build = lambda replace: build_corpus(  # noqa: E731
            source,
            run.out / "corpus",
            tokenizer=Tokenizer(min_doc_tokens=cfg.min_doc_tokens),
            workers=cfg.workers,
            progress=progress,
            max_docs=cfg.max_docs,
            overwrite=replace,
        )
        try:  # a corpus of the same settings is reused (or its build resumed), with overwrite too
            corpus = build(False)
        except (OutputExistsError, CorruptFileError):  # other settings, or damaged: replaced only with overwrite
            if not overwrite:
                raise
            corpus = build(True)
    run.facts.update(source=source, documents=corpus.n_docs, tokens=corpus.n_tokens, types=len(corpus.vocab))
    return corpus


def _counts(run: DemoRun, corpus: Any, progress: bool, log: Callable[[str], None]) -> Any:
    from ..count import count_cooccurrences

    cfg = run.config
    with run.step(f"co-occurrence counts (window {cfg.window}, {cfg.weighting} weights, V = {cfg.vocab_size})", log):
        cooc = count_cooccurrences(
            corpus,
            window=cfg.window,
            weighting=cfg.weighting,
            vocab_size=cfg.vocab_size,
            device=cfg.device,
            workers=cfg.workers,
            progress=progress,
        )
        run.files.append(str(cooc.save(run.out / "counts")))
    run.facts.update(V=len(cooc), nnz=cooc.nnz, density=cooc.nnz / len(cooc) ** 2)
    return cooc


def _embedding(run: DemoRun, cooc: Any, log: Callable[[str], None]) -> Any:
    from ..plots.spectral import plot_spectrum
    from ..spectral.estimator import SpectralEmbedding
    from ..spectral.kinds import LABELS

    cfg = run.config
    dim = min(cfg.dim, len(cooc) - 2)
    with run.step(f"{cfg.target} target and its top {dim} eigenpairs", log):
        model = SpectralEmbedding(cfg.target, dim=dim, device=cfg.device, dtype=cfg.dtype).fit(cooc)
        run.files.append(str(model.embedding_.save(run.out / "embedding")))
    run.files.append(
        _save_plot(
            plot_spectrum({cfg.target: model.eigenvalues_}, title=f"Eigenvalues of {LABELS[cfg.target]}"),
            run.out / "spectrum.png",
        )
    )
    run.facts.update(dim=dim, solver=model.eigenpairs_.solver, top_eigenvalues=model.eigenvalues_[:5].tolist())
    return model


def _analogies(run: DemoRun, model: Any, log: Callable[[str], None]) -> None:
    from ..geometry.analogy import accuracy_vs_k, evaluate_analogies, load_questions
    from ..geometry.similarity import evaluate_similarities
    from ..plots.spectral import plot_accuracy_vs_k, plot_family_accuracy
    from ..spectral.kinds import LABELS

    cfg = run.config
    questions = load_questions()
    emb = model.embedding_
    with run.step("analogies (protocol A: gensim's questions; B: all pairs of pairs) and similarity", log):
        a = evaluate_analogies(emb, questions, protocol="gensim", device=cfg.device)
        b = evaluate_analogies(emb, questions, protocol="pairs", device=cfg.device)
        ks = [k for k in cfg.ks if k <= emb.dim]
        curve = accuracy_vs_k(model, ks, questions, protocol="pairs", device=cfg.device, label=cfg.target)
        sims = evaluate_similarities(emb)
    run.files.append(
        _save_plot(
            plot_family_accuracy(
                {"A (gensim)": a, "B (pairs)": b},
                title=("Wikipedia sample: " if cfg.source is None else "")
                + f"{LABELS[cfg.target]} analogy accuracy per family",
            ),
            run.out / "analogy_families.png",
        )
    )
    run.files.append(
        _save_plot(
            plot_accuracy_vs_k(curve, title="Analogy accuracy against K (protocol B)", families=True),
            run.out / "accuracy_vs_k.png",
        )
    )
    run.facts.update(
        protocol_a=a.to_dict(),
        protocol_b=b.to_dict(),
        curve=curve.to_dict(),
        similarity={k: v.to_dict() for k, v in sims.items()},
    )


def _attribute_model(run: DemoRun, log: Callable[[str], None]) -> None:
    from ..geometry.analogy import accuracy_vs_k
    from ..grammars.attributes import BinaryAttributeModel
    from ..plots.spectral import plot_accuracy_vs_k
    from ..spectral.estimator import SpectralEmbedding

    cfg = run.config
    model = BinaryAttributeModel(cfg.attribute_d, p=list(cfg.attribute_p), s=cfg.attribute_s)
    dim = min(cfg.attribute_dim, model.V - 1)
    with run.step(f"binary-attribute model (d = {model.d}, {model.V} words): accuracy against K", log):
        cooc, families = model.to_cooccurrence(), model.families()
        curves = {}
        for target, label in (("logm", "log M"), ("m", "M"), ("mstar", "M*")):
            fitted = SpectralEmbedding(target, dim=dim, eps=1e-12).fit(cooc)
            curves[label] = accuracy_vs_k(fitted, range(1, dim + 1), families, protocol="pairs", label=label)
    run.files.append(
        _save_plot(
            plot_accuracy_vs_k(
                curves, logx=False, title=(f"Binary-attribute model, d = {model.d}: exact analogies for log M")
            ),
            run.out / "attribute_model.png",
        )
    )
    run.facts["attribute_model"] = {
        "d": model.d,
        "p": list(cfg.attribute_p),
        "s": cfg.attribute_s,
        "curves": {k: c.to_dict() for k, c in curves.items()},
    }


def _save_plot(fig: Any, path: Path) -> str:
    from ..plots import saved

    fig.savefig(path, dpi=120)
    saved(fig)
    return str(path)


# -- the report ------------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _report_text(run: DemoRun) -> str:
    f, cfg = run.facts, run.config
    a, b, curve = f["protocol_a"], f["protocol_b"], f["curve"]
    lines = [
        "# cooc demo report",
        "",
        f"Source: {'gensim’s shortened English Wikipedia dump (shipped sample)' if cfg.source is None else f['source']}"
        f" — {f['documents']:,} articles, {f['tokens']:,} tokens, {f['types']:,} word types.",
        f"Counts: window {cfg.window}, {cfg.weighting} weights, the V = {f['V']:,} most frequent words "
        f"({f['nnz']:,} non-zero pairs, density {f['density']:.3f}).",
        f"Embedding: {cfg.target} target ({cfg.dtype}), top {f['dim']} eigenpairs by |lambda| ({f['solver']} solver), "
        "W = U |Lambda|^0.5.",
        "",
        "## Analogies (Mikolov's questions-words.txt, 14 families)",
        "",
        f"- Protocol A (gensim's evaluate_word_analogies, 3CosAdd): {a['correct']}/{a['total']} = "
        f"{_pct(a['accuracy'])}; only {a['usable']:,} of the {a['listed']:,} questions have all four words "
        f"in the vocabulary ({a['listed'] - a['usable']:,} skipped).",
        f"- Protocol B (the papers: all ordered pairs of distinct in-vocabulary pairs per family): "
        f"{b['correct']}/{b['total']} = {_pct(b['accuracy'])} (mean over families "
        f"{_pct(b['mean_family_accuracy'])}); {b['usable']} of the {b['listed']} distinct pairs are in the vocabulary.",
        "- Protocol B accuracy against K: "
        + ", ".join(f"K={k}: {_pct(acc)}" for k, acc in zip(curve["ks"], curve["accuracy"]))
        + ".",
        "- Word similarity: "
        + "; ".join(
            f"{k} Spearman {v['spearman']:.3f} on {v['evaluated']}/{v['listed']} pairs"
            for k, v in f["similarity"].items()
        )
        + ".",
    ]
    if cfg.source is None:
        lines += [
            "",
            "**The shipped sample is small.** It holds under half a million tokens, so few analogy words "
            "are in the vocabulary and their counts are noisy: these numbers show the pipeline working, not the "
            "papers' results, which need full English Wikipedia (about 4-5 billion tokens, V = 10,000, "
            "K up to 1,000). To run the same steps on it (a ~20 GB download and hours of work; a GPU helps):",
            "",
            "```",
            f"cooc corpus build {FULL_SOURCE} -o wiki --min-doc-tokens 200",
            "cooc count wiki -o wiki-counts --window 16 --weighting linear --vocab-size 10000 --device auto",
            "cooc embed wiki-counts -o wiki-mstar --target mstar --dim 1000 --device auto",
            "cooc eval analogy wiki-mstar --protocol gensim",
            "cooc eval analogy wiki-mstar --protocol pairs",
            "cooc sweep wiki-counts --targets m,logm,pmi,ppmi,mstar --dims 10,20,50,100,200,500,1000 --device auto",
            "```",
            "",
            "or simply `cooc demo --full`.",
        ]
    lines += _attribute_lines(f["attribute_model"])
    lines += [
        "",
        "## Time",
        "",
        ", ".join(f"{k}: {v:.1f} s" for k, v in run.seconds.items()) + ".",
        "",
        "Files: " + ", ".join(Path(p).name for p in run.files) + ".",
    ]
    return "\n".join(lines) + "\n"


def _attribute_lines(attr: dict[str, Any]) -> list[str]:
    curves = attr["curves"]
    logm, M = curves["log M"], curves["M"]
    exact = [k for k, acc in zip(logm["ks"], logm["accuracy"]) if acc == 1.0]
    best = max(range(len(M["ks"])), key=lambda i: M["accuracy"][i])
    first_full = next(
        (k for k in logm["ks"] if all(acc == 1.0 for kk, acc in zip(logm["ks"], logm["accuracy"]) if kk >= k)), None
    )
    return [
        "",
        f"## Theory check: the binary-attribute model (d = {attr['d']}, {2 ** attr['d']} words)",
        "",
        "Every word is a vector of binary attributes; the analogy families flip one attribute, so the right "
        "answers are known exactly. log M has rank d + 1 with eigenvectors affine in the attributes.",
        f"- log M: 100% protocol-B accuracy for every K >= {first_full} "
        f"({len(exact)} of {len(logm['ks'])} values of K tested).",
        f"- M: accuracy peaks at {_pct(M['accuracy'][best])} (K = {M['ks'][best]}) and falls to "
        f"{_pct(M['accuracy'][-1])} at K = {M['ks'][-1]} as higher-order modes enter.",
        f"- M*: {_pct(curves['M*']['accuracy'][-1])} at K = {curves['M*']['ks'][-1]}.",
    ]


#: The smallest vocabulary whose words some of the analogy questions use (at 60 words none did).
MIN_VOCAB = 300


def check_config(cfg: DemoConfig) -> None:
    """Refuse settings the demo cannot run with, before its corpus is built (that takes the first minutes)."""
    from .._core.device import resolve_device
    from .._core.errors import InvalidParameterError
    from .._core.params import Interval, validate

    validate(
        {"vocab_size": cfg.vocab_size, "dim": cfg.dim, "window": cfg.window},
        {"vocab_size": Interval(int, MIN_VOCAB, None), "dim": Interval(int, 1, None), "window": Interval(int, 1, None)},
        "demo",
    )
    if cfg.dim > cfg.vocab_size - 2:
        raise InvalidParameterError(
            f"demo: dim = {cfg.dim} eigenpairs of a {cfg.vocab_size}-word target: at most vocab_size - 2 = "
            f"{cfg.vocab_size - 2}."
        )
    resolve_device(cfg.device)  # 'bogus' fails here; 'cuda' without CuPy or a GPU too


def with_overrides(config: DemoConfig, **changes: Any) -> DemoConfig:
    """A copy of ``config`` with some fields changed (e.g. a smaller vocabulary for a quick look)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
