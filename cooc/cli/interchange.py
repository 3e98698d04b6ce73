"""`cooc export`, `cooc import` and `cooc neighbours`: the peers' formats one command away, and nearest words."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ._common import JSON, check_file_output, cli_errors, console, kv_table, print_json, refuse_existing

EXPORT_FORMATS = ("glove", "mm", "npz", "word2vec", "word2vec-bin")
IMPORT_FORMATS = ("glove", "word2vec", "word2vec-bin")


def export_command(source: Path, output: Path, fmt: str, overwrite: bool = False) -> list[Path]:
    """Write counts (glove, mm, npz) or an embedding (word2vec text or binary) in a peer's format.

    Refused before anything is written: an output that is one of the source's own files or of another
    saved cooc output (with or without ``overwrite``), and existing outputs unless ``overwrite``. The
    outputs' lock is held while they are written (another writer of the same base is refused).
    """
    from .._core.errors import InvalidParameterError
    from .._core.kinds import kind_of
    from .._core.locks import lock_output
    from ..cooccurrence import load
    from ..cooccurrence.interchange import export_counts, export_paths, refuse_cooc_files
    from ..embedding import Embedding

    if fmt not in EXPORT_FORMATS:
        raise InvalidParameterError(f"--to must be one of {EXPORT_FORMATS}, got {fmt!r}.")
    check_file_output(output, fmt)
    kind = kind_of(source)  # None: the loaders below say what is wrong (a missing or damaged file, a corpus)
    if fmt.startswith("word2vec"):
        if kind == "cooccurrence":
            raise InvalidParameterError(
                f"{str(source)!r} holds counts: use --to glove, mm or npz ({fmt} is for embeddings)."
            )
        target = output if output.suffix else output.with_suffix(".bin" if fmt == "word2vec-bin" else ".vec")
        outputs = [target]
    else:
        if kind == "embedding":
            raise InvalidParameterError(
                f"{str(source)!r} is an embedding: use --to word2vec or word2vec-bin ({fmt} is for counts)."
            )
        outputs = list(export_paths(output, fmt))
    refuse_source_files(source, outputs)
    refuse_cooc_files(outputs)  # nor over another saved output's files, in any format (--overwrite or not)
    with lock_output(outputs[0].with_suffix(""), "export"):
        refuse_existing(outputs, overwrite)
        if fmt.startswith("word2vec"):
            return [Embedding.load(source).save_word2vec_format(outputs[0], binary=fmt == "word2vec-bin")]
        return export_counts(load(source), output, fmt)


def refuse_source_files(source: Path, outputs: list[Path]) -> None:
    """Refuse an output that is one of the files of the cooc output ``source`` (``<base>.npz``,
    ``<base>.json``, or inside ``<base>.blocks``), by path, through links, or as the same file."""
    from .._core.errors import InvalidParameterError

    base = source.with_suffix("") if source.suffix in (".npz", ".json") else source
    own = [base.with_name(base.name + suffix) for suffix in (".npz", ".json")]
    folder = os.path.realpath(base.with_name(base.name + ".blocks"))
    for out in outputs:
        real = os.path.realpath(out)
        if real.startswith(folder + os.sep) or any(real == os.path.realpath(p) or _same_file(out, p) for p in own):
            raise InvalidParameterError(
                f"{str(out)!r} is a file of the source {str(source)!r}; the export would destroy it: choose another -o."
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def import_command(source: Path, output: Path, fmt: str, vocab: Path | None, overwrite: bool) -> Path:
    """Read a GloVe co-occurrence file (with its vocabulary) or word2vec vectors; save them in cooc's format."""
    from .._core.errors import InvalidParameterError, OutputExistsError
    from ..cooccurrence.format import file_paths
    from ..cooccurrence.interchange import import_glove
    from ..embedding import Embedding

    if fmt not in IMPORT_FORMATS:
        raise InvalidParameterError(f"--from must be one of {IMPORT_FORMATS}, got {fmt!r}.")
    check_file_output(output, "imported")
    npz, meta = file_paths(output)
    if (npz.exists() or meta.exists()) and not overwrite:
        raise OutputExistsError(f"{str(npz)!r} already exists; pass --overwrite to replace it.")
    if fmt == "glove":
        if vocab is None:
            raise InvalidParameterError("--from glove needs --vocab (the vocab_count file of the counts).")
        return import_glove(source, vocab).save(output)
    if vocab is not None:
        raise InvalidParameterError(f"--vocab does not apply to --from {fmt}: a vectors file holds its own words.")
    return Embedding.load_word2vec_format(source, binary=fmt == "word2vec-bin").save(output)


