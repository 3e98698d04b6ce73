"""`cooc corpus build` and `cooc corpus info`."""

from __future__ import annotations

from pathlib import Path

import typer

from .._core.errors import InvalidParameterError
from ._common import JSON, PROGRESS, cli_errors, console, interrupt_keeps, kv_table, print_json, refuse_given

corpus_app = typer.Typer(help="Build and inspect token corpora.", no_args_is_help=True)


def _is_grammar(spec: str) -> bool:
    try:
        from ..grammars.source import is_grammar_spec
    except ImportError:
        return False
    return is_grammar_spec(spec)


@corpus_app.command("build")
@cli_errors
def build(
    ctx: typer.Context,
    source: str = typer.Argument(
        ...,
        help="A file, directory or glob; hf:NAME[:CONFIG[:SPLIT]] "
        "(e.g. hf:wikimedia/wikipedia:20231101.en); a folder written by datasets' save_to_disk "
        "(hf:FOLDER::SPLIT for one split of a DatasetDict); a Wikipedia XML dump; "
        "bible:kjv[:book|chapter|verse] (the King James Bible, from Debian's bible-kjv-text); "
        "or a grammar spec such as rhm:v=32,n_c=32,m=8,s=2,L=3.",
    ),
    out: Path = typer.Option(..., "--output", "-o", "--out", help="Output corpus directory."),
    vocab_size: int | None = typer.Option(None, help="Keep the N most frequent words (ties alphabetical)."),
    min_count: int = typer.Option(1, help="Words seen fewer times are out of vocabulary."),
    min_doc_tokens: int = typer.Option(0, help="Drop documents with fewer tokens (the papers use 200)."),
    rule: str = typer.Option("wiki", help="Tokeniser rule: wiki ([a-z0-9]+) or alpha ([a-z]+)."),
    non_ascii: str = typer.Option(
        "transliterate",
        help="Letters outside ASCII: transliterate (Zürich -> zurich; words that cannot be are dropped), "
        "drop the word, or split it as the papers' literal rule does.",
    ),
    substitutions: Path | None = typer.Option(None, help="Multi-word table: 'phrase[<TAB>token]' per line."),
    workers: int | None = typer.Option(
        None,
        "--threads",
        "--workers",
        help="Tokenising worker processes (default: the cores available to this process).",
    ),
    format: str | None = typer.Option(
        None, help="text, paragraphs, jsonl, parquet, hf or wikixml (detected if omitted)."
    ),
    text_field: str = typer.Option(
        "text",
        help="Field/column with the text (JSONL, Parquet, datasets); null reads as an empty document, a value that is not a string is refused.",
    ),
    oov: str = typer.Option("keep", help="keep out-of-vocabulary tokens as a reserved id, or drop them."),
    shard_tokens: int = typer.Option(1 << 24, help="Tokens per shard."),
    max_docs: int | None = typer.Option(None, help="Stop after this many source documents."),
    documents: int = typer.Option(10000, help="Grammar sources: number of documents to sample."),
    seed: int = typer.Option(0, min=0, help="Grammar sources: random seed."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a different corpus already in --output."),
    progress: bool = PROGRESS,
) -> None:
    """Build a token corpus (int32 shards + vocabulary + manifest) from SOURCE; an interrupted build resumes."""
    _refuse_options_that_do_not_apply(ctx, _is_grammar(source))
    if max_docs is not None and max_docs < 1:
        raise InvalidParameterError(f"--max-docs must be at least 1, got {max_docs}.")
    if _is_grammar(source):
        from ..grammars.source import build_grammar_corpus

        interrupt_keeps("nothing is kept (a grammar corpus is sampled again from its seed).")
        corpus = build_grammar_corpus(
            source,
            out,
            documents=documents,
            seed=seed,
            overwrite=overwrite,
            shard_tokens=shard_tokens,
            progress=progress,
        )
    else:
        from ..corpus.build import build_corpus
        from ..corpus.sources import open_source
        from ..corpus.tokenize import Tokenizer, load_substitutions

        table = load_substitutions(substitutions) if substitutions else None
        tokenizer = Tokenizer(rule, table, min_doc_tokens, non_ascii)
        src = open_source(source, format=format, text_field=text_field)
        _refuse_source_options_not_read(ctx, src)
        corpus = build_corpus(
            src,
            out,
            tokenizer=tokenizer,
            vocab_size=vocab_size,
            min_count=min_count,
            oov=oov,
            workers=workers,
            shard_tokens=shard_tokens,
            overwrite=overwrite,
            progress=progress,
            max_docs=max_docs,
        )
    show_info(corpus)


#: options that only text sources read, and those that only grammar sources read (CLI names by parameter)
TEXT_ONLY = {
    "vocab_size": "--vocab-size",
    "min_count": "--min-count",
    "min_doc_tokens": "--min-doc-tokens",
    "rule": "--rule",
    "non_ascii": "--non-ascii",
    "substitutions": "--substitutions",
    "workers": "--threads",
    "format": "--format",
    "text_field": "--text-field",
    "oov": "--oov",
    "max_docs": "--max-docs",
}
GRAMMAR_ONLY = {"documents": "--documents", "seed": "--seed"}


def _refuse_options_that_do_not_apply(ctx: typer.Context, grammar: bool) -> None:
    """An option given on the command line that this kind of source never reads is an error, not ignored."""
    unused = GRAMMAR_ONLY if not grammar else TEXT_ONLY
    kind = "a grammar source (it samples sentences of the grammar's symbols)" if grammar else "a text source"
    refuse_given(ctx, list(unused), kind)


def _refuse_source_options_not_read(ctx: typer.Context, src) -> None:
    """--format and --text-field given for a source that does not read them: the King James Bible reads
    neither (it is bible-kjv-text's, in its own format), and only JSONL, Parquet and datasets have fields."""
    from ..corpus.sources import BibleSource, HFDatasetSource, JSONLSource, ParquetSource

    if isinstance(src, BibleSource):
        refuse_given(
            ctx,
            ["format", "text_field"],
            "the King James Bible",
            "bible:kjv is read from Debian's bible-kjv-text, in its own format.",
        )
    elif not isinstance(src, (JSONLSource, ParquetSource, HFDatasetSource)):
        kind = "a Wikipedia XML source" if type(src).__name__ == "WikiXMLSource" else "a text source"
        refuse_given(
            ctx, ["text_field"], kind, "it names the field or column of the text in JSONL, Parquet and datasets."
        )


@corpus_app.command("info")
@cli_errors
def info(
    path: Path = typer.Argument(..., help="Corpus directory."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Recompute shard checksums."),
    as_json: bool = JSON,
) -> None:
    """Show a corpus' size, vocabulary, source and tokeniser."""
    from ..corpus.store import TokenCorpus

    corpus = TokenCorpus.open(path, verify=verify)
    if as_json:
        print_json(corpus.info())
    else:
        show_info(corpus)


def show_info(corpus, top: int = 10) -> None:
    d = corpus.info(top)
    source = d["source"] or {}
    rows = [
        ("path", d["path"]),
        ("documents", d["documents"]),
        ("tokens", d["tokens"]),
        ("vocabulary", d["vocab_size"]),
        ("oov tokens", f"{d['oov_tokens'] or 0:,} ({d['oov']})"),
        ("shards", d["shards"]),
        ("source", _describe_source(source)),
    ]
    if d["tokenizer"]:
        rows.append(("tokenizer", d["tokenizer"]))
    rows += [("top words", ", ".join(f"{w} ({c})" for w, c in d["top_words"]))]
    console.print(kv_table("corpus", rows))


def _describe_source(source: dict) -> str:
    if source.get("type") == "grammar":
        return f"grammar {source.get('spec')} ({source.get('documents')} documents, seed {source.get('seed')})"
    kind = source.get("kind", "?")
    if kind == "hf":
        return f"hf {source.get('path')} {source.get('name') or ''} [{source.get('split')}]".strip()
    files = source.get("files") or []
    if files:
        more = f" (+{len(files) - 1} more)" if len(files) > 1 else ""
        return f"{kind} {files[0]['path']}{more}"
    return kind


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")
