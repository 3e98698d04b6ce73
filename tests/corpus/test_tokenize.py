"""Tokeniser rules on hand-written strings, and the compiled path against the Python reference."""

from __future__ import annotations

import io
import re
import unicodedata

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cooc._core.errors import InputDataError, InvalidParameterError
from cooc.corpus.letters import handle_non_ascii
from cooc.corpus.tokenize import Tokenizer, delete_numbers, load_substitutions, normalise


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello, World!", ["hello", "world"]),
        ("Don't stop", ["dont", "stop"]),
        ("rock'n'roll", ["rocknroll"]),
        ("'quoted' words", ["quoted", "words"]),
        ("It’s typographic", ["its", "typographic"]),
        ("1,000 people in 2020", ["people", "in", "2020"]),
        ("pi is 3.14159 roughly", ["pi", "is", "roughly"]),
        ("1,000,000 dollars", ["000", "dollars"]),  # left-to-right like re.sub: "1,000" goes, ",000" stays
        ("U.S. army", ["u", "s", "army"]),
        ("end.Next 5.x", ["end", "next", "5", "x"]),
        ("Café naïve", ["cafe", "naive"]),
        ("tab\tand\nnewline", ["tab", "and", "newline"]),
        ("", []),
    ],
)
def test_wiki_rule(text, expected):
    assert Tokenizer()(text) == expected


def test_alpha_rule_drops_digits():
    assert Tokenizer("alpha")("Route 66 in 1,926 and x86") == ["route", "in", "and", "x"]


def test_substitutions_join_longest_phrase_first():
    tok = Tokenizer(substitutions={"new york": "new-york", "New York City": "nyc"})
    assert tok("I love New York; New York City too, and new  york.") == [
        "i",
        "love",
        "new-york",
        "nyc",
        "too",
        "and",
        "new-york",
    ]
    assert tok("renew yorkshire") == ["renew", "yorkshire"]  # only whole words


def test_substitution_errors():
    with pytest.raises(InputDataError):
        Tokenizer(substitutions={"single": "x"})
    with pytest.raises(InputDataError):
        Tokenizer(substitutions={"two words": "has space"})


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="rule"):
        Tokenizer("nope")
    with pytest.raises(InvalidParameterError, match="min_doc_tokens"):
        Tokenizer(min_doc_tokens=-1)


def test_load_substitutions(tmp_path):
    path = tmp_path / "subs.tsv"
    path.write_text("# comment\nnew york\nlos angeles\tLA\n\n")
    assert load_substitutions(path) == {"new york": "new-york", "los angeles": "LA"}
    path.write_bytes(b"\xef\xbb\xbfnew york\nlos angeles\tLA\n")  # saved by a Windows editor: a byte-order mark
    assert load_substitutions(path) == {"new york": "new-york", "los angeles": "LA"}


def test_numbers_go_one_match_at_a_time_as_the_literal_patterns_do():
    tok = Tokenizer()
    assert tok("pi 3.14 and 1,234 people") == ["pi", "and", "people"]
    assert tok("population 1,234,567 on 1.2.2020") == ["population", "567", "on", "2020"]


def test_drop_treats_a_decomposed_accent_as_the_letter_it_composes():
    # 'cafe' + U+0301 (NFD, as macOS writes text) is 'café': dropped as a word outside ASCII, not kept as 'cafe'
    for text in ("un cafe\u0301 noir", "un caf\u00e9 noir"):
        assert Tokenizer(non_ascii="drop")(text) == ["un", "noir"], ascii(text)
        assert Tokenizer()(text) == ["un", "cafe", "noir"], ascii(text)  # transliterated either way


def test_drop_drops_a_word_whose_non_ascii_letter_composes_to_ascii():
    # U+212A KELVIN SIGN is a letter outside ASCII; NFC spells it 'K', but its word is dropped all the same
    assert Tokenizer(non_ascii="drop")("the \u212aelvin scale") == ["the", "scale"]
    assert handle_non_ascii("the \u212aelvin and caf\u00e9 and cafe\u0301", "drop")[2] == 3


