"""Options the chosen mode never reads are refused in one ``error:`` line, not silently ignored; the same options
still work, and take effect, in the modes that read them. Only options the user set are refused: an option left
at its default is not given (one given with its default value is)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cooc.cli import app
from cooc.embedding import Embedding
from cooc.geometry.symmetry import load_family
from cooc.grammars.attributes import BinaryAttributeModel
from cooc.grammars.latent import LatentVariableModel
from cooc.grammars.taxonomy import TaxonomyModel
from cooc.spectral.estimator import SpectralEmbedding

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def refused(res, message: str) -> None:
    """Exit code 1 (as every refusal of the command line) and exactly one line, ``error: <message>``."""
    assert res.exit_code == 1, res.output
    assert res.output == f"error: {message}\n", res.output


@pytest.fixture
def files(tmp_path):
    """Exact counts of a binary attribute model, an M* embedding of them, an analogy file of its families."""
    model = BinaryAttributeModel(5, p=[0.5, 0.4, 0.3, 0.6, 0.45], s=0.3)
    counts = model.to_cooccurrence()
    counts.save(tmp_path / "counts")
    SpectralEmbedding("mstar", dim=8).fit(counts).embedding_.save(tmp_path / "emb")
    lines = []
    for name, pairs in model.families().items():
        lines.append(f": {name}")
        lines += [f"{a} {b} {c} {d}" for (a, b) in pairs[:4] for (c, d) in pairs[:4] if (a, b) != (c, d)]
    (tmp_path / "q.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "sim.tsv").write_text(f"{model.words[0]}\t{model.words[1]}\t3\n{model.words[0]}\t{model.words[2]}\t1\n")
    return tmp_path, model


# -- embed and sweep: the options of a target that only some targets read ---------------------------------------
READERS = {"--eps": {"logm"}, "--neg": {"sppmi"}, "--alpha": {"m", "logm", "pmi", "ppmi", "sppmi", "mstar"}}
VALUES = {"--eps": "0.5", "--neg": "1.2", "--alpha": "0.5"}
WHAT = {
    "--eps": "it is the floor of log(M + eps), read by target logm only",
    "--neg": "it is SPPMI's shift log(k), read by target sppmi only",
    "--alpha": "it smooths the marginals, and P's entries hold none (every other target reads it)",
}


def test_the_table_of_target_options_matches_the_kinds():
    from cooc.cli.spectral import TARGET_OPTIONS
    from cooc.spectral.kinds import KINDS

    assert {flag: set(kinds) for flag, kinds, _ in TARGET_OPTIONS.values()} == READERS
    assert READERS["--alpha"] == set(KINDS) - {"p"}


@pytest.mark.parametrize("option", list(READERS))
@pytest.mark.parametrize("target", ["p", "m", "logm", "pmi", "ppmi", "sppmi", "mstar"])
def test_embed_refuses_a_target_option_its_target_does_not_read(files, target, option):
    tmp, _ = files
    base = ["embed", tmp / "counts", "--target", target, "--dim", 4, "--no-progress"]
    res = invoke(*base, "-o", tmp / "with", option, VALUES[option])
    if target not in READERS[option]:
        refused(res, f"{option} does not apply to target {target!r}: {WHAT[option]}.")
        assert not (tmp / "with.npz").exists() and not (tmp / "with.json").exists()
        return
    assert res.exit_code == 0, res.output  # read: it changes the embedding
    assert invoke(*base, "-o", tmp / "without").exit_code == 0
    a, b = Embedding.load(tmp / "with").vectors, Embedding.load(tmp / "without").vectors
    assert not np.allclose(np.abs(a), np.abs(b), atol=1e-4)


def test_embed_refuses_the_default_value_given_and_names_every_option_refused(files):
    tmp, _ = files
    res = invoke("embed", tmp / "counts", "-o", tmp / "e", "--dim", 4, "--eps", "0.01", "--neg", "1")  # defaults given
    refused(
        res,
        "--eps does not apply to target 'mstar': " + WHAT["--eps"] + "; --neg does not apply to target 'mstar': "
        + WHAT["--neg"] + ".",
    )  # fmt: skip
    assert invoke("embed", tmp / "counts", "-o", tmp / "e", "--dim", 4).exit_code == 0  # left out: no refusal


def test_embed_marginals_with_target_p_only_on_counts_with_pairs_set_to_independence(files):
    tmp, model = files
    args = ["embed", tmp / "counts", "--target", "p", "--dim", 4, "--marginals", "block"]
    refused(
        invoke(*args, "-o", tmp / "e"),
        "--marginals does not apply to target 'p' on these counts: P's entries hold no marginals (they enter only "
        "pairs set to independence, and these counts have none).",
    )
    assert not (tmp / "e.npz").exists()
    from cooc.cooccurrence.matrix import Cooccurrence

    w = model.words
    zeroed = Cooccurrence.load(tmp / "counts").zero_block([(w[0], w[1]), (w[2], w[5]), (w[3], w[8])])
    zeroed.save(tmp / "zeroed")
    vectors = {}
    for marginals in ("global", "block"):
        res = invoke(
            "embed", tmp / "zeroed", "--target", "p", "--dim", 4, "--marginals", marginals, "-o", tmp / marginals
        )
        assert res.exit_code == 0, res.output
        vectors[marginals] = Embedding.load(tmp / marginals).vectors
    assert not np.allclose(np.abs(vectors["global"]), np.abs(vectors["block"]), atol=1e-6)


def test_sweep_refuses_eps_when_no_target_is_logm(files):
    tmp, _ = files
    args = ["sweep", tmp / "counts", "--dims", "2,4", "--questions", tmp / "q.txt", "--no-progress"]
    res = invoke(*args, "--targets", "m,ppmi", "--eps", "0.5", "-o", tmp / "s")
    refused(res, f"--eps does not apply to targets m, ppmi: {WHAT['--eps']}.")
    assert not (tmp / "s").exists()
    curves = {}
    for eps, name in (("0.5", "a"), ("1e-9", "b")):
        res = invoke(*args, "--targets", "m,logm", "--eps", eps, "-o", tmp / name, "--json")
        assert res.exit_code == 0, res.output
        curves[name] = json.loads(res.stdout)
    assert curves["a"]["m"]["accuracy"] == curves["b"]["m"]["accuracy"]
    assert curves["a"]["logm"]["accuracy"] != curves["b"]["logm"]["accuracy"]  # eps reaches logm


@pytest.mark.parametrize("command", ["embed", "sweep"])
def test_threads_are_refused_on_a_gpu(files, command):
    """Refused before any GPU is touched, so on any machine."""
    tmp, _ = files
    extra = ["-o", tmp / "e"] if command == "embed" else ["-o", tmp / "s", "--questions", tmp / "q.txt"]
    res = invoke(command, tmp / "counts", "--dims" if command == "sweep" else "--dim", 2, "--device", "cuda",
                 "--threads", 1, *extra)  # fmt: skip
    refused(
        res,
        "--threads does not apply to --device cuda: it sets the BLAS threads of the CPU solvers, and the target "
        "and its eigenpairs are computed on the GPU.",
    )


def test_threads_reach_the_torch_solver(files, monkeypatch):
    """``--solver torch`` on the CPU solves in torch, whose threads are not the BLAS's: --threads sets them too."""
    torch = pytest.importorskip("torch")
    import cooc.spectral.eigen as eigen

    tmp, _ = files
    seen = []
    real = eigen._torch

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(eigen, "_torch", spy)
    monkeypatch.setattr(eigen, "ONE_THREAD", 0)  # these counts are small enough for one thread anyway
    before = torch.get_num_threads()
    res = invoke("embed", tmp / "counts", "--dim", 4, "--solver", "torch", "--threads", 1, "-o", tmp / "e")
    assert res.exit_code == 0, res.output
    res = invoke("sweep", tmp / "counts", "--targets", "m", "--dims", 2, "--solver", "torch", "--threads", 1,
                 "--questions", tmp / "q.txt", "-o", tmp / "s")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert seen == [1, 1] and torch.get_num_threads() == before


