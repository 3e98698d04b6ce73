"""Text normalisation and tokenisation.

The default rule (``"wiki"``) is the papers' Wikipedia pipeline (docs/science.md, section 1):
lowercase; delete numbers written with a decimal point or a thousands comma
(``\\d+,\\d+``, ``\\d+\\.\\d+``, each match removed left to right as a literal ``re.sub`` of the papers'
patterns does: ``3.14`` and ``1,234`` go whole, ``1,234,567`` leaves ``567`` and ``1.2.2020`` leaves ``2020``)
and apostrophes between letters
(``don't`` -> ``dont``); every run of characters outside ``[a-z0-9]`` becomes a space.
The ``"alpha"`` variant keeps only ``[a-z]+`` tokens. Both ASCII ``'`` and the
typographic ``’`` count as apostrophes.

Speed comes from doing per-character work in C: one regular-expression pass for the
deletions, then a 256-entry byte translation table over the UTF-8 bytes (every
non-ASCII byte is outside ``[a-z0-9]`` and becomes a space), then ``bytes.split``.
Tokens stay ``bytes`` on the hot path; :meth:`Tokenizer.__call__` decodes them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._core.errors import InputDataError
from .._core.io import read_utf8
from .._core.params import Interval, OneOf, validate
from .letters import MODES, handle_non_ascii

RULES = ("wiki", "alpha")
# Both patterns start with a literal character class so the regex engine can skip ahead
# quickly; a plain "[0-9]+[,.][0-9]+" tries a match at every digit and costs 5x more.
_SEPARATOR = re.compile(r"[,.](?<=[0-9][,.])(?=[0-9])")
_APOSTROPHE = re.compile(r"'(?<=[a-z]')(?=[a-z])")
_DIGIT_RUN = re.compile(r"[0-9]*")


def delete_numbers(text: str) -> str:
    """Delete ``[0-9]+[,.][0-9]+`` matches, scanning left to right like ``re.sub`` would."""
    pieces: list[str] = []
    last = 0
    for m in _SEPARATOR.finditer(text):
        sep = m.start()
        if sep - 1 < last:  # the digits before this separator were eaten by the previous match
            continue
        start = sep - 1
        while start > last and "0" <= text[start - 1] <= "9":
            start -= 1
        digits = _DIGIT_RUN.match(text, sep + 1)
        assert digits is not None  # [0-9]* matches the empty string, so it matches at every position
        end = digits.end()
        pieces.append(text[last:start])
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def normalise(text: str) -> str:
    """Lowercase and apply the deletions of the papers' rule (numbers with , or ., inner apostrophes)."""
    text = text.lower()
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    return _APOSTROPHE.sub("", delete_numbers(text))


def _byte_table(keep: bytes) -> bytes:
    table = bytearray(b" " * 256)
    for b in keep:
        table[b] = b
    return bytes(table)


def _keep_table(table: bytes) -> np.ndarray:
    keep = np.zeros(256, dtype=np.uint8)
    keep[[b for b in range(256) if table[b] != 32]] = 1
    return keep


_TABLES = {
    "wiki": _byte_table(b"abcdefghijklmnopqrstuvwxyz0123456789"),
    "alpha": _byte_table(b"abcdefghijklmnopqrstuvwxyz"),
}