def test_drop_drops_a_word_that_mixes_composed_and_decomposed_letters_whole():
    # a combining mark is not a letter for the regular expressions: 'sume' + U+0301 + 's' must not leave 's'
    drop = Tokenizer(non_ascii="drop")
    assert drop("r\u00e9sume\u0301s are here") == ["are", "here"]
    assert drop("\u00f1e\u0301x y") == ["y"]
    assert drop("x\u0301s y") == ["y"]  # a mark no letter composes with still marks its word
    assert handle_non_ascii("r\u00e9sume\u0301s and x\u0301s", "drop")[2] == 2
    words = "the caf\u00e9 r\u00e9sum\u00e9s na\u00efve's se\u00f1or z\u00fcrich abc\u2019d\u00e9f end"
    for form in ("NFC", "NFD"):  # the same words kept however the text is normalised
        assert drop(unicodedata.normalize(form, words)) == ["the", "end"], form


def test_drop_a_stray_mark_after_a_space_extends_no_word():
    # a mark opens no word: the ASCII word after it is kept, and the mark alone is no dropped word
    assert Tokenizer(non_ascii="drop")("said \u0301hello world") == ["said", "hello", "world"]
    assert handle_non_ascii("x \u0301 y", "drop")[2] == 0
    assert handle_non_ascii("x \u0301\u00df1 y", "drop") == ("x \u0301  y", 0, 1)  # the word after it still counts


_MARK = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _drop_by_scanning(text: str) -> tuple[str, int, int]:
    """Drop mode by a left-to-right scan: a word starts at a letter or digit that follows none, runs over
    letters, digits and combining marks, across an apostrophe followed by more of them; it is dropped (one
    space) when one of its letters, digits or marks lies outside ASCII."""
    letter = lambda c: re.match(r"[^\W_]", c) is not None  # noqa: E731
    inside = lambda c: letter(c) or _MARK.match(c) is not None  # noqa: E731
    out, i, dropped = [], 0, 0
    while i < len(text):
        if not letter(text[i]) or (i and letter(text[i - 1])):
            out.append(text[i])
            i += 1
            continue
        j = i
        while (
            j < len(text)
            and inside(text[j])
            or (j + 1 < len(text) and text[j] in "'\u2019" and j > i and inside(text[j + 1]))
        ):
            j += 1
        word = text[i:j]
        foreign = any(inside(c) and (not c.isascii() or _MARK.match(c)) for c in word)
        out.append(" " if foreign else word)
        dropped += foreign
        i = j
    return "".join(out), 0, dropped


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab1\u00e9\u0436\u0301'\u2019 -_\u212a\u00df", min_size=1, max_size=12))
def test_drop_equals_a_scan_word_by_word(text):
    if not text.isascii():
        assert handle_non_ascii(text, "drop") == _drop_by_scanning(text)


@pytest.mark.parametrize("mode", ["drop", "transliterate"])
def test_a_long_letter_run_beside_a_non_ascii_word_takes_linear_time(mode):
    # each search used to start at every letter of the run and scan to its end: 16,000 letters took 13-21 s,
    # 40,000 about 100 s; one pass takes milliseconds
    import time

    text = "caf\u00e9 " + "a" * 40_000 + " na\u00efve"
    start = time.perf_counter()
    out, _, dropped = handle_non_ascii(text, mode)
    assert time.perf_counter() - start < 5.0
    assert out.split() == (["a" * 40_000] if mode == "drop" else ["cafe", "a" * 40_000, "naive"])


def test_settings_round_trip():
    tok = Tokenizer("alpha", {"a b": "a-b"}, 5)
    again = Tokenizer.from_settings(tok.settings())
    assert again.settings() == tok.settings()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789,.ab '", max_size=40))