# -- eval analogy and similarity ---------------------------------------------------------------------------------
def _analogy(tmp, *args):
    res = invoke("eval", "analogy", tmp / "emb", "--questions", tmp / "q.txt", "--json", *args)
    return res if res.exit_code else json.loads(res.stdout)


def test_analogy_include_query_only_with_protocol_pairs(files):
    tmp, _ = files
    message = (
        "--include-query does not apply to protocol gensim: it always excludes the query words, as gensim does; "
        "--protocol pairs lets them compete."
    )
    refused(_analogy(tmp, "--include-query"), message)  # gensim is the default protocol
    refused(_analogy(tmp, "--protocol", "gensim", "--include-query"), message)
    assert _analogy(tmp, "--no-include-query")["settings"]["exclude_query"] is True  # what gensim does: accepted
    excluded, included = _analogy(tmp, "--protocol", "pairs"), _analogy(tmp, "--protocol", "pairs", "--include-query")
    assert excluded["settings"]["exclude_query"] is True and included["settings"]["exclude_query"] is False


def test_analogy_query_only_with_method_add(files):
    tmp, _ = files
    refused(
        _analogy(tmp, "--method", "mul", "--query", "raw"),
        "--query does not apply to --method mul: 3CosMul scores the cosines of the query words, whatever their "
        "vectors' lengths; --query chooses 3CosAdd's query vector.",
    )
    assert _analogy(tmp, "--method", "add", "--query", "raw")["settings"]["query"] == "raw"
    mul = _analogy(tmp, "--method", "mul")["settings"]
    assert mul["method"] == "mul" and mul["query"] is None  # no query vector is chosen: none is recorded