def register(app: typer.Typer) -> None:
    @app.command("export")
    @cli_errors
    def export(
        source: Path = typer.Argument(
            ..., help="Counts (`cooc count`) or an embedding (`cooc embed`, `train word2vec`)."
        ),
        output: Path = typer.Option(
            ..., "--output", "-o", help="Output path (suffixes are added: .bin/.mtx/.npz/.vec)."
        ),
        fmt: str = typer.Option(
            ...,
            "--to",
            help="glove (binary records + vocab), mm (Matrix Market), npz (scipy) for counts; "
            "word2vec (text, fastText's .vec) or word2vec-bin for embeddings.",
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files."),
    ) -> None:
        """Write counts or vectors in a peer's format (GloVe, scipy, Matrix Market, word2vec)."""
        for path in export_command(source, output, fmt, overwrite):
            console.print(f"wrote {path}")

    @app.command("import")
    @cli_errors
    def import_(
        source: Path = typer.Argument(..., help="A GloVe co-occurrence file, or word2vec/fastText/GloVe vectors."),
        output: Path = typer.Option(..., "--output", "-o", help="Where to write cooc's .npz + .json."),
        fmt: str = typer.Option(
            ...,
            "--from",
            help="glove (cooccur's binary records; needs --vocab), word2vec (text: .vec, GloVe's "
            "vectors.txt) or word2vec-bin.",
        ),
        vocab: Path | None = typer.Option(None, help="GloVe's vocab_count file (word count per line)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    ) -> None:
        """Read a peer's counts or vectors into cooc's format."""
        console.print(f"wrote {import_command(source, output, fmt, vocab, overwrite)}")

    @app.command("neighbours")
    @cli_errors
    def neighbours(
        embedding: Path = typer.Argument(..., help="An embedding written by cooc."),
        words: list[str] = typer.Argument(..., help="Query words (the nearest words of each are listed)."),
        topn: int = typer.Option(10, help="How many neighbours per word."),
        negative: list[str] = typer.Option([], help="Subtract these words (all queries), as in most_similar."),
        as_json: bool = JSON,
    ) -> None:
        """The nearest words (cosine) of each query word."""
        from .._core.errors import InvalidParameterError, UnknownWordError
        from .._core.logs import log
        from ..embedding import Embedding

        if topn < 1:  # most_similar returns nothing then, as gensim's does: an empty table
            raise InvalidParameterError(f"--topn must be at least 1, got {topn}.")
        emb = Embedding.load(embedding, mmap=True)
        missing = []  # unknown query words are skipped with a warning; an error when none is known
        for word in words:
            try:
                emb.index(word)
            except UnknownWordError as err:
                missing.append(err)
        if len(missing) == len(words):
            raise missing[0]
        for unknown in missing:
            log.warning("%s; skipped.", unknown)
        result = {w: emb.most_similar(w, negative or None, topn=topn) for w in words if w in emb}
        if as_json:
            print_json({w: [{"word": n, "cosine": c} for n, c in near] for w, near in result.items()})
            return
        for word, near in result.items():
            console.print(kv_table(f"neighbours of {word}", [(n, f"{c:.4f}") for n, c in near]))