def test_delete_numbers_matches_re_sub(text):
    assert delete_numbers(text) == re.sub(r"[0-9]+[,.][0-9]+", "", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ'’ 1,.", max_size=30))
def test_normalise_matches_sequential_regexes(text):
    ref = re.sub(r"(?<=[a-z])'(?=[a-z])", "", re.sub(r"[0-9]+[,.][0-9]+", "", text.lower().replace("’", "'")))
    assert normalise(text) == ref


_TEXT = st.text(alphabet=st.sampled_from(list("abcxyzABZ019 ,.'’\n\x00-éÉßİ\u212a😀")), max_size=60)


def _reference_batch(tok, texts):
    """Straightforward Python: tokenise each text, number types in order of appearance."""
    table, ids, lengths = {}, [], []
    for text in texts:
        tokens = tok.tokens(text)
        if not tokens or len(tokens) < tok.min_doc_tokens:
            lengths.append(-1)
            continue
        lengths.append(len(tokens))
        ids.extend(table.setdefault(t, len(table)) for t in tokens)
    return list(table), ids, lengths


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=8), st.sampled_from(["wiki", "alpha"]), st.integers(0, 3))
def test_compiled_batch_equals_reference(texts, rule, min_tokens):
    tok = Tokenizer(rule, min_doc_tokens=min_tokens)
    types, ids, lengths = tok.encode_batch(texts)
    ref_types, ref_ids, ref_lengths = _reference_batch(tok, texts)
    assert lengths.tolist() == ref_lengths
    assert [types[i] for i in ids] == [ref_types[i] for i in ref_ids]
    assert len(set(types)) == len(types) >= len(ref_types)  # types of dropped documents may be listed too
    assert ids.dtype == np.int32


def test_stream_encoder_keeps_ids_across_batches(wiki_docs):
    from cooc.corpus.tokenize import StreamEncoder

    tok = Tokenizer()
    for encoder in (StreamEncoder(tok), _python_encoder(tok)):
        types: list[bytes] = []
        for start in range(0, len(wiki_docs), 25):
            batch = wiki_docs[start : start + 25]
            new, ids, _ = encoder.encode(batch)
            assert not set(new) & set(types)
            types += new
            assert [types[i] for i in ids] == [t for d in batch for t in tok.tokens(d)]


def _python_encoder(tok):
    from cooc.corpus.tokenize import StreamEncoder

    encoder = StreamEncoder(tok)
    encoder._fast = None
    return encoder


def test_compiled_batch_on_wikipedia_sample(wiki_docs):
    tok = Tokenizer(min_doc_tokens=50)
    types, ids, lengths = tok.encode_batch(wiki_docs)
    ref_types, ref_ids, ref_lengths = _reference_batch(tok, wiki_docs)
    assert lengths.tolist() == ref_lengths
    assert [types[i] for i in ids] == [ref_types[i] for i in ref_ids]
    assert ids.size > 400_000


def test_batch_with_substitutions_uses_python_path():
    tok = Tokenizer(substitutions={"new york": "new-york"})
    types, ids, lengths = tok.encode_batch(["New York is big", "", "york new york"])
    assert [types[i].decode() for i in ids] == ["new-york", "is", "big", "york", "new-york"]
    assert lengths.tolist() == [3, -1, 2]