@pytest.mark.parametrize("command", ["analogy", "similarity"])
def test_overwrite_needs_an_output_file(files, command):
    tmp, _ = files
    extra = ["--questions", tmp / "q.txt"] if command == "analogy" else ["--pairs", tmp / "sim.tsv"]
    refused(
        invoke("eval", command, tmp / "emb", *extra, "--overwrite"),
        "--overwrite does not apply to a run without --output: it replaces an existing --output file.",
    )
    for _ in range(2):  # with --output it replaces the file
        res = invoke("eval", command, tmp / "emb", *extra, "--output", tmp / f"{command}.json", "--overwrite")
        assert res.exit_code == 0, res.output


# -- geometry ----------------------------------------------------------------------------------------------------
def test_places_n_is_refused_for_us_states(months):
    res = invoke("geometry", "places", months / "emb", "--n", 20, "--out", months / "figs")
    refused(
        res,
        "--n does not apply to --set us_states: every state (with DC) is used; --n picks the most populous "
        "world_cities.",
    )
    res = invoke("geometry", "places", months / "emb", "--set", "us_states", "--n", 200, "--out", months / "figs")
    assert res.exit_code == 1 and res.output.startswith("error: --n does not apply") and not (months / "figs").exists()


def test_places_n_reaches_world_cities(tmp_path):
    from cooc.geometry.places import load_places

    cities = load_places("world_cities", 60)
    model = LatentVariableModel(len(cities.words), "plane", positions=np.column_stack([cities.lon, cities.lat]),
                                scale=30.0, n_fillers=10, words=list(cities.words))  # fmt: skip
    SpectralEmbedding("mstar", dim=20).fit(model.exact_cooccurrence()).embedding_.save(tmp_path / "emb")
    found = []
    for n in (30, 60):
        res = invoke("geometry", "places", tmp_path / "emb", "--set", "world_cities", "--n", n, "--json",
                     "--out", tmp_path / str(n))  # fmt: skip
        assert res.exit_code == 0, res.output
        found.append(json.loads(res.stdout)["in_vocabulary"])
    assert found == [30, 60]


@pytest.mark.parametrize(
    "extra, flags",
    [
        (["--instances"], "--instances does"),
        (["--no-instances"], "--no-instances does"),
        (["--monosemy", "noun"], "--monosemy does"),
        (["--monosemy", "all"], "--monosemy does"),  # the default value, given
        (["--instances", "--monosemy", "noun"], "--instances, --monosemy do"),
    ],
)
def test_hypernymy_wordnet_options_are_refused_with_an_edge_file(tmp_path, extra, flags):
    model = TaxonomyModel(branching=2, depth=3, beta=1.0)
    SpectralEmbedding("mstar", dim=5).fit(model.exact_cooccurrence(window=1)).embedding_.save(tmp_path / "emb")
    edges = tmp_path / "tree.tsv"
    edges.write_text("".join(f"{model.words[c]}\t{model.words[p]}\n" for c, p in enumerate(model.parents) if p >= 0))
    res = invoke("geometry", "hypernymy", tmp_path / "emb", "--edges", edges, *extra, "--out", tmp_path / "figs")
    refused(
        res,
        f"{flags} not apply to --edges: they choose WordNet's hypernyms and words; an edge file is taken as it is.",
    )
    assert not (tmp_path / "figs").exists()
    res = invoke("geometry", "hypernymy", tmp_path / "emb", "--edges", edges, "--samples", 10, "--depth", 2,
                 "--out", tmp_path / "figs")  # fmt: skip
    assert res.exit_code == 0, res.output


