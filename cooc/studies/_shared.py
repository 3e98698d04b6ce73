"""Helpers shared by the studies (``cooc/studies/``, ``analyses/`` in a checkout): ``--full``, output folders, JSON, caches.

Every study calls :func:`start` first. It reads ``--full`` (and ``--output``, ``--resume`` and
``--jobs``: training runs at once, in processes of their own) from the command line, ignoring
arguments it does not know, so a study runs the same way as a script, under ``cooc analyses
run`` and inside Jupyter (whose kernel passes arguments of its own).
Results go to ``--output`` (default ``analyses/out/<study>/``): PNG figures and ``results.json``.

Intermediate data (the Wikipedia corpus and counts, keyed by their settings; sampled
corpora) go to the study's cache: ``$COOC_ANALYSES_CACHE`` when set (share one build
between studies and runs), else ``<out>/_cache`` when ``--output`` is given, so that a study
run with ``--output`` writes nothing anywhere else (a read-only checkout or an installed
package works), else ``analyses/out/_cache`` (shared by the studies run with their default
output folders).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cooc.experiments.studies import out_root

ANALYSES_DIR = Path(__file__).resolve().parent
# beside the studies in a checkout (analyses/out); ./analyses-out from an installed package
OUT_ROOT = out_root(ANALYSES_DIR)
CACHE = OUT_ROOT / "_cache"  # without --output; start() points _cache_root() elsewhere with --output
ENV_CACHE = "COOC_ANALYSES_CACHE"
_active_cache: Path | None = None
FULL_SOURCE = "hf:wikimedia/wikipedia:20231101.en"


@dataclass
class Study:
    """One run of a study: its settings, output folder, figures and numbers."""

    name: str
    full: bool
    out: Path
    cache: Path = CACHE
    started: float = field(default_factory=time.perf_counter)
    figures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    resume: bool = False
    jobs: int = 1
    _ledger: Any = None

    @property
    def ledger(self) -> Any:
        """The study's :class:`~cooc._core.ledger.RunLedger` (``<out>/runs.jsonl``) when it resumes, else None.

        Studies pass it to their training loops: each finished run is recorded, and a study run
        again into the same output folder takes the recorded runs instead of training them.
        """
        if not self.resume:
            return None
        if self._ledger is None:
            from cooc._core.ledger import RunLedger

            self._ledger = RunLedger(self.out / "runs.jsonl", on_add=self._recorded)
            if len(self._ledger):
                print(
                    f"{self.name}: {len(self._ledger)} finished runs recorded in {self._ledger.path}; they are reused"
                )
        return self._ledger

    def _recorded(self, row: dict[str, Any]) -> None:
        """One line per finished training run (progress bars stay silent when the output goes to a file)."""
        if "rows" in row:  # an ensemble of networks trained together
            what, score = f"{len(row['rows'])} networks trained together", ""
        else:
            keys = ("model", "learner", "L", "f", "P", "seed")
            what = ", ".join(f"{k} {row[k]}" for k in keys if isinstance(row.get(k), (str, int, float)))
            name, value = next(
                ((k, row[k]) for k in ("test_loss_last", "test_loss", "accuracy") if k in row), ("", None)
            )
            score = f": {name.replace('_', ' ')} {value:.4f}" if isinstance(value, float) else ""
        print(f"{self.name}: run {len(self._ledger)} recorded ({what}){score}", flush=True)

    def figure(self, fig: Any, filename: str) -> Path:
        """Save a matplotlib figure as ``<out>/<filename>`` and close it."""
        from cooc.plots import finish, pyplot

        path = self.out / filename
        finish(fig, path, dpi=110)
        pyplot().close(fig)
        self.figures.append(filename)
        return path

    def work(self, name: str) -> Path:
        """A folder for intermediate data (sampled corpora), rewritten on every run: ``<cache>/<study>/<name>``."""
        path = self.cache / self.name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def lap(self, label: str) -> None:
        """Record the seconds since the study started, under ``label``."""
        self.seconds[label] = round(time.perf_counter() - self.started, 2)

    def save(self, results: dict[str, Any]) -> Path:
        """Write ``<out>/results.json``: the numbers, the figures, the settings and the time taken."""
        from cooc._core.io import atomic_write_json

        self.seconds["total"] = round(time.perf_counter() - self.started, 2)
        path = self.out / "results.json"
        atomic_write_json(
            path,
            _plain(
                {
                    "study": self.name,
                    "full": self.full,
                    "figures": self.figures,
                    "seconds": self.seconds,
                    "results": results,
                }
            ),
        )
        print(
            f"{self.name}: {len(self.figures)} figures and results.json in {self.out} ({self.seconds['total']:.0f} s)"
        )
        return path


def start(name: str, argv: list[str] | None = None) -> Study:
    """Parse ``--full`` / ``--output`` and create the study's output folder."""
    parser = argparse.ArgumentParser(prog=f"analyses/{name}.py", add_help=True)
    # A notebook kernel's own argv is Jupyter's: `cooc analyses run --notebook` passes the settings
    # through COOC_STUDY_FULL, COOC_STUDY_RESUME and COOC_STUDY_OUT instead.
    parser.add_argument(
        "--full",
        action="store_true",
        default=bool(os.environ.get("COOC_STUDY_FULL")),
        help="the paper-scale settings (GPU, full Wikipedia)",
    )
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default={"1": True, "0": False}.get(os.environ.get("COOC_STUDY_RESUME", "")),
        help="record every training run in <output>/runs.jsonl and reuse the ones recorded (default: with --full)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("COOC_STUDY_JOBS") or 1),
        help="training runs at once, each in a process of its own (the studies whose runs are single networks)",
    )
    parser.add_argument(
        "--output",
        "-o",
        "--out",
        dest="out",
        default=os.environ.get("COOC_STUDY_OUT") or None,
        help=f"output folder (default {OUT_ROOT / name})",
    )
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out) if args.out else OUT_ROOT / name
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(os.environ[ENV_CACHE]) if os.environ.get(ENV_CACHE) else (out / "_cache" if args.out else CACHE)
    global _active_cache
    _active_cache = cache
    full = bool(args.full)
    resume = full if args.resume is None else bool(args.resume)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    return Study(name, full, out, cache, resume=resume, jobs=args.jobs)


