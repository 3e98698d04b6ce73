"""Hugging Face ``datasets``: ``wikimedia/wikipedia`` (config ``20231101.en``) by default.

The same code reads the hub (streaming, nothing held in memory), local Parquet/JSON
files in the same schema (``id, url, title, text``) through ``datasets.load_dataset``
with a builder name (``"parquet"``, ``"json"``) and ``data_files``, or a folder written by
``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk`` (``datasets.load_from_disk``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..._core.errors import InputDataError, MissingDependencyError
from .base import Source, document_text

WIKIPEDIA = ("wikimedia/wikipedia", "20231101.en")
#: builders that read local files (``data_files``) and need no hub
LOCAL_BUILDERS = ("parquet", "json", "csv", "text", "arrow", "pandas", "webdataset", "imagefolder", "audiofolder")
HUB_TIMEOUT = 5.0


def saved_dataset(path: str | os.PathLike[str]) -> str | None:
    """What ``Dataset.save_to_disk`` left in folder ``path``: ``"dataset"``, ``"dict"`` (a
    ``DatasetDict``, one sub-folder per split) or ``None`` when it is not such a folder."""
    folder = Path(path)
    if (folder / "dataset_dict.json").is_file():
        return "dict"
    if (folder / "state.json").is_file() and (folder / "dataset_info.json").is_file():
        return "dataset"
    return None


def _offline_env() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _hub_address() -> tuple[str, int]:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def offline_message(path: str, name: str | None, reason: str) -> str:
    """What to say when the hub cannot be reached: the machine is offline, and how to use local files."""
    config = f"/{name}" if name else ""
    return (
        f"cannot reach the Hugging Face hub to read {path!r} ({reason}): this machine looks offline. "
        f"Point cooc at local files instead: download the dataset's Parquet files "
        f"(https://huggingface.co/datasets/{path}/tree/main{config}) where there is a connection, copy them "
        f"here and run `cooc corpus build 'FOLDER/*.parquet' -o OUT`; a dataset already in the local "
        f"Hugging Face cache is read with HF_DATASETS_OFFLINE=1."
    )


def check_hub_reachable(path: str, name: str | None, timeout: float = HUB_TIMEOUT) -> None:
    """Fail fast, in one line, when the hub cannot be reached (instead of datasets' retries and traceback)."""
    host, port = _hub_address()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = (
            f"{host}:{port}: {exc.strerror or exc}"
            if not isinstance(exc, TimeoutError)
            else f"{host}:{port}: no answer in {timeout:g} s"
        )
        raise InputDataError(offline_message(path, name, reason)) from None


class HFDatasetSource(Source):
    """Documents from a Hugging Face dataset.

    Parameters
    ----------
    path : str
        Dataset name on the hub (``"wikimedia/wikipedia"``) or a builder (``"parquet"``, ``"json"``).
    name : str, optional
        Configuration (``"20231101.en"``).
    split : str
    data_files : str or list, optional
        Local files for a builder.
    text_field : str
    streaming : bool
        Stream rather than download the whole dataset first (the default).
    """

    kind = "hf"

    def __init__(
        self,
        path: str = WIKIPEDIA[0],
        name: str | None = WIKIPEDIA[1],
        split: str = "train",
        data_files: Any = None,
        text_field: str = "text",
        streaming: bool = True,
    ):
        self.path, self.name, self.split = path, name, split
        self.data_files = [str(f) for f in data_files] if isinstance(data_files, (list, tuple)) else data_files
        self.text_field = text_field
        self.streaming = streaming

    def _load(self):
        try:
            import datasets
        except ImportError:
            raise MissingDependencyError(
                "reading Hugging Face datasets needs `datasets`: pip install datasets"
            ) from None
        if saved_dataset(self.path):
            return self._load_saved(datasets)
        kwargs: dict[str, Any] = {"split": self.split, "streaming": self.streaming}
        if self.data_files is not None:
            kwargs["data_files"] = self.data_files
        if self._on_hub() and not _offline_env():
            check_hub_reachable(self.path, self.name)
        try:
            return datasets.load_dataset(self.path, self.name, **kwargs)
        except ConnectionError as exc:
            raise InputDataError(offline_message(self.path, self.name, str(exc))) from None
        except (FileNotFoundError, ValueError) as exc:
            raise InputDataError(f"cannot load dataset {self.path!r} ({self.name}): {exc}") from None

    def _load_saved(self, datasets: Any) -> Any:
        """A folder written by ``save_to_disk`` (memory-mapped Arrow files): its ``split`` when it
        holds several. It is read as a memory-mapped map-style dataset whatever ``streaming`` says."""
        try:
            ds = datasets.load_from_disk(self.path)
        except (FileNotFoundError, ValueError, OSError) as exc:
            raise InputDataError(f"cannot load the saved dataset {self.path!r}: {exc}") from None
        if isinstance(ds, datasets.DatasetDict):
            if self.split not in ds:
                raise InputDataError(
                    f"the saved dataset {self.path!r} has no split {self.split!r} (splits: {sorted(ds)}); "
                    f"name one as hf:{self.path}::SPLIT."
                )
            ds = ds[self.split]
        return ds

    def _on_hub(self) -> bool:
        """Whether reading needs the hub (a dataset name, not a local builder or folder)."""
        return self.path not in LOCAL_BUILDERS and not Path(self.path).exists()

    def iter_raw(self, skip: int = 0) -> Iterator[str]:
        return self.iter_raw_resumable(skip)[0]

    def iter_raw_resumable(
        self, skip: int = 0, resume: dict[str, Any] | None = None
    ) -> tuple[Iterator[str], Callable[[], Any]]:
        """Rows from ``skip`` on. A streaming dataset restarts from ``resume`` (a state taken
        with ``IterableDataset.state_dict()`` after ``resume["items"]`` rows): only the
        rows after that point are read again, not every row before ``skip``."""
        ds = self._load()
        features = getattr(ds, "features", None) or getattr(ds, "column_names", None)
        if features is not None and self.text_field not in features:
            raise InputDataError(
                f"dataset {self.path!r} has no field {self.text_field!r} (fields: {list(features)}); "
                "choose one with --text-field."
            )
        discard = 0
        seekable = self.streaming and hasattr(ds, "state_dict")
        # How the last iteration started: from a stored state (rows read again to reach ``skip``) or not.
        self.last_start: dict[str, Any] = {"skip": skip, "from_state": None, "reread": 0}
        if resume and seekable and resume.get("state") is not None and resume.get("items", skip + 1) <= skip:
            ds.load_state_dict(resume["state"])
            discard = skip - int(resume["items"])
            self.last_start.update(from_state=int(resume["items"]), reread=discard)
        elif skip:
            ds = ds.skip(skip) if self.streaming else ds.select(range(skip, len(ds)))
        return self._rows(ds, discard), (ds.state_dict if seekable else lambda: None)

    def _rows(self, ds: Any, discard: int) -> Iterator[str]:
        try:
            yield from self._rows_unchecked(ds, discard)
        except ConnectionError as exc:  # a stream cut mid-way (requests' errors derive from OSError's)
            raise InputDataError(offline_message(self.path, self.name, str(exc))) from None

    def _rows_unchecked(self, ds: Any, discard: int) -> Iterator[str]:
        for row in ds:
            if discard:
                discard -= 1
                continue
            if self.text_field not in row:
                raise InputDataError(f"dataset {self.path!r} rows lack the field {self.text_field!r}.")
            yield document_text(row[self.text_field], self.text_field, f"dataset {self.path!r}")

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "name": self.name,
            "split": self.split,
            "data_files": self.data_files,
            "text_field": self.text_field,
        }