def test_symmetry_robustness_options_need_robustness(months):
    base = ["geometry", "symmetry", months / "emb", "--out", months / "figs"]
    why = "they set the re-embedding after the family's block is zeroed (--robustness, with --cooc)."
    refused(invoke(*base, "--dim", 12), f"--dim does not apply to a run without --robustness: {why}")
    refused(
        invoke(*base, "--dim", 12, "--extra-words", "months-helpers", "--cooc", months / "counts.npz"),
        f"--dim, --extra-words do not apply to a run without --robustness: {why}",
    )
    assert not (months / "figs").exists()
    zeroed = []
    for extra in ([], ["--extra-words", "months-helpers"]):
        res = invoke(*base, "--cooc", months / "counts.npz", "--robustness", "--dim", 12, "--json", "--overwrite",
                     *extra)  # fmt: skip
        assert res.exit_code == 0, res.output
        zeroed.append(json.loads(res.stdout)["robustness"]["zeroed_pairs"])
    assert zeroed == [144, 144]  # months-helpers' words are not in this vocabulary: nothing more to zero


def test_symmetry_splits_need_the_year_probe(months, tmp_path):
    refused(
        invoke("geometry", "symmetry", months / "emb", "--splits", 5, "--out", months / "figs"),
        "--splits does not apply to the months family without --probe: it counts the random splits of the year "
        "probe, which runs with --probe (by default for years only).",
    )
    years = load_family("years:1900-2020")
    model = LatentVariableModel(len(years), "line", scale=3.0, n_fillers=20, words=years.words)
    SpectralEmbedding("mstar", dim=40).fit(model.exact_cooccurrence()).embedding_.save(tmp_path / "years")
    base = ["geometry", "symmetry", tmp_path / "years", "--family", "years:1900-2020", "--out", tmp_path / "figs"]
    refused(
        invoke(*base, "--no-probe", "--splits", 5),
        "--splits does not apply to --no-probe: it counts the random splits of the year probe, which runs with "
        "--probe (by default for years only).",
    )
    errors = []
    for splits in (3, 6):
        res = invoke(*base, "--splits", splits, "--json", "--overwrite")
        assert res.exit_code == 0, res.output
        errors.append(json.loads(res.stdout)["probe"]["error_std"])
    assert errors[0] != errors[1]  # the splits reach the probe


# -- train lm ----------------------------------------------------------------------------------------------------
def test_lm_width_and_transformer_shape_each_belong_to_one_model(tmp_path):
    base = ["train", "lm", "rhm:v=4,n_c=4,m=2,s=2,L=3", "--samples", "8", "--steps", "2", "--eval-every", "1",
            "--n-val", "8", "--n-test", "8", "--device", "cpu", "--no-progress", "-o", tmp_path / "lm"]  # fmt: skip
    refused(
        invoke(*base, "--width", 8),
        "--width does not apply to --model transformer: it is the CNN's channels; the transformer's is --d-model.",
    )
    refused(
        invoke(*base, "--model", "cnn", "--d-model", 32, "--n-heads", 2, "--n-layers", 1),
        "--d-model, --n-heads, --n-layers do not apply to --model cnn: they shape the transformer; the CNN's "
        "channels are --width.",
    )
    assert not (tmp_path / "lm").exists()
    params = {}
    for model, extra in (("cnn", ["--width", 4]), ("transformer", ["--d-model", 8, "--n-heads", 2, "--n-layers", 1])):
        res = invoke(*base, "--model", model, *extra, "--overwrite")
        assert res.exit_code == 0, res.output
        params[model] = json.loads((tmp_path / "lm" / "runs.json").read_text())["settings"]["model_kwargs"]
    assert params == {"cnn": {"width": 4}, "transformer": {"d_model": 8, "n_heads": 2, "n_layers": 1}}


# -- corpus build ------------------------------------------------------------------------------------------------
def test_corpus_text_field_only_for_sources_with_fields(tmp_path):
    (tmp_path / "in.txt").write_text("the cat sat\n")
    res = invoke("corpus", "build", tmp_path / "in.txt", "-o", tmp_path / "t", "--text-field", "body")
    refused(
        res,
        "--text-field does not apply to a text source: it names the field or column of the text in JSONL, "
        "Parquet and datasets.",
    )
    assert not (tmp_path / "t").exists()
    (tmp_path / "in.jsonl").write_text(json.dumps({"body": "the cat sat", "text": "a dog"}) + "\n")
    res = invoke(
        "corpus", "build", tmp_path / "in.jsonl", "-o", tmp_path / "j", "--text-field", "body", "--no-progress"
    )
    assert res.exit_code == 0, res.output
    from cooc.corpus.store import TokenCorpus

    assert sorted(TokenCorpus.open(tmp_path / "j").vocab.words) == ["cat", "sat", "the"]  # the field reached


