"""`cooc corpus build/info` through typer's CliRunner: results and one-line errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from cooc.cli import app
from cooc.corpus.store import TokenCorpus

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_build_and_info(tmp_path):
    (tmp_path / "in.txt").write_text("the cat sat\nthe dog sat on the mat\n")
    result = invoke("corpus", "build", tmp_path / "in.txt", "-o", tmp_path / "c", "--no-progress", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert "documents" in result.output and "the (3)" in result.output
    corpus = TokenCorpus.open(tmp_path / "c")
    assert corpus.n_docs == 2 and corpus.n_tokens == 9
    result = invoke("corpus", "info", tmp_path / "c")
    assert result.exit_code == 0 and "9" in result.output


def test_parquet_with_text_field(tmp_path):
    pq.write_table(pa.Table.from_pylist([{"body": "alpha beta"}, {"body": "beta gamma"}]), tmp_path / "d.parquet")
    result = invoke(
        "corpus",
        "build",
        tmp_path / "d.parquet",
        "-o",
        tmp_path / "c",
        "--text-field",
        "body",
        "--no-progress",
        "--threads",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert TokenCorpus.open(tmp_path / "c").vocab.words == ["beta", "alpha", "gamma"]


def test_substitution_table(tmp_path):
    (tmp_path / "in.txt").write_text("I moved to New York\n")
    (tmp_path / "subs.txt").write_text("new york\n")
    result = invoke(
        "corpus",
        "build",
        tmp_path / "in.txt",
        "-o",
        tmp_path / "c",
        "--substitutions",
        tmp_path / "subs.txt",
        "--no-progress",
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "new-york" in TokenCorpus.open(tmp_path / "c").vocab


def error_line(result):
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_errors_are_one_line(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "in.txt").write_text("some words here\n")
    pq.write_table(pa.Table.from_pylist([{"body": "x"}]), tmp_path / "d.parquet")
    out = tmp_path / "out"
    assert "no tokens" in error_line(invoke("corpus", "build", tmp_path / "empty.txt", "-o", out, "--no-progress"))
    assert "binary" in error_line(
        invoke("corpus", "build", tmp_path / "bin.dat", "-o", out, "--no-progress", "--threads", "1")
    )
    assert "no column 'text'" in error_line(invoke("corpus", "build", tmp_path / "d.parquet", "-o", out))
    assert "vocab_size" in error_line(invoke("corpus", "build", tmp_path / "in.txt", "-o", out, "--vocab-size", "0"))
    assert "no input files" in error_line(invoke("corpus", "build", tmp_path / "missing.txt", "-o", out))
    assert invoke("corpus", "build", tmp_path / "in.txt", "-o", out, "--no-progress", "--threads", "1").exit_code == 0
    assert "--overwrite" in error_line(
        invoke("corpus", "build", tmp_path / "in.txt", "-o", out, "--vocab-size", "1", "--no-progress")
    )
    shard = out / "shards" / "tokens-00000.npy"
    shard.write_bytes(shard.read_bytes()[:-4] + b"\x07\x00\x00\x00")
    assert "checksum" in error_line(invoke("corpus", "info", out))
    (out / "manifest.json").write_text(json.dumps({"format": "x"}))
    assert "not a cooc corpus" in error_line(invoke("corpus", "info", out))


def test_options_a_source_never_reads_are_refused_not_ignored(tmp_path):
    from cooc.cli.corpus import GRAMMAR_ONLY, TEXT_ONLY

    (tmp_path / "in.txt").write_text("the cat sat\n")
    grammar = "rhm:v=8,n_c=8,m=2,s=2,L=2"
    res = invoke("corpus", "build", grammar, "-o", tmp_path / "g", "--vocab-size", 3, "--min-count", 5)
    assert res.exit_code != 0 and not (tmp_path / "g").exists()
    assert (
        res.output == "error: --vocab-size, --min-count do not apply to a grammar source "
        "(it samples sentences of the grammar's symbols).\n"
    )
    text_only = "--vocab-size --min-count --min-doc-tokens --rule --non-ascii --substitutions --threads --format"
    for flag in (text_only + " --text-field --oov --max-docs").split():  # each alone, not its default value
        value = {"--rule": "alpha", "--non-ascii": "drop", "--format": "text", "--text-field": "body"}.get(flag, 2)
        value = "drop" if flag == "--oov" else value
        res = invoke("corpus", "build", grammar, "-o", tmp_path / "g", flag, value)
        assert res.exit_code != 0 and f"error: {flag} does not apply to a grammar source" in res.output, res.output
    res = invoke("corpus", "build", tmp_path / "in.txt", "-o", tmp_path / "t", "--seed", 3)
    assert res.exit_code != 0 and res.output == "error: --seed does not apply to a text source.\n"
    res = invoke("corpus", "build", tmp_path / "in.txt", "-o", tmp_path / "t", "--max-docs", 0)
    assert res.exit_code != 0 and res.output == "error: --max-docs must be at least 1, got 0.\n"
    # every flag of the two lists is one of the command's, and the options each source reads still work
    flags = {p.opts[0] if len(p.opts) == 1 else next(o for o in p.opts if o.startswith("--")) for p in _build_params()}
    assert set(TEXT_ONLY.values()) | set(GRAMMAR_ONLY.values()) <= flags | {"--threads"}
    assert invoke("corpus", "build", grammar, "-o", tmp_path / "g", "--documents", 20, "--seed", 2).exit_code == 0
    res = invoke("corpus", "build", tmp_path / "in.txt", "-o", tmp_path / "t", "--vocab-size", 2, "--max-docs", 1)
    assert res.exit_code == 0 and len(TokenCorpus.open(tmp_path / "t").vocab) == 2


def _build_params():
    import typer.main

    group = typer.main.get_command(app)
    return group.commands["corpus"].commands["build"].params
