"""Next-token learning curves: language models on a grammar or a corpus, written with their theory.

- :func:`lm_study`: learning curves of one model on one source (grammar spec or corpus),
  resumable, written as ``runs.json``, ``curves.json``, ``curves.csv`` and figures; on an
  RHM (whole sentences, last-token objective) the figures carry the theory: the loss
  plateaus ``H_l`` and the predicted step positions ``P_l`` (docs/science.md, section 6).
- :func:`step_positions`: where a measured curve crosses the middle of each step.
- :func:`excess_exponent`: the power-law decay of ``L(P) - floor``, one fit per seed.
- :func:`next_token_experiment`: the study of ``analyses/next_token.py``.

**Measured step position.** The step between plateaus ``H_{l-1}`` and ``H_l`` (the exact
last-token entropies given the subtrees of height ``l - 1`` and ``l``) is placed where the
seed-averaged test loss first falls below ``(H_{l-1} + H_l) / 2``, interpolating linearly
in ``log P`` between the two grid points around the crossing (NaN when the grid does not
bracket it). The papers mark the step at ``P_l`` without fixing a convention; the
midpoint is ours. It is checked on a learner whose step we know: counting the pairs
(sibling, last token) with a pseudo-count of 0.1 places step 1 at 0.5 ``P_1`` on the
study's 4 draws (0.9 on another 4) and at 1.0 ``P_1`` on the papers' grammar (v = 32,
m = 8), so a network that crosses later needs more data than the signal-to-noise
argument behind ``P_l``, whatever the convention. The study also reports each seed's own
crossing (``ratio_per_seed``), since the draw of sentences moves it a lot at the study's
size (the CNN's step 1: 1.6 to 2.9 ``P_1`` over 4 draws). A grid of factors of 2 places
a step early when the curve bends between two sizes: the papers' CNN recipe crosses step
2 at 2.1 ``P_2`` on the study's grid and at 2.4 on a grid of 19 sizes
(``benchmarks/next_token_recipe.py``).

**Control contexts.** ``P_l`` counts the data that the correlations of the subtree of
height ``l`` need; a network that reads the whole sentence may need more, because it can
also fit the tokens whose correlations with the last one those data cannot resolve. The
study therefore also trains the same network on the last ``s^k`` tokens only (the
subtree of height ``k``, which holds the first ``k`` steps' correlations) and measures
those steps again: the gap between the two curves is what the unresolved context costs.
On the study's grammar the CNN without dropout makes steps 1 and 2 at 1.0 and 1.4 ``P_l``
on the last 4 tokens and at 2.2 and 2.8 ``P_l`` on whole sentences; with dropout 0.6 on
its hidden units (the study's setting) at 1.0 and 1.3, and at 1.9 and 1.7.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._core.errors import InvalidParameterError, OutputExistsError
from .._core.io import atomic_write_json, atomic_write_text, load_json, provenance
from .._core.params import settings_changes
from ..plots import saved
from ..plots.lm import excess_loss_exponents, loss_against_context, loss_against_samples, loss_by_position


def step_positions(P: Sequence[float], loss: Sequence[float], plateaus: Sequence[float]) -> list[float]:
    """Measured position of each step ``l = 1 .. len(plateaus) - 1`` (module notes); NaN where not bracketed."""
    sizes, losses = np.asarray(P, dtype=np.float64), np.asarray(loss, dtype=np.float64)
    out = []
    for l in range(1, len(plateaus)):
        level = 0.5 * (plateaus[l - 1] + plateaus[l])
        below = np.flatnonzero(losses < level)
        if below.size == 0 or below[0] == 0:
            out.append(float("nan"))
            continue
        k = below[0]
        t = (losses[k - 1] - level) / (losses[k - 1] - losses[k])
        out.append(float(math.exp(math.log(sizes[k - 1]) + t * (math.log(sizes[k]) - math.log(sizes[k - 1])))))
    return out


def excess_exponent(
    rows: Sequence[dict[str, Any]], floor: float, key: str = "test_loss", min_excess: float = 1e-3
) -> dict[str, Any]:
    """Fit ``L(P) - floor = A P**-alpha`` for each seed; alpha as the mean over seeds with its standard error.

    Points whose excess is below ``min_excess`` are left out (log of noise). With one seed
    the error is the fit's own standard error.
    """
    from ..grammars.langstats import fit_power_law

    per_seed, prefactors, fit_errors = [], [], []
    for seed in sorted({r["seed"] for r in rows}):
        mine = sorted((r for r in rows if r["seed"] == seed), key=lambda r: r["P"])
        P = np.array([r["P"] for r in mine], dtype=np.float64)
        y = np.array([r[key] for r in mine], dtype=np.float64) - floor
        keep = y > min_excess
        if keep.sum() < 3:
            continue
        fit = fit_power_law(P[keep], y[keep])
        per_seed.append(fit.exponent)
        prefactors.append(math.log(fit.prefactor))
        fit_errors.append(fit.error)
    if not per_seed:
        return {"alpha": float("nan"), "alpha_err": float("nan"), "prefactor": float("nan"), "per_seed": []}
    alphas = np.array(per_seed)
    err = float(alphas.std(ddof=1) / math.sqrt(alphas.size)) if alphas.size > 1 else float(fit_errors[0])
    return {
        "alpha": float(alphas.mean()),
        "alpha_err": err,
        "prefactor": float(math.exp(np.mean(prefactors))),
        "per_seed": alphas.tolist(),
        "floor": floor,
    }


def _summary(rows: Sequence[dict[str, Any]], keys: Sequence[str] = ("test_loss", "test_loss_last", "test_loss_mean")):
    from ..train.grammar.lm import summarize_lm

    merged: dict[int, dict[str, Any]] = {}
    for key in keys:
        for row in summarize_lm(rows, key):
            merged.setdefault(row["P"], {"P": row["P"], "seeds": row["seeds"]}).update(row)
    return [merged[P] for P in sorted(merged)]


def rhm_theory(grammar: Any, context: int) -> dict[str, Any] | None:
    """The RHM's next-token theory for contexts of ``context`` tokens ending at the sentence's last token.

    Returns None for other grammars. Keys: ``P_l`` (L,) (the formula of uniform productions: NaN
    for an RHM with power-law productions, ``a``, for which it is not derived), ``plateaus``
    (L + 1,) (the last token given its subtree of height l, exact for any productions),
    ``by_position`` (context,) (each position given the tokens before it inside the context),
    ``floor`` (the last token given the whole context).
    """
    from ..grammars.rhm import RandomHierarchyModel
    from ..grammars.stats import loss_plateaus, loss_steps, next_token_entropy

    if not isinstance(grammar, RandomHierarchyModel):
        return None
    n = grammar.n_positions
    plateaus = loss_plateaus(grammar)
    by_position = [next_token_entropy(grammar, t, position=n - context + t)[0] for t in range(context)]
    steps = loss_steps(grammar.v, grammar.m, grammar.s, grammar.L)
    return {
        "P_l": steps if grammar.uniform else np.full_like(steps, np.nan),
        "plateaus": plateaus["entropy"],
        "plateau_context": plateaus["context"],
        "by_position": np.array(by_position),
        "floor": by_position[-1],
    }


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    fields = [k for k in rows[0] if k not in ("test_loss_by_position", "history")] + ["test_loss_by_position"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "test_loss_by_position": " ".join(f"{x:.6f}" for x in row["test_loss_by_position"])})
    return buffer.getvalue()


def lm_study(
    source: Any,
    out: str | os.PathLike,
    model: str = "transformer",
    samples: Sequence[int] = (100, 1000),
    seeds: int = 1,
    context: int | None = None,
    targets: str | None = None,
    n_val: int = 256,
    n_test: int = 512,
    vocab_size: int | None = None,
    data_seed: int = 0,
    device: str = "auto",
    model_kwargs: dict[str, Any] | None = None,
    figures: bool = True,
    overwrite: bool = False,
    progress: bool = False,
    jobs: int = 1,
    **train_kwargs: Any,
) -> dict[str, Any]:
    """Learning curves of ``model`` on ``source``, written into ``out`` (and resumed from it).

    Parameters
    ----------
    source : str, grammar or TokenCorpus
        A grammar spec (``"rhm:v=8,n_c=8,m=2,s=2,L=3"``), a corpus directory or a corpus.
    samples : sequence of int
        Training contexts P.
    seeds : int
        Seeds 0..seeds-1 (initialisation and batch order; the data are drawn once, from ``data_seed``).
    context : int, optional
        ``T``; default the whole sentence for fixed-length grammars (required otherwise).
    targets : {"all", "last"}, optional
        Default ``"last"`` on whole RHM sentences (the papers' task), ``"all"`` otherwise.
    jobs : int, default 1
        Runs trained at once, each in a process of its own (``lm_learning_curve``'s ``jobs``; not a
        setting of the runs: a folder written with one number resumes with another).
    **train_kwargs
        Passed to :func:`~cooc.train.grammar.lm.train_lm` (``steps``, ``batch_size``, ``lr``, ...).

    Writes ``runs.json`` after every run (a rerun with the same settings skips finished
    runs and resumes the interrupted one from ``checkpoints/``), then ``curves.json``
    (per-P summaries, theory, step positions), ``curves.csv`` (one row per run) and, with
    ``figures``, ``loss.png`` and ``loss_by_position.png``. The folder is locked while the study
    runs: another process writing it at the same time is refused (:class:`~cooc.OutputBusyError`).

    Returns
    -------
    dict with ``rows``, ``summary``, ``theory`` (or None), ``steps_measured``, ``files``.
    """
    from .._core.locks import lock_directory
    from ..train._torch import torch_device
    from ..train.grammar.lm import data_fingerprint, lm_learning_curve
    from ..train.grammar.lm_data import lm_data

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with lock_directory(out, what="output folder"):  # one study writes a folder at a time
        samples = sorted({int(p) for p in samples})
        dev = torch_device(device)
        corpus = _as_corpus(source)  # opened once: its identity keys the reuse of earlier runs
        data = lm_data(
            source if corpus is None else corpus,
            context,
            samples[-1],
            n_val,
            n_test,
            seed=data_seed,
            vocab_size=vocab_size,
            device=dev,
        )
        theory = rhm_theory(data.grammar, data.context)
        whole = theory is not None and data.context == data.grammar.n_positions
        targets = targets or ("last" if whole else "all")
        settings = {
            "source": str(getattr(source, "path", source)),
            "model": model,
            "samples": samples,
            "seeds": seeds,
            "context": data.context,
            "targets": targets,
            "n_val": n_val,
            "n_test": n_test,
            "vocab_size": vocab_size,
            "data_seed": data_seed,
            "model_kwargs": model_kwargs or {},
            "train": {k: v for k, v in sorted(train_kwargs.items())},
        }
        if corpus is not None:  # a corpus rebuilt at the same path is another corpus: its runs are not reused
            settings["corpus"] = corpus.identity or data_fingerprint(data)
        runs_path = out / "runs.json"
        done: list[dict[str, Any]] = []
        if runs_path.exists() and not overwrite:
            saved_runs = load_json(runs_path, "learning-curve runs")
            recorded = saved_runs.get("settings") or {}
            same_path = recorded.get("source") == settings["source"]
            if "corpus" in settings and same_path and recorded.get("corpus") != settings["corpus"]:
                was = recorded.get("corpus")
                what = (
                    f"runs trained on another corpus than the one now at {settings['source']!r} (rebuilt since: "
                    f"{_short(str(was))} -> {_short(str(settings['corpus']))})"
                    if was
                    else "runs that do not record which corpus they were trained on (written by an earlier version)"
                )
                raise OutputExistsError(
                    f"{str(out)!r} holds {what}; use another folder, or discard them with --overwrite (overwrite=True)."
                )
            if recorded != settings:
                raise OutputExistsError(
                    f"{str(out)!r} holds runs with other settings ({settings_changes(recorded, settings) or 'another version'}); "
                    "use another folder, or discard them with --overwrite (overwrite=True)."
                )
            done = saved_runs.get("rows", [])

        checkpoints = out / "checkpoints"
        if overwrite and checkpoints.is_dir():  # the interrupted runs of the discarded results: never resumed
            shutil.rmtree(checkpoints)

        def record(row: dict[str, Any]) -> None:
            done.append(row)
            atomic_write_json(runs_path, {"settings": settings, "rows": done})

        rows = lm_learning_curve(
            data,
            model,
            samples,
            seeds=list(range(seeds)),
            targets=targets,
            model_kwargs=model_kwargs,
            checkpoint_dir=checkpoints,
            progress=progress,
            callback=record,
            done=list(done),
            jobs=jobs,
            **train_kwargs,
        )
        summary = _summary(rows)
        key = "test_loss_last" if targets == "last" else "test_loss_mean"
        measured = None
        if whole and theory is not None:
            measured = step_positions([s["P"] for s in summary], [s[key] for s in summary], theory["plateaus"])
        result = {
            "settings": settings,
            "provenance": provenance(**settings),
            "vocab_size": data.vocab_size,
            "summary": summary,
            "theory": theory,
            "steps_measured": measured,
        }
        atomic_write_json(out / "curves.json", _plain(result))
        atomic_write_text(out / "curves.csv", _csv(rows))
        files = ["runs.json", "curves.json", "curves.csv"]
        if figures:
            curves = {model: [{**s, "test_loss": s[key], "test_loss_se": s[key + "_se"]} for s in summary]}
            saved(
                loss_against_samples(
                    curves,
                    steps=None
                    if not whole or theory is None or not np.isfinite(theory["P_l"]).all()
                    else theory["P_l"],
                    plateaus=None if not whole or theory is None else theory["plateaus"],
                    measured=None if measured is None else {model: measured},
                    title=f"{model} on {data.name} (T = {data.context}, loss: {targets})",
                    path=out / "loss.png",
                )
            )
            files.append("loss.png")
            if targets == "all":  # a last-token model says nothing about the other positions
                largest = [r for r in rows if r["P"] == samples[-1]]
                by_pos = np.mean([r["test_loss_by_position"] for r in largest], axis=0)
                saved(
                    loss_by_position(
                        {f"{model}, P = {samples[-1]}": by_pos},
                        theory=None if theory is None else theory["by_position"],
                        path=out / "loss_by_position.png",
                    )
                )
                files.append("loss_by_position.png")
        return {"rows": rows, "summary": summary, "theory": theory, "steps_measured": measured, "files": files}


def _as_corpus(source: Any) -> Any:
    """The TokenCorpus that ``source`` names (a corpus or a corpus directory), None for a grammar."""
    from ..corpus.store import TokenCorpus
    from ..grammars.source import is_grammar_spec

    if isinstance(source, TokenCorpus):
        return source
    if isinstance(source, (str, os.PathLike)) and not is_grammar_spec(str(source)) and Path(source).is_dir():
        return TokenCorpus.open(Path(source))
    return None


def _short(identity: str) -> str:
    """A corpus identity (``blake2b:...``) as its first 12 hex digits, as the other corpus messages give it."""
    return identity.split(":")[-1][:12]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- the study --------------------------------------------------------------------------------------------
def _curve(
    draws: Sequence[Any],
    name: str,
    cfg: dict[str, Any],
    train: dict[str, Any],
    samples: Sequence[int],
    theory: dict[str, Any],
    plateaus: Sequence[float],
    progress: bool,
    ledger: Any = None,
    jobs: int = 1,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One model's learning curve over the draws (seed i on draw i) and its steps between ``plateaus``."""
    from ..train.grammar.lm import lm_learning_curve

    rows = []
    for seed, data in enumerate(draws):
        rows += lm_learning_curve(
            data,
            name,
            samples,
            seeds=[seed],
            targets="last",
            model_kwargs=cfg.get("model_kwargs"),
            progress=progress,
            ledger=ledger,
            jobs=jobs,
            **{**train, **cfg.get("train", {})},
        )
    summary = _summary(rows)
    measured = step_positions([s["P"] for s in summary], [s["test_loss_last"] for s in summary], plateaus)
    # each draw's own crossings, to show the spread behind the seed-averaged one
    per_seed = []
    for seed in range(len(draws)):
        mine = sorted((r for r in rows if r["seed"] == seed), key=lambda r: r["P"])
        per_seed.append(step_positions([r["P"] for r in mine], [r["test_loss_last"] for r in mine], plateaus))
    steps = [
        {
            "level": l + 1,
            "P_theory": float(p),
            "P_measured": m,
            "ratio": m / p if np.isfinite(m) else float("nan"),
            "ratio_per_seed": [q[l] / p if np.isfinite(q[l]) else float("nan") for q in per_seed],
        }
        for l, (p, m) in enumerate(zip(theory["P_l"], measured))
    ]
    return {"rows": rows, "summary": summary}, steps


def next_token_experiment(
    spec: str,
    samples: Sequence[int],
    seeds: int,
    models: dict[str, dict[str, Any]],
    train: dict[str, Any],
    context_sizes: Sequence[int],
    context_P: int,
    context_seeds: int = 1,
    context_model: str = "transformer",
    control_contexts: Sequence[int] = (),
    control_model: str | None = None,
    n_val: int = 128,
    n_test: int = 256,
    device: str = "cpu",
    progress: bool = False,
    ledger: Any = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Steps at P_l, CNN against transformer, and loss against context length, on one RHM.

    Parameters
    ----------
    spec : str
        An RHM spec; every model reads whole sentences and is scored on the last token.
    samples : sequence of int
        The P grid of the learning curves.
    seeds : int
        One draw of sentences and one initialisation per seed.
    models : dict of name -> {"model_kwargs": ..., "train": ...}
        ``"transformer"`` and ``"cnn"`` (their own training settings override ``train``).
    context_sizes : sequence of int
        Context lengths T for ``context_model`` at ``context_P`` training sentences.
    control_contexts : sequence of int
        Context lengths T = s^k (0 < k < L) for which ``control_model`` gets a whole learning
        curve too, reading only the last T tokens of each sentence (the subtree of height k
        that holds the correlations of the first k steps), with the positions of its k steps.
        This separates the data the steps' correlations need (P_l) from what the network
        pays for reading the rest of the sentence, whose correlations those P cannot resolve.
    control_model : str, optional
        The model of the control curves (one of ``models``); default ``context_model``.
    ledger : RunLedger, optional
        Every training run is recorded there and taken from it when the study runs again
        (:func:`~cooc.train.grammar.lm.lm_learning_curve`): an interrupted study resumes.
    jobs : int, default 1
        Training runs at once, each in a process of its own (``lm_learning_curve``'s ``jobs``).

    Returns
    -------
    dict with ``theory``, ``curves`` (per model: rows and summary), ``steps`` (per model: a
    list of ``{level, P_theory, P_measured, ratio, ratio_per_seed}``; ``P_measured`` from the
    seed-averaged curve, ``ratio_per_seed`` from each seed's own curve, NaN where not bracketed),
    ``exponents`` (per model: alpha, alpha_err, per_seed), ``controls`` (one entry per control
    context: ``T``, ``model``, ``summary``, ``steps`` as above), ``context`` (T, loss, error,
    exact entropy). A run the context sweep shares with a curve (one seed, ``context_P`` the
    largest P, the same draw of sentences) is taken from the curve instead of trained again.
    """
    from ..grammars.stats import next_token_entropy
    from ..train._torch import torch_device
    from ..train.grammar.lm import lm_learning_curve
    from ..train.grammar.lm_data import lm_data

    dev = torch_device(device)
    samples = sorted({int(p) for p in samples})
    # one draw of sentences per seed: the curves average over data as well as initialisations
    draws = [lm_data(spec, None, samples[-1], n_val, n_test, seed=seed, device=dev) for seed in range(seeds)]
    theory = rhm_theory(draws[0].grammar, draws[0].context)
    if theory is None:
        raise InvalidParameterError(f"next_token_experiment needs an RHM spec (rhm:...), got {spec!r}.")
    s, L = draws[0].grammar.s, draws[0].grammar.L
    control_model = context_model if control_model is None else control_model
    if control_contexts and control_model not in models:
        raise InvalidParameterError(
            f"parameter 'control_model' must be one of the models {sorted(models)}, got {control_model!r}."
        )
    for T in control_contexts:
        k = round(math.log(max(T, 1)) / math.log(s))
        if T != s**k or not 0 < k < L:
            raise InvalidParameterError(
                f"parameter 'control_contexts' must hold powers s^k of the branching with 0 < k < L = {L}, got {T}."
            )
    curves, steps, exponents = {}, {}, {}
    for name, cfg in models.items():
        curves[name], steps[name] = _curve(
            draws, name, cfg, train, samples, theory, theory["plateaus"], progress, ledger, jobs
        )  # fmt: skip
        exponents[name] = excess_exponent(curves[name]["rows"], theory["floor"], key="test_loss_last")
    controls = []
    for T in control_contexts:
        k = round(math.log(T) / math.log(s))
        short_draws = [
            lm_data(spec, int(T), samples[-1], n_val, n_test, seed=seed, device=dev) for seed in range(seeds)
        ]
        curve, control_steps = _curve(
            short_draws, control_model, models[control_model], train, samples, theory, theory["plateaus"][: k + 1],
            progress, ledger, jobs,
        )  # fmt: skip
        controls.append({"T": int(T), "model": control_model, **curve, "steps": control_steps})
    # loss against the context length at fixed P
    name = context_model
    cfg = models[name]
    shared = {draws[0].context: curves[name]["rows"], **{c["T"]: c["rows"] for c in controls if c["model"] == name}}
    losses, errors, exact = [], [], []
    for T in context_sizes:
        short = lm_data(spec, int(T), context_P, n_val, n_test, seed=0, device=dev)
        if context_seeds == 1 and context_P == samples[-1] and int(T) in shared:  # the curve's seed-0 run
            rows = [r for r in shared[int(T)] if r["P"] == context_P and r["seed"] == 0]
        else:
            rows = lm_learning_curve(
                short,
                name,
                [context_P],
                seeds=list(range(context_seeds)),
                targets="last",
                model_kwargs=cfg.get("model_kwargs"),
                ledger=ledger,
                jobs=jobs,
                **{**train, **cfg.get("train", {})},
            )
        values = np.array([r["test_loss_last"] for r in rows])
        losses.append(float(values.mean()))
        errors.append(float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0)
        exact.append(float(next_token_entropy(short.grammar, int(T) - 1)[0]))
    return {
        "spec": spec,
        "theory": theory,
        "curves": curves,
        "steps": steps,
        "exponents": exponents,
        "controls": controls,
        "context": {
            "T": list(context_sizes),
            "P": context_P,
            "model": name,
            "loss": losses,
            "error": errors,
            "exact": exact,
        },  # fmt: skip
    }


def next_token_figures(result: dict[str, Any], folder: str | os.PathLike) -> list[str]:
    """The study's figures: loss against P with the steps, excess-loss exponents, loss against context."""
    folder = Path(folder)
    theory = result["theory"]
    curves = {
        name: [{**s, "test_loss": s["test_loss_last"], "test_loss_se": s["test_loss_last_se"]} for s in c["summary"]]
        for name, c in result["curves"].items()
    }
    measured = {name: [s["P_measured"] for s in st] for name, st in result["steps"].items()}
    for control in result.get("controls", []):  # the same network reading only the last T tokens
        label = f"{control['model']}, last {control['T']} tokens"
        curves[label] = [
            {**s, "test_loss": s["test_loss_last"], "test_loss_se": s["test_loss_last_se"]} for s in control["summary"]
        ]
        measured[label] = [s["P_measured"] for s in control["steps"]]
    saved(
        loss_against_samples(
            curves,
            steps=theory["P_l"] if np.isfinite(theory["P_l"]).all() else None,  # NaN: power-law productions
            plateaus=theory["plateaus"],
            measured=measured,
            title=f"{result['spec']}: last-token loss; dotted: P_l, dashed: plateaus H_l",
            path=folder / "steps.png",
        )
    )
    saved(excess_loss_exponents(curves, theory["floor"], result["exponents"], path=folder / "exponents.png"))
    ctx = result["context"]
    saved(
        loss_against_context(
            ctx["T"], ctx["loss"], ctx["error"], ctx["exact"], label=f"{ctx['model']}, P = {ctx['P']}",
            path=folder / "context.png",
        )
    )  # fmt: skip
    return ["steps.png", "exponents.png", "context.png"]


__all__ = ["lm_study", "step_positions", "excess_exponent", "rhm_theory", "next_token_experiment", "next_token_figures"]