class Tokenizer:
    """Turn a document's text into a list of tokens.

    Parameters
    ----------
    rule : {"wiki", "alpha"}
        ``"wiki"`` keeps ``[a-z0-9]+`` tokens (the papers' default); ``"alpha"`` keeps ``[a-z]+``.
    substitutions : mapping of str to str, optional
        Multi-word expressions joined into one token after normalisation, e.g.
        ``{"new york": "new-york"}``. Keys are normalised with the same rule.
    min_doc_tokens : int
        Documents with fewer tokens are dropped (200 in the papers, 500 for ``"alpha"``).
    non_ascii : {"transliterate", "drop", "split"}, default "transliterate"
        Letters outside ASCII: spelled in ASCII where they decompose ("Zürich" -> "zurich"), the
        word dropped where they do not; or every such word dropped; or the papers' literal rule,
        which splits the word ("z", "rich"). See :mod:`cooc.corpus.letters`.

    Examples
    --------
    Apostrophes between letters and decimal numbers are deleted, the rest split on
    anything outside ``[a-z0-9]`` (tokens are UTF-8 bytes):

    >>> from cooc import Tokenizer
    >>> Tokenizer().tokens("It's 3.14 in New York!")
    [b'its', b'in', b'new', b'york']
    >>> Tokenizer(substitutions={"new york": "new-york"}).tokens("It's 3.14 in New York!")
    [b'its', b'in', b'new-york']
    """

    _constraints = {"rule": OneOf(RULES), "min_doc_tokens": Interval(int, 0, None), "non_ascii": OneOf(MODES)}

    def __init__(
        self,
        rule: str = "wiki",
        substitutions: Mapping[str, str] | None = None,
        min_doc_tokens: int = 0,
        non_ascii: str = "transliterate",
    ):
        validate(
            {"rule": rule, "min_doc_tokens": min_doc_tokens, "non_ascii": non_ascii}, self._constraints, "Tokenizer"
        )
        self.rule = rule
        self.non_ascii = non_ascii
        self.min_doc_tokens = int(min_doc_tokens)
        self.substitutions = dict(substitutions or {})
        self._table = _TABLES[rule]
        self._keep = _keep_table(self._table)
        self._subst_re, self._subst_map = self._compile_substitutions(self.substitutions)

    def _compile_substitutions(self, table: Mapping[str, str]):
        if not table:
            return None, {}
        mapping: dict[bytes, bytes] = {}
        for phrase, joined in table.items():
            key = b" ".join(self.tokens(phrase, substitute=False))
            if len(key.split()) < 2:
                raise InputDataError(f"substitution {phrase!r} does not normalise to several words; nothing to join.")
            if not joined or any(c.isspace() for c in joined):
                raise InputDataError(f"substitution target {joined!r} must be one non-empty token without spaces.")
            mapping[key] = joined.encode("utf-8")
        # Longest phrases first so "new york city" wins over "new york".
        alternatives = sorted(mapping, key=len, reverse=True)
        pattern = rb"(?<![^ ])(?:" + rb"|".join(re.escape(k) for k in alternatives) + rb")(?![^ ])"
        return re.compile(pattern), mapping

    def tokens(self, text: str, substitute: bool = True) -> list[bytes]:
        """Tokens of ``text`` as ASCII ``bytes`` (the fast path used by corpus building)."""
        text = handle_non_ascii(text, self.non_ascii)[0]
        data = normalise(text).encode("utf-8", "surrogatepass").translate(self._table)
        if substitute and self._subst_re is not None:
            data = self._subst_re.sub(lambda m: self._subst_map[m.group(0)], b" ".join(data.split()))
        return data.split()

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text`` as ``str``."""
        return [t.decode("ascii", "replace") if t.isascii() else t.decode("utf-8") for t in self.tokens(text)]

    def encode_batch(self, texts: list[str]) -> tuple[list[bytes], np.ndarray, np.ndarray]:
        """Tokenise a batch of documents into batch-local ids (see :class:`StreamEncoder`)."""
        return StreamEncoder(self).encode(texts)

    def settings(self) -> dict[str, Any]:
        """Everything needed to rebuild this tokenizer (stored in corpus manifests)."""
        return {
            "rule": self.rule,
            "min_doc_tokens": self.min_doc_tokens,
            "substitutions": self.substitutions,
            "non_ascii": self.non_ascii,
        }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Tokenizer:
        return cls(
            settings.get("rule", "wiki"),
            settings.get("substitutions") or None,
            settings.get("min_doc_tokens", 0),
            settings.get("non_ascii", "split"),  # corpora built before the choice split such words
        )

    def __repr__(self) -> str:
        return (
            f"Tokenizer(rule={self.rule!r}, substitutions={len(self.substitutions)} entries, "
            f"min_doc_tokens={self.min_doc_tokens}, non_ascii={self.non_ascii!r})"
        )


def _invalid_lines(data: bytes) -> int:
    bad = 0
    for line in data.split(b"\n"):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    return bad


def load_substitutions(path: str | os.PathLike) -> dict[str, str]:
    """Read a substitution table: one phrase per line, optionally ``phrase<TAB>token``.

    Without a token the words are joined with ``-`` (``new york`` -> ``new-york``).
    Blank lines and lines starting with ``#`` are ignored, and so is a byte-order mark (Windows editors).
    """
    table: dict[str, str] = {}
    text = read_utf8(path, "substitution table", encoding="utf-8-sig")
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):  # the lines open() would give
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        phrase, _, token = line.partition("\t")
        phrase = " ".join(phrase.split())
        table[phrase] = token.strip() or phrase.replace(" ", "-")
    return table


class StreamEncoder:
    """Encodes batches of documents with ids that persist from one batch to the next.

    The compiled path (numba) is used unless a substitution table is set; both give the
    tokens of :meth:`Tokenizer.tokens`. ``transliterated`` and ``dropped`` count the words
    with letters outside ASCII that were spelled in ASCII or dropped (see ``non_ascii``).
    With ``packed``, the new types of a batch come as their bytes back to back and an int64
    array of their lengths instead of a list (what a corpus build's main process reads).
    """

    def __init__(self, tokenizer: Tokenizer, packed: bool = False):
        from . import _tokenize_fast as fast

        self.tokenizer = tokenizer
        self.packed = packed
        self._fast = (
            fast.BatchEncoder(tokenizer._keep, packed=packed) if fast.HAVE_NUMBA and not tokenizer._subst_map else None
        )
        self._table: dict[bytes, int] = {}
        self.transliterated = 0
        self.dropped = 0

    def _letters(self, text: str) -> str:
        text, changed, dropped = handle_non_ascii(text, self.tokenizer.non_ascii)
        self.transliterated += changed
        self.dropped += dropped
        return text

    def encode(self, texts: list[str]):
        """Encode a batch.

        Returns
        -------
        new_types : list of bytes, or (bytes, ndarray of int64) when ``packed``
            Types first seen in this batch; their ids follow those of earlier batches.
        ids : ndarray of int32, shape (n_tokens,)
            Ids of the kept documents' tokens, concatenated.
        lengths : ndarray of int64, shape (len(texts),)
            Tokens per document; ``-1`` for a document dropped (empty or under ``min_doc_tokens``).
        """
        if self._fast is not None:
            new_types, ids, counts = self._fast.encode([self._letters(t) for t in texts])
        else:
            new_types, ids, counts = self._encode_python(texts)
        return self._drop_short(new_types, ids, counts)

    def encode_lines(self, data: bytes):
        """Encode UTF-8 text holding one document per line (see :meth:`encode`).

        Returns
        -------
        new_types, ids, lengths
            As :meth:`encode`, one length per line (blank lines are dropped documents).
        bad_lines : int
            Lines with bytes that are not UTF-8 (they separate tokens, like U+FFFD would).
        """
        from . import _tokenize_fast as fast

        if data.isascii():
            bad = 0
        elif fast.HAVE_NUMBA:
            bad = int(fast.invalid_utf8_lines(np.frombuffer(data, dtype=np.uint8)))
        else:
            bad = _invalid_lines(data)
        if self._fast is not None:
            if self.tokenizer.non_ascii != "split" and not data.isascii():
                # a last line without its newline must stay a line when transliteration empties it (U+0300 alone)
                ended = data if data.endswith(b"\n") else data + b"\n"
                data = self._letters(ended.decode("utf-8", errors="replace")).encode("utf-8", "surrogatepass")
            return (*self._drop_short(*self._fast.encode_lines(data)), bad)
        pieces = data.split(b"\n")
        if pieces[-1] == b"":
            pieces.pop()
        texts = [p.decode("utf-8", errors="replace") for p in pieces]
        return (*self._drop_short(*self._encode_python(texts)), bad)

    def _drop_short(self, new_types, ids, counts):
        dropped = (counts == 0) | (counts < self.tokenizer.min_doc_tokens)
        if dropped.any():
            ids = ids[np.repeat(~dropped, counts)]
        return new_types, ids, np.where(dropped, -1, counts).astype(np.int64)

    def _encode_python(self, texts: list[str]):
        table = self._table
        first = len(table)
        ids: list[int] = []
        counts = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            tokens = self.tokenizer.tokens(self._letters(text))
            counts[i] = len(tokens)
            ids.extend([table.setdefault(t, len(table)) for t in tokens])
        new_types = list(table)[first:] if len(table) > first else []
        if self.packed:
            lengths = np.fromiter(map(len, new_types), dtype=np.int64, count=len(new_types))
            return (b"".join(new_types), lengths), np.array(ids, dtype=np.int32), counts
        return new_types, np.array(ids, dtype=np.int32), counts