def test_corpus_bible_reads_neither_format_nor_text_field(tmp_path):
    for extra, flags in (
        (["--format", "text"], "--format does"),
        (["--format", "x", "--text-field", "y"], "--format, --text-field do"),
    ):
        refused(
            invoke("corpus", "build", "bible:kjv", "-o", tmp_path / "b", *extra),
            f"{flags} not apply to the King James Bible: bible:kjv is read from Debian's bible-kjv-text, in its own "
            "format.",
        )
    assert not (tmp_path / "b").exists()


# -- info and import ----------------------------------------------------------------------------------------------
def test_info_top_lists_a_corpus_most_frequent_words_and_is_refused_for_a_folder(tmp_path):
    """``info --top`` was ignored for a corpus (always 10 words) and for a folder listing; a corpus now lists
    ``top`` words, and a folder (which lists its outputs) refuses it."""
    from cooc.corpus.build import build_corpus

    (tmp_path / "t.txt").write_text(" ".join(f"w{i % 25} w{i % 7}" for i in range(400)) + "\n")
    corpus = build_corpus(tmp_path / "t.txt", tmp_path / "c", progress=False)
    three = invoke("info", tmp_path / "c", "--top", 3, "--json")
    assert three.exit_code == 0, three.output
    assert [w for w, _ in json.loads(three.output)["top_words"]] == corpus.vocab.words[:3]
    default = json.loads(invoke("info", tmp_path / "c", "--json").output)
    assert len(default["top_words"]) == 10
    refused(
        invoke("info", tmp_path, "--top", 3),
        "--top does not apply to a folder: it lists the outputs the folder holds; give one of them.",
    )
    assert invoke("info", tmp_path).exit_code == 0


def test_import_refuses_a_vocabulary_for_vectors(tmp_path):
    Embedding(np.eye(2, dtype=np.float32), ["a", "b"]).save_word2vec_format(tmp_path / "v.vec")
    (tmp_path / "vocab.txt").write_text("a 2\nb 1\n")
    refused(
        invoke(
            "import", tmp_path / "v.vec", "--from", "word2vec", "-o", tmp_path / "e", "--vocab", tmp_path / "vocab.txt"
        ),
        "--vocab does not apply to --from word2vec: a vectors file holds its own words.",
    )
    assert not (tmp_path / "e.npz").exists()
    assert invoke("import", tmp_path / "v.vec", "--from", "word2vec", "-o", tmp_path / "e").exit_code == 0


def test_embed_of_an_all_zero_target_is_one_error_line(files):
    """A shift above every PMI leaves SPPMI all zeros: Lanczos ended in a raw ArpackError traceback."""
    tmp, _ = files
    refused(
        invoke("embed", tmp / "counts", "-o", tmp / "z", "--target", "sppmi", "--neg", 1e6, "--dim", 2),
        "EigenEmbedding: the sppmi target of these counts is all zeros (the shift log(neg) is at or above every "
        "PMI: lower neg); nothing to embed.",
    )
    assert not (tmp / "z.npz").exists()


def test_analyses_run_refuses_run_options_its_studies_do_not_read(tmp_path):
    """``--jobs`` and ``--resume`` set the training runs of some studies; given for studies that read neither they
    were ignored. Refused before anything runs; which studies read them comes from the scripts themselves."""
    from cooc.experiments.studies import find_study

    assert find_study("hypernymy").reads() == set() and find_study("next_token").reads() == {"jobs", "resume"}
    assert find_study("srhm").reads() == {"resume"}
    refused(
        invoke("analyses", "run", "hypernymy", "--jobs", 2, "-o", tmp_path / "h"),
        "--jobs does not apply to study hypernymy: it runs no training in processes of its own (the studies that "
        "do: rhm_learning, varying_tree, next_token, scaling_laws).",
    )
    refused(
        invoke("analyses", "run", "analogies", "symmetry", "--no-resume"),
        "--no-resume does not apply to these studies: it records no training runs to reuse (the studies that do: "
        "rhm_learning, srhm, power_law, varying_tree, latent_prediction, next_token, scaling_laws).",
    )
    assert not (tmp_path / "h").exists()
