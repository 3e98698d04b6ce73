"""What becomes of letters outside ASCII before the ``[a-z0-9]`` rule applies.

The papers' rule turns every character outside ``[a-z0-9]`` into a space, which splits words
with accents in two ("zürich" -> "z", "rich"). cooc chooses, per tokenizer (``non_ascii``):

- ``"transliterate"`` (the default): decompose (Unicode NFKD), drop the combining marks and
  spell a few letters the way English text does (ß -> ss, æ -> ae, œ -> oe, ø -> o, ł -> l,
  đ/ð -> d, þ -> th), so "Zürich" becomes "zurich" and "naïve" "naive"; a word that still holds
  a letter outside ASCII afterwards (Greek, Cyrillic, CJK) is dropped whole;
- ``"drop"``: every word holding a letter outside ASCII is dropped whole;
- ``"split"``: the papers' literal rule (the word is split at those letters).

A "word" here is a run of letters and digits (Unicode's ``\\w`` without ``_``), apostrophes
inside it included; punctuation and symbols around it are left to the rule. Every pass is a
C-level regular expression or ``str.translate`` over the whole text, and ASCII text is
returned untouched at once.
"""

from __future__ import annotations

import re
import unicodedata

MODES = ("transliterate", "drop", "split")

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SPELLED = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)
#: a run of letters and digits (inner apostrophes included: "gödel's") holding a non-ASCII letter or digit. A
#: match starts only where a run starts (the lookbehind): tried at every letter of a long ASCII run, each
#: attempt scanning to its end, the search took time in the square of the run's length
_FOREIGN_WORD = re.compile(r"(?<![^\W_])(?:[^\W_]+['\u2019])*[^\W_]*[^\x00-\x7f\W][^\W_]*(?:['\u2019][^\W_]+)*")
_M = _COMBINING.pattern
_L = rf"(?:[^\W_]|{_M})"  # a letter or digit, or a combining mark extending one
#: the same, with combining marks counted as letters outside ASCII ("cafe" + U+0301 is a word holding one); a
#: word starts with a letter or digit, so a stray mark after a space extends no word
_MARKED_WORD = re.compile(
    rf"(?<![^\W_])(?=[^\W_])(?:{_L}+['\u2019])*{_L}*(?:[^\x00-\x7f\W]|{_M}){_L}*(?:['\u2019]{_L}+)*"
)


def handle_non_ascii(text: str, mode: str = "transliterate") -> tuple[str, int, int]:
    """``text`` with its non-ASCII letters treated by ``mode``.

    Returns
    -------
    text : str
    changed : int
        Words spelled in ASCII by transliteration (0 unless ``"transliterate"``).
    dropped : int
        Words removed because a letter outside ASCII remained.
    """
    if mode == "split" or text.isascii():
        return text, 0, 0
    if mode == "transliterate":
        before = len(_FOREIGN_WORD.findall(text))
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).translate(_SPELLED)
        text, dropped = _FOREIGN_WORD.subn(" ", text)
        return text, before - dropped, dropped
    # the text as given, a combining mark counted as a letter of its word: 'cafe' + U+0301 (as macOS writes it)
    # is 'café', and 're' + U+0301 + 'sume' + U+0301 + 's' one word, dropped whole. Not composed first: NFC
    # spells U+212A KELVIN SIGN as an ASCII 'K', which would keep its word.
    text, dropped = _MARKED_WORD.subn(" ", text)
    return text, 0, dropped


__all__ = ["MODES", "handle_non_ascii"]
