"""Smoke test of an installed wheel, run from outside the checkout: the package finds its own data,
the main job runs on a tiny input, and the studies run from the installed package."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import cooc
from cooc.experiments.demo import SMALL, run_demo, with_overrides

work = Path(sys.argv[1])
installed = Path(cooc.__file__).resolve()
assert installed.is_relative_to(Path(sys.prefix).resolve()), f"cooc imported from {installed}, not the wheel"
assert not (Path.cwd() / "cooc").exists(), "run outside the checkout"

months = cooc.load_family("months")
assert months.words[:2] == ("january", "february") and len(months) == 12, months

tiny = with_overrides(
    SMALL,
    max_docs=10,
    vocab_size=400,
    dim=16,
    ks=(4, 16),
    attribute_d=4,
    attribute_p=(0.5, 0.4, 0.3, 0.6),
    attribute_dim=12,
    workers=1,
)
run = run_demo(work / "demo", config=tiny, progress=False, log=lambda line: None)
facts = json.loads((work / "demo" / "report.json").read_text())["facts"]
assert facts["documents"] == 10 and facts["V"] == 400, facts
# a study's first cell, from the installed package (its imports and its start())
import jupytext  # noqa: E402

from cooc.experiments.studies import default_out, list_studies  # noqa: E402

# a study run from the installed package writes into the working folder, never into site-packages
if not os.environ.get("COOC_ANALYSES_OUT"):
    assert default_out("symmetry") == Path.cwd() / "analyses-out" / "symmetry", default_out("symmetry")

studies = {s.name: s for s in list_studies()}
assert {"analogies", "symmetry", "next_token", "varying_tree"} <= set(studies), sorted(studies)
study = studies["symmetry"]
assert study.path.resolve().is_relative_to(Path(sys.prefix).resolve()), study.path
first = next(c for c in jupytext.read(study.path).cells if c.cell_type == "code")
sys.path.insert(0, str(study.path.parent))
sys.argv = [str(study.path), "--out", str(work / "study")]
namespace: dict = {}
exec(compile(first.source, str(study.path), "exec"), namespace)
assert namespace["study"].out == work / "study" and (work / "study").is_dir()
print(f"wheel smoke test: cooc {cooc.__version__} from {installed.parent}; demo in {run.seconds['total']:.1f} s")