def test_table_and_arena_growth(rng):
    """Many distinct and long types in one batch force several rehashes and arena growths."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, size=rng.integers(1, 40))) for _ in range(60_000)]
    texts = [" ".join(words[i : i + 1000]) for i in range(0, len(words), 1000)]
    tok = Tokenizer()
    types, ids, lengths = tok.encode_batch(texts)
    assert [types[i].decode() for i in ids] == words
    assert lengths.tolist() == [1000] * 60


def test_non_ascii_characters_that_lowercase_to_ascii_are_all_listed():
    from cooc.corpus._tokenize_fast import TO_ASCII_LOWER

    found = {chr(c) for c in range(128, 0x110000) if any(ord(x) < 128 for x in chr(c).lower())}
    assert found == {char for char, _ in TO_ASCII_LOWER}
    assert all(char.lower() == lower for char, lower in TO_ASCII_LOWER)


@pytest.mark.parametrize(
    "text", ["İstanbul KELVIN \u212aelvin", "ÀÉÎ Straße DON’T Don't 1,5 X1.5Y ΣΑΣ", "ASCII ONLY, Mixed Case 3.14 It'S"]
)
def test_compiled_lowercasing_equals_str_lower(text):
    tok = Tokenizer()
    types, ids, _ = tok.encode_batch([text, text.upper(), text.swapcase()])
    ref_types, ref_ids, _ = _reference_batch(tok, [text, text.upper(), text.swapcase()])
    assert [types[i] for i in ids] == [ref_types[i] for i in ref_ids]


_LINE_BYTES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"\n",
                b"\x00",
                b" ",
                b"A",
                b"b",
                b"1",
                b",",
                b".",
                b"'",
                "’".encode(),
                "İ".encode(),
                "\u212a".encode(),
                "é".encode(),
                "😀".encode(),
                b"\r",
            ]
        ),
        st.binary(min_size=1, max_size=3),
    ),
    max_size=40,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(_LINE_BYTES, st.sampled_from(["wiki", "alpha"]), st.integers(0, 2), st.booleans())
@example(b"\xcc\x80", "wiki", 0, True)  # a last line that transliteration empties stays a (dropped) line
@example(b"a\n\xcc\x80", "alpha", 0, True)
def test_encode_lines_equals_decoding_each_line(data, rule, min_tokens, compiled):
    from cooc.corpus.tokenize import StreamEncoder

    tok = Tokenizer(rule, min_doc_tokens=min_tokens)
    encoder = StreamEncoder(tok) if compiled else _python_encoder(tok)
    types, ids, lengths, bad = encoder.encode_lines(data)
    lines = [raw.decode("utf-8", errors="replace") for raw in io.BytesIO(data)]
    ref_types, ref_ids, ref_lengths = _reference_batch(tok, lines)
    assert lengths.tolist() == ref_lengths
    assert [types[i] for i in ids] == [ref_types[i] for i in ref_ids]
    assert bad == sum(1 for raw in io.BytesIO(data) if not _decodes(raw))


def _decodes(raw):
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=12))
def test_utf8_validator_agrees_with_python(raw):
    from cooc.corpus._tokenize_fast import invalid_utf8_lines

    expected = sum(not _decodes(line) for line in io.BytesIO(raw))
    assert invalid_utf8_lines(np.frombuffer(raw, dtype=np.uint8)) == expected
    assert invalid_utf8_lines(np.frombuffer(raw + b"\n", dtype=np.uint8)) == expected


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("transliterate", ["zurich", "cafe", "strasse", "in", "godels", "e", "mc2"]),
        ("drop", ["in", "e"]),
        ("split", ["z", "rich", "caf", "stra", "e", "in", "g", "dels", "e", "mc"]),
    ],
)
def test_letters_outside_ascii_are_spelled_dropped_or_split_never_silently(mode, expected):
    text = "Zürich café Straße in Москва 東京 Gödel's e=mc²"
    tok = Tokenizer(non_ascii=mode)
    assert tok(text) == expected
    from cooc.corpus.tokenize import StreamEncoder

    encoder = StreamEncoder(tok)
    types, ids, _ = encoder.encode([text])
    assert [types[i].decode() for i in ids] == expected  # the compiled path agrees
    changed, dropped = {"transliterate": (5, 2), "drop": (0, 7), "split": (0, 0)}[mode]
    assert (encoder.transliterated, encoder.dropped) == (changed, dropped)
    lines = StreamEncoder(tok)
    new_types, line_ids, _, _ = lines.encode_lines((text + "\n").encode())
    assert [new_types[i].decode() for i in line_ids] == expected and lines.dropped == dropped


def test_corpora_built_before_the_choice_keep_splitting():
    assert Tokenizer.from_settings({"rule": "wiki"}).non_ascii == "split"
    assert Tokenizer.from_settings(Tokenizer().settings()).non_ascii == "transliterate"


def test_type_table_numbers_strings_as_a_dict_would(rng):
    """The build's type table (compiled open addressing over a byte arena) against a dict: strings that
    share their first 8 bytes and length, empty ones, NUL and non-ASCII bytes; many calls, growing from
    a tiny table; and the bytes, lines and sort prefixes it gives back."""
    from cooc.corpus._tokenize_fast import TypeTable

    stems = [b"", b"a", b"internat", b"internationa", b"\xc3\xa9t\xc3\xa9", b"zz\x00"]
    pool = [
        stems[rng.integers(len(stems))] + bytes(rng.integers(0, 256, rng.integers(0, 12)).tolist()) for _ in range(4000)
    ]
    pool = [p.replace(b"\n", b"") for p in pool]
    table, reference = TypeTable(capacity=4), {}
    for _ in range(30):
        batch = [pool[i] for i in rng.integers(0, len(pool), rng.integers(0, 400))]
        want = [reference.setdefault(t, len(reference)) for t in batch]
        got = table.intern(b"".join(batch), [len(t) for t in batch])
        assert got.dtype == np.int32 and got.tolist() == want
    assert table.n_types == len(reference)
    ordered = list(reference)
    ids = rng.permutation(len(ordered))
    assert table.names(ids) == [ordered[i] for i in ids]
    assert table.lines(3, 40) == b"".join(t + b"\n" for t in ordered[3:40])
    text = np.array([i for i in ids if ordered[i].decode("utf-8", "replace").encode() == ordered[i]])
    assert table.decoded(text) == [ordered[i].decode() for i in text] and table.decoded(text[:0]) == []
    again = TypeTable(capacity=2)
    assert again.intern_lines(table.lines(0, table.n_types)).tolist() == list(range(len(ordered)))
    prefix = table.sort_prefix(ids)
    assert prefix.tolist() == [int.from_bytes(ordered[i][:8].ljust(8, b"\0"), "big") for i in ids]
    with pytest.raises(ValueError, match="sum to"):
        table.intern(b"abc", [1, 1])
    table.intern(b"new\nline", [8])
    assert table.decoded(np.array([text[0], table.n_types - 1])) == [ordered[text[0]].decode(), "new\nline"]


def test_type_table_tells_apart_strings_whose_hashes_collide():
    """A full 64-bit hash collision (made here by hand) between strings of one length and 8-byte prefix:
    the bytes from the 9th on decide."""
    from cooc.corpus._tokenize_fast import TypeTable

    a, b = b"internatXonal", b"internatYonal"
    probe = TypeTable()
    probe.intern(b, [len(b)])
    table = TypeTable()
    table.intern(a, [len(a)])
    table.type_hash[0] = probe.type_hash[0]  # a now claims b's hash ...
    table.slots[:] = -1
    table.slots[int(probe.type_hash[0]) & (table.slots.size - 1)] = 0  # ... and sits in b's slot
    assert table.intern(b, [len(b)]).tolist() == [1]
    assert table.names(np.array([0, 1])) == [a, b]


@pytest.mark.parametrize("compiled", [True, False])
def test_packed_new_types_are_the_list_back_to_back(wiki_docs, compiled):
    """What a build's workers send: each batch's new types as one byte string and their lengths."""
    from cooc.corpus.tokenize import StreamEncoder

    tok = Tokenizer()
    plain, packed = StreamEncoder(tok), StreamEncoder(tok, packed=True)
    if not compiled:
        plain._fast = packed._fast = None
    for start in range(0, 100, 25):
        new, ids, lengths = plain.encode(wiki_docs[start : start + 25])
        (blob, sizes), ids2, lengths2 = packed.encode(wiki_docs[start : start + 25])
        assert blob == b"".join(new) and sizes.dtype == np.int64 and sizes.tolist() == [len(t) for t in new]
        assert np.array_equal(ids, ids2) and np.array_equal(lengths, lengths2)
    fresh = StreamEncoder(tok, packed=True)
    if not compiled:
        fresh._fast = None
    (blob, sizes), _, _, _ = fresh.encode_lines(b"one two\nthree one\n")
    assert (blob, sizes.tolist()) == (b"onetwothree", [3, 3, 5])
    (blob, sizes), _, _, _ = fresh.encode_lines(b"two one\n")  # nothing new
    assert (blob, sizes.tolist()) == (b"", [])


def test_type_table_writes_vocabulary_lines_as_vocabulary_save(tmp_path, rng):
    """The corpus build writes vocab.tsv from the table in one compiled pass: byte for byte what
    Vocabulary.save writes, for counts of every width (0 to 2**63 - 1) and non-ASCII words."""
    from cooc.corpus._tokenize_fast import TypeTable
    from cooc.corpus.vocab import Vocabulary

    words = [f"w{i}é{'x' * int(rng.integers(0, 12))}" for i in range(500)]
    table = TypeTable(capacity=4)
    table.intern("".join(words).encode(), [len(w.encode()) for w in words])
    ids = rng.permutation(len(words))[:400]
    counts = rng.integers(0, 10, ids.size) * 10 ** rng.integers(0, 19, ids.size)
    counts[:3] = [0, 9, 2**63 - 1]
    Vocabulary([words[i] for i in ids], counts).save(tmp_path / "v.tsv")
    assert table.tsv(ids, counts) == (tmp_path / "v.tsv").read_bytes()
    assert table.lines(2, 5) == "".join(w + "\n" for w in words[2:5]).encode() and table.lines(4, 4) == b""
    with pytest.raises(ValueError, match="non-negative"):
        table.tsv(ids[:2], np.array([1, -1]))