def _cache_root() -> Path:
    """The cache of the study started last (see the module docstring), or the default one."""
    return _active_cache if _active_cache is not None else CACHE


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays become Python numbers and lists, NaN becomes None."""
    from cooc._core.io import jsonable

    return jsonable(value)


# -- the Wikipedia data ---------------------------------------------------------------------------
def shared(make: Callable[[], Any], what: str, poll: float = 1.0, limit: float = 6 * 3600.0) -> Any:
    """``make()``, waiting while another study that shares this cache writes (or reads) what it needs.

    Studies run at once with one cache (``COOC_ANALYSES_CACHE``) build the shared corpus and counts
    once: the first holds its lock, the others wait here (polling every ``poll`` s, at most ``limit``
    s), then reuse what it made.
    """
    from cooc._core.errors import OutputBusyError

    started, told = time.monotonic(), False
    while True:
        try:
            return make()
        except OutputBusyError:
            if time.monotonic() - started > limit:
                raise
            if not told:
                print(f"waiting for another study to finish {what} in the shared cache ...", flush=True)
                told = True
            time.sleep(poll)


def wikipedia_corpus(full: bool = False, progress: bool = False) -> Any:
    """The tokenised Wikipedia corpus: gensim's shipped sample, or full English Wikipedia with ``full``."""
    from cooc import build_corpus
    from cooc.corpus.tokenize import Tokenizer
    from cooc.data import wiki_sample_path

    source = FULL_SOURCE if full else str(wiki_sample_path())
    folder = _cache_root() / ("wikipedia-full" if full else "wiki-sample") / "corpus"
    return shared(
        lambda: build_corpus(
            source,
            folder,
            tokenizer=Tokenizer(min_doc_tokens=200 if full else 0),
            workers=None if full else 1,
            progress=progress,
        ),
        "the Wikipedia corpus",
    )


def wikipedia_counts(
    vocab_size: int, full: bool = False, window: int = 16, weighting: str = "linear", progress: bool = False
) -> tuple[Any, Any]:
    """(corpus, counts) of the Wikipedia corpus, counted once per setting and cached.

    Window 16 with linear weights is the papers' setting (docs/science.md, section 1).
    """
    from cooc import Cooccurrence, count_cooccurrences

    corpus = wikipedia_corpus(full, progress)
    path = corpus.path.parent / f"counts-V{vocab_size}-L{window}-{weighting}"

    def counts() -> Any:
        if Path(str(path) + ".json").exists():
            return Cooccurrence.load(path)
        cooc = count_cooccurrences(
            corpus.path,  # opened in each try: another study's build may hold it
            window=window,
            weighting=weighting,
            vocab_size=vocab_size,
            device="auto" if full else "cpu",
            workers=None if full else 2,
            progress=progress,
        )
        cooc.save(path)
        return cooc

    return corpus, shared(counts, f"the counts {path.name}")


# -- sampled corpora ----------------------------------------------------------------------------
def write_corpus(path: Path, docs: Any, words: list[str], source: str) -> Any:
    """Sampled documents of word indices, shape (n_docs, T), written as a TokenCorpus.

    cooc's ids are frequency ranks, so the words are re-ranked by their sampled counts
    (ties alphabetical); words never sampled are left out.
    """
    import numpy as np

    from cooc.corpus.store import CorpusWriter
    from cooc.corpus.vocab import Vocabulary

    docs = np.asarray(docs)
    counts = np.bincount(docs.ravel(), minlength=len(words))
    present = np.flatnonzero(counts)
    order = present[np.lexsort((np.array(words, dtype=object)[present].astype(str), -counts[present]))]
    remap = np.full(len(words), -1, dtype=np.int64)
    remap[order] = np.arange(order.size)
    vocab = Vocabulary([words[i] for i in order], counts[order])
    n_docs, length = docs.shape
    with CorpusWriter(
        path, vocab, {"kind": source}, {"source": source, "n_docs": n_docs, "length": length}, overwrite=True
    ) as writer:
        writer.add_documents(remap[docs].ravel().astype(np.int32), np.arange(0, docs.size + 1, length, dtype=np.int64))
    return writer.close()
