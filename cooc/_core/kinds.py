"""What a path holds among cooc's outputs, so that a command given the wrong kind says which it got.

cooc writes three kinds of output, each marked by a format string: a corpus (a directory with a
manifest, ``cooc corpus build``), a co-occurrence file (``<base>.json`` beside its matrix,
``cooc count``) and an embedding (``<base>.json`` beside its vectors, ``cooc embed`` or
``cooc train word2vec``). A reader that finds another kind than it expects raises
:class:`~cooc._core.errors.CorruptFileError` naming what the path is and the step that turns it
into what was expected, instead of a bare "missing file" or "not a ... file".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import CorruptFileError, InvalidParameterError

CORPUS_FORMAT = "cooc.corpus/1"
CORPUS_MANIFEST = "manifest.json"
COOCCURRENCE_FORMAT = "cooc.cooccurrence/1"
EMBEDDING_FORMAT = "cooc.embedding/1"

_NAMES = {
    "corpus": "a corpus (cooc corpus build)",
    "cooccurrence": "a co-occurrence file (cooc count)",
    "embedding": "an embedding (cooc embed, cooc train word2vec)",
}
_WANTED = {"corpus": "a corpus", "cooccurrence": "co-occurrence counts", "embedding": "an embedding"}
#: (what the path is, what was expected): the step from one to the other.
_NEXT = {
    ("corpus", "cooccurrence"): "count it first: cooc count {path} -o COUNTS",
    ("corpus", "embedding"): "train vectors on it (cooc train word2vec {path} -o EMB) or count and embed it",
    ("cooccurrence", "embedding"): "embed it first: cooc embed {path} -o EMB",
    ("cooccurrence", "corpus"): "give a corpus directory instead (cooc corpus build writes one)",
    ("embedding", "cooccurrence"): "give co-occurrence counts instead (cooc count writes them)",
    ("embedding", "corpus"): "give a corpus directory instead (cooc corpus build writes one)",
}


def _base(path: Path) -> Path:
    return path.with_suffix("") if path.suffix in (".npz", ".json") else path


def kind_of(path: str | os.PathLike) -> str | None:
    """``"corpus"``, ``"cooccurrence"``, ``"embedding"`` or None (none of cooc's outputs, or unreadable)."""
    path = Path(path)
    if path.is_dir():
        return "corpus" if (path / CORPUS_MANIFEST).is_file() else None
    base = _base(path)
    meta = base.with_name(base.name + ".json")
    try:
        info = json.loads(meta.read_bytes())
    except (OSError, ValueError):
        return None
    fmt = info.get("format") if isinstance(info, dict) else None
    return {COOCCURRENCE_FORMAT: "cooccurrence", EMBEDDING_FORMAT: "embedding"}.get(str(fmt))


def corpus_owning(path: str | os.PathLike) -> Path | None:
    """The corpus folder (found at most two levels up) whose own files include the existing file ``path``: its
    manifest and the files the manifest names; every file under it when its manifest cannot be read. A folder
    whose ``manifest.json`` is another tool's (valid JSON, no cooc corpus format) is no corpus."""
    real = Path(os.path.realpath(path))
    if not real.is_file():
        return None
    for folder in list(real.parents)[:2]:
        if kind_of(folder) != "corpus":
            continue
        rel = real.relative_to(folder).as_posix()
        try:
            m = json.loads((folder / CORPUS_MANIFEST).read_bytes())
        except (OSError, ValueError):
            return folder  # an unreadable manifest: perhaps a damaged corpus, every file there may be its own
        if not isinstance(m, dict) or not str(m.get("format", "")).startswith(CORPUS_FORMAT.split("/")[0] + "/"):
            continue  # another tool's manifest.json (a web app's, a dataset's): no cooc corpus
        try:
            own = {CORPUS_MANIFEST, *(m.get("files") or {})}
            own |= {s[k] for s in m.get("shards") or [] for k in ("tokens", "docs")}
            own |= {e["file"] for e in (m.get("extras") or {}).values()}
        except (AttributeError, KeyError, TypeError):
            return folder  # a damaged manifest: every file there may be the corpus's own
        if rel in own:
            return folder
    return None


def refuse_corpus_files(paths: list[Path], what: str) -> None:
    """Refuse to write ``what`` (an embedding, counts) where one of ``paths`` is a corpus's own file (see
    :func:`corpus_owning`): ``-o corpus/manifest`` would replace the manifest and lose the corpus."""
    for path in paths:
        owner = corpus_owning(path)
        if owner is not None:
            raise InvalidParameterError(
                f"{str(path)!r} is a file of the corpus {str(owner)!r}; writing {what} there would destroy it: "
                "choose another output name."
            )


def outputs_in(folder: str | os.PathLike, kind: str) -> list[Path]:
    """The outputs of ``kind`` directly inside ``folder`` (a demo's or a study's output folder), sorted.

    Corpora are listed by their directory, counts and embeddings by their ``.npz`` file.
    """
    found = []
    for child in sorted(Path(folder).iterdir()):
        if child.is_dir() or child.suffix == ".json":
            if kind_of(child) == kind:
                found.append(child if child.is_dir() else child.with_suffix(".npz"))
    return found


def _explain_folder(folder: Path, expected: str) -> None:
    """Raise for a folder that is no corpus: the outputs of the expected kind it holds, if any."""
    wanted = _WANTED[expected]
    inside = outputs_in(folder, expected)
    if inside:
        listed = ", ".join(str(p) for p in inside[:4]) + (", ..." if len(inside) > 4 else "")
        which = "the one inside it" if len(inside) == 1 else "one of those inside it"
        raise CorruptFileError(f"{str(folder)!r} is a folder, not {wanted}; give {which}: {listed}.")
    if folder.suffix == ".blocks" and kind_of(folder.with_suffix("")) == expected:
        raise CorruptFileError(f"{str(folder)!r} holds the blocks of {wanted}; give {str(folder.with_suffix(''))!r}.")
    if expected != "corpus":  # a corpus folder's own checks say more (an unfinished build, a lost manifest)
        bare = {"cooccurrence": "co-occurrence file", "embedding": "embedding"}[expected]
        raise CorruptFileError(f"{str(folder)!r} is a folder that holds no {bare}; give {_NAMES[expected]}.")


def expect_kind(path: str | os.PathLike, expected: str) -> None:
    """Raise :class:`CorruptFileError` when ``path`` is another kind of cooc output than ``expected``.

    A folder that is no corpus but holds outputs of the expected kind (``cooc demo -o demo``
    writes ``demo/embedding.npz``) is named with the paths to give instead. Nothing happens when
    ``path`` is the expected kind or none of cooc's (the reader's own checks then say what is wrong).
    """
    if expected not in _NAMES:
        raise ValueError(f"expect_kind: unknown kind {expected!r}")
    found = kind_of(path)
    if found is None and Path(path).is_dir():
        _explain_folder(Path(path), expected)
    base = _base(Path(path))
    pair = (base.with_name(base.name + ".json"), base.with_name(base.name + ".npz"))
    if found is None and not any(p.exists() for p in (Path(path), *pair)):  # else the reader names the lost half
        files = "" if expected == "corpus" else f" (neither {base.name}.json nor {base.name}.npz is there)"
        raise CorruptFileError(f"{str(path)!r} does not exist{files}: give {_WANTED[expected]}.")
    if found is None or found == expected:
        return
    shown = str(path)
    step = _NEXT[(found, expected)].format(path=shown)
    raise CorruptFileError(f"{shown!r} is {_NAMES[found]}, not {_WANTED[expected]}; {step}.")


__all__ = [
    "COOCCURRENCE_FORMAT",
    "CORPUS_FORMAT",
    "CORPUS_MANIFEST",
    "EMBEDDING_FORMAT",
    "expect_kind",
    "corpus_owning",
    "kind_of",
    "outputs_in",
    "refuse_corpus_files",
]
