"""Exceptions raised by cooc.

Every error the toolkit raises on purpose is a :class:`CoocError`; subclasses that
correspond to a familiar Python error also derive from it (``ValueError``, ...), so
``except ValueError`` keeps working for users who expect it.
"""

from __future__ import annotations


class CoocError(Exception):
    """Base class of every error raised on purpose by cooc."""


class InvalidParameterError(CoocError, ValueError):
    """A parameter has a value outside what is allowed."""


class InputDataError(CoocError, ValueError):
    """The input data (a source, a file's contents) cannot be used."""


class CorruptFileError(CoocError):
    """A file written by cooc is missing, truncated, edited or foreign."""


class OutputExistsError(CoocError):
    """The output location already holds something different; pass overwrite."""


class OutputBusyError(CoocError):
    """Another process is writing the output (or reading what would be replaced); nothing was changed."""


class ClusterError(CoocError):
    """A Dask scheduler cannot be reached, does not answer in time, or was lost during a job."""


class MissingDependencyError(CoocError, ImportError):
    """An optional dependency is not installed; the message gives the pip line."""


class TrainingDivergedError(CoocError, FloatingPointError):
    """Training produced a loss that is not a finite number (a learning rate too high); nothing is saved from it."""


class UnknownWordError(CoocError, KeyError):
    """A word is not in a vocabulary (a KeyError, as gensim raises)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
