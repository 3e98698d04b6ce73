"""Compiled batch tokeniser (numba): the papers' rules and id assignment without per-token Python objects.

The pure-Python :meth:`cooc.corpus.tokenize.Tokenizer.tokens` is the reference; this module
must give exactly the same tokens (tests compare them on random and real text). A batch
of documents is joined with NUL bytes and encoded to UTF-8, and then, in compiled code:
ASCII letters are lowercased and the few non-ASCII characters that matter are rewritten
(see ``_normalise_bytes``: lowercasing anything else cannot make a token), numbers with
a separator are deleted (scanning left to right exactly as ``re.sub`` would),
apostrophes between letters are deleted, and tokens are read off and given batch-local
ids through an open-addressing hash table that compares bytes on every hit.

The table persists across batches in a :class:`BatchEncoder` (one per worker process), so
after the first batches almost every token is already known and only new word types
cross the process boundary.
"""

from __future__ import annotations

import numpy as np

from .._core.numba_cache import kernel, numba_available

HAVE_NUMBA = numba_available()


# Non-ASCII characters whose lowercase contains an ASCII letter (the full list for Python's
# str.lower; a test recomputes it). Every other non-ASCII character stays a separator
# whatever its case, so lowering ASCII bytes and rewriting these (and the typographic
# apostrophe) in UTF-8 gives the tokens of ``text.lower()``.
TO_ASCII_LOWER = (("\u0130", "\u0130".lower()), ("\u212a", "k"))


@kernel
def _normalise_bytes(buf, out, lines):
    """One left-to-right scan of UTF-8 bytes: lowercase ASCII letters; U+0130 -> "i" U+0307,
    U+212A -> "k", U+2019 -> "'"; delete numbers with a separator. With ``lines``, each
    ``\\n`` ends a document (becomes the NUL separator) and a NUL inside one becomes a
    space. ``out`` needs ``buf.size * 3 // 2 + 1`` bytes (U+0130 grows from 2 to 3)."""
    n = buf.size
    i = 0
    o = 0
    while i < n:
        c = buf[i]
        if lines and (c == 10 or c == 0):
            out[o] = 0 if c == 10 else 32
            o += 1
            i += 1
            continue
        if 65 <= c <= 90:
            out[o] = c + 32
            o += 1
            i += 1
            continue
        if c == 0xC4 and i + 1 < n and buf[i + 1] == 0xB0:  # U+0130
            out[o] = 105
            out[o + 1] = 0xCC
            out[o + 2] = 0x87
            o += 3
            i += 2
            continue
        if (
            c == 0xE2
            and i + 2 < n
            and (buf[i + 1] == 0x84 and buf[i + 2] == 0xAA or buf[i + 1] == 0x80 and buf[i + 2] == 0x99)
        ):
            out[o] = 107 if buf[i + 1] == 0x84 else 39  # U+212A -> "k", U+2019 -> "'"
            o += 1
            i += 3
            continue
        if 48 <= c <= 57:
            j = i
            while j < n and 48 <= buf[j] <= 57:
                j += 1
            if j + 1 < n and (buf[j] == 44 or buf[j] == 46) and 48 <= buf[j + 1] <= 57:
                k = j + 1
                while k < n and 48 <= buf[k] <= 57:
                    k += 1
                i = k
                continue
            while i < j:
                out[o] = buf[i]
                o += 1
                i += 1
            continue
        out[o] = c
        o += 1
        i += 1
    return o


@kernel
def invalid_utf8_lines(buf):
    """How many ``\\n``-terminated lines of ``buf`` Python's strict UTF-8 decoder would refuse."""
    n = buf.size
    bad = 0
    line_bad = False
    i = 0
    while i < n:
        c = buf[i]
        i += 1
        if c == 10:
            bad += line_bad
            line_bad = False
            continue
        if c < 0x80:
            continue
        # lead byte: how many continuation bytes, and the allowed range of the first one
        lo, hi, more = 0x80, 0xBF, 0
        if 0xC2 <= c <= 0xDF:
            more = 1
        elif c == 0xE0:
            lo, more = 0xA0, 2
        elif c == 0xED:
            hi, more = 0x9F, 2
        elif 0xE1 <= c <= 0xEF:
            more = 2
        elif c == 0xF0:
            lo, more = 0x90, 3
        elif 0xF1 <= c <= 0xF3:
            more = 3
        elif c == 0xF4:
            hi, more = 0x8F, 3
        else:
            line_bad = True
            continue
        for k in range(more):
            if i >= n or not ((lo if k == 0 else 0x80) <= buf[i] <= (hi if k == 0 else 0xBF)):
                line_bad = True
                break
            i += 1
    return bad + line_bad


@kernel
def _delete_apostrophes(buf, n, out):
    o = 0
    for i in range(n):
        c = buf[i]
        if c == 39 and 0 < i < n - 1 and 97 <= buf[i - 1] <= 122 and 97 <= buf[i + 1] <= 122:
            continue
        out[o] = c
        o += 1
    return o


@kernel
def _mix(h):
    # splitmix64's finaliser: FNV-1a alone leaves the low bits (the slot index) poorly mixed.
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@kernel
def _encode_kernel(
    buf, n, keep, slots, type_hash, type_len, type_prefix, type_off, arena, counters, ids, doc_counts, i
):
    """Scan ``buf[i:n]``, appending token ids; return where it stopped (``n`` when done).

    ``counters`` holds [n_types, arena_used, n_tokens, doc]. The scan stops early, at the
    start of a token, when the table is half full or the token might not fit in the arena;
    the caller grows them and calls again from the returned position.
    """
    n_types = counters[0]
    arena_used = counters[1]
    n_tokens = counters[2]
    doc = counters[3]
    capacity = slots.size
    mask = np.uint64(capacity - 1)
    while i < n:
        c = buf[i]
        if c == 0:
            doc += 1
            i += 1
            continue
        if keep[c] == 0:
            i += 1
            continue
        if 2 * (n_types + 1) > capacity:  # type arrays hold capacity // 2 entries
            break
        start = i
        h = np.uint64(14695981039346656037)
        prefix = np.uint64(0)
        while i < n and keep[buf[i]] != 0:
            b = np.uint64(buf[i])
            h = (h ^ b) * np.uint64(1099511628211)
            if i - start < 8:
                prefix = prefix | (b << np.uint64(8 * (i - start)))
            i += 1
        length = i - start
        if arena_used + length > arena.size:
            i = start
            break
        h = _mix(h)
        pos = h & mask
        while True:
            t = slots[pos]
            if t < 0:
                t = n_types
                slots[pos] = t
                type_hash[t] = h
                type_len[t] = length
                type_prefix[t] = prefix
                type_off[t] = arena_used
                for k in range(length):
                    arena[arena_used + k] = buf[start + k]
                arena_used += length
                n_types += 1
                break
            if type_hash[t] == h and type_len[t] == length and type_prefix[t] == prefix:
                same = True
                if length > 8:  # the first 8 bytes already matched through the prefix
                    off = type_off[t]
                    for k in range(8, length):
                        if arena[off + k] != buf[start + k]:
                            same = False
                            break
                if same:
                    break
            pos = (pos + np.uint64(1)) & mask
        ids[n_tokens] = t
        n_tokens += 1
        doc_counts[doc] += 1
    counters[0] = n_types
    counters[1] = arena_used
    counters[2] = n_tokens
    counters[3] = doc
    return i


@kernel
def _rehash(type_hash, n_types, capacity):
    slots = np.full(capacity, -1, dtype=np.int64)
    mask = np.uint64(capacity - 1)
    for t in range(n_types):
        pos = type_hash[t] & mask
        while slots[pos] >= 0:
            pos = (pos + np.uint64(1)) & mask
        slots[pos] = t
    return slots


@kernel
def _gather(table, index, out, counts):
    for i in range(index.size):
        v = table[index[i]]
        out[i] = v
        counts[v] += 1


def gather(table: np.ndarray, index: np.ndarray, counts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``table[index]`` for int32 arrays (into ``out`` if given), adding one to ``counts[v]`` for each
    value ``v`` gathered (one pass, without numpy's conversion of the index to intp; the compiled
    path releases the GIL)."""
    if not HAVE_NUMBA:
        result = table[index]
        counts += np.bincount(result, minlength=counts.size)[: counts.size]
        if out is None:
            return result
        out[:] = result
        return out
    if out is None:
        out = np.empty(index.size, dtype=table.dtype)
    _gather(table, index, out, counts)
    return out


def _grown(arr: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=arr.dtype)
    out[: arr.size] = arr
    return out


NewTypes = list[bytes] | tuple[bytes, np.ndarray]  # a list, or packed: bytes back to back and lengths


class BatchEncoder:
    """Assigns ids to tokens, remembering every type seen by this encoder across batches.

    Parameters
    ----------
    keep : ndarray of uint8, shape (256,)
        1 for the byte values that belong to tokens.
    """

    def __init__(self, keep: np.ndarray, capacity: int = 1 << 16, packed: bool = False):
        self.keep = keep
        self.packed = packed
        self.slots = np.full(capacity, -1, dtype=np.int64)
        half = capacity // 2
        self.type_hash = np.empty(half, dtype=np.uint64)
        self.type_len = np.empty(half, dtype=np.int64)
        self.type_prefix = np.empty(half, dtype=np.uint64)
        self.type_off = np.empty(half, dtype=np.int64)
        self.arena = np.empty(1 << 20, dtype=np.uint8)
        self.n_types = 0
        self.arena_used = 0

    def _grow(self, need_arena: int) -> None:
        if 2 * (self.n_types + 1) > self.slots.size:
            capacity = 2 * self.slots.size
            half = capacity // 2
            self.type_hash = _grown(self.type_hash, half)
            self.type_len = _grown(self.type_len, half)
            self.type_prefix = _grown(self.type_prefix, half)
            self.type_off = _grown(self.type_off, half)
            self.slots = _rehash(self.type_hash, self.n_types, capacity)
        if self.arena_used + need_arena > self.arena.size:  # room for every remaining byte
            self.arena = _grown(self.arena, max(2 * self.arena.size, self.arena_used + need_arena))

    def encode(self, texts: list[str]) -> tuple[NewTypes, np.ndarray, np.ndarray]:
        """Encode a batch: the types first seen in it (their ids follow on from earlier batches),
        the ids of all tokens (int32, documents concatenated), and tokens per document."""
        joined = "\x00".join(texts)
        if joined.count("\x00") != len(texts) - 1:  # NUL separates documents: none inside one
            joined = "\x00".join(t.replace("\x00", " ") for t in texts)
        return self._encode(np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8), len(texts), False)

    def encode_lines(self, data: bytes) -> tuple[NewTypes, np.ndarray, np.ndarray]:
        """As :meth:`encode` for UTF-8 text with one document per ``\\n``-terminated line (a last
        line without ``\\n`` counts too). Undecodable bytes separate tokens, exactly as the
        U+FFFD that decoding with ``errors="replace"`` puts in their place would."""
        n_docs = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        return self._encode(np.frombuffer(data, dtype=np.uint8), n_docs, True)

    def _encode(self, buf: np.ndarray, n_docs: int, lines: bool) -> tuple[NewTypes, np.ndarray, np.ndarray]:
        stage = np.empty(buf.size * 3 // 2 + 1, dtype=np.uint8)
        n = _normalise_bytes(buf, stage, lines)
        clean = np.empty(max(n, 1), dtype=np.uint8)
        n = _delete_apostrophes(stage, n, clean)
        first_new = self.n_types
        ids = np.empty(n // 2 + 1, dtype=np.int32)
        doc_counts = np.zeros(n_docs, dtype=np.int64)
        counters = np.array([self.n_types, self.arena_used, 0, 0], dtype=np.int64)
        i = 0
        while True:
            i = _encode_kernel(
                clean,
                n,
                self.keep,
                self.slots,
                self.type_hash,
                self.type_len,
                self.type_prefix,
                self.type_off,
                self.arena,
                counters,
                ids,
                doc_counts,
                i,
            )
            self.n_types, self.arena_used = int(counters[0]), int(counters[1])
            if i >= n:
                break
            self._grow(n - i)
        return self._new_types(first_new), ids[: counters[2]], doc_counts

    def _new_types(self, first: int) -> NewTypes:
        """Types ``first`` onwards: a list of bytes, or with ``packed`` their bytes back to back and
        their lengths (no object per type; see :class:`TypeTable`)."""
        off, ln = self.type_off[first : self.n_types], self.type_len[first : self.n_types]
        if self.packed:
            return (self.arena[off[0] : self.arena_used].tobytes() if off.size else b""), ln.copy()
        return [self.arena[o : o + n].tobytes() for o, n in zip(off.tolist(), ln.tolist())]


@kernel
def _intern_kernel(blob, lengths, slots, type_hash, type_len, type_prefix, type_off, arena, counters, out, j):
    """Look up (or add) each of the byte strings ``blob`` holds back to back (``lengths``), from
    the ``j``-th on, writing their ids to ``out``; return where it stopped. Stops early, as
    :func:`_encode_kernel` does, when the table is half full or the arena too small.

    The probe repeats :func:`_encode_kernel`'s on purpose: moved into a shared function (even one
    numba inlines) it made the tokeniser 30-45% slower (0.11 -> 0.14-0.16 s for 1.3M tokens)."""
    n_types = counters[0]
    arena_used = counters[1]
    capacity = slots.size
    mask = np.uint64(capacity - 1)
    start = counters[2]  # where string j begins in blob
    while j < lengths.size:
        length = lengths[j]
        if 2 * (n_types + 1) > capacity or arena_used + length > arena.size:
            break
        h = np.uint64(14695981039346656037)
        prefix = np.uint64(0)
        for k in range(length):
            b = np.uint64(blob[start + k])
            h = (h ^ b) * np.uint64(1099511628211)
            if k < 8:
                prefix = prefix | (b << np.uint64(8 * k))
        h = _mix(h)
        pos = h & mask
        while True:
            t = slots[pos]
            if t < 0:
                t = n_types
                slots[pos] = t
                type_hash[t] = h
                type_len[t] = length
                type_prefix[t] = prefix
                type_off[t] = arena_used
                for k in range(length):
                    arena[arena_used + k] = blob[start + k]
                arena_used += length
                n_types += 1
                break
            if type_hash[t] == h and type_len[t] == length and type_prefix[t] == prefix:
                same = True
                off = type_off[t]
                for k in range(8, length):
                    if arena[off + k] != blob[start + k]:
                        same = False
                        break
                if same:
                    break
            pos = (pos + np.uint64(1)) & mask
        out[j] = t
        start += length
        j += 1
    counters[0] = n_types
    counters[1] = arena_used
    counters[2] = start
    return j


@kernel
def _join_types(arena, type_off, type_len, ids, with_counts, counts, digits, out):
    """Each type of ``ids`` then ``\\n``; or then a tab, its count in decimal (``digits`` wide), and ``\\n``."""
    o = 0
    for j in range(ids.size):
        t = ids[j]
        off = type_off[t]
        for k in range(type_len[t]):
            out[o] = arena[off + k]
            o += 1
        if with_counts:
            out[o] = 9
            o += 1
            c = counts[j]
            width = digits[j]
            for k in range(width - 1, -1, -1):
                out[o + k] = 48 + c % 10
                c //= 10
            o += width
        out[o] = 10
        o += 1


def _decimal_digits(counts: np.ndarray) -> np.ndarray:
    digits = np.ones(counts.size, dtype=np.int64)
    for power in range(1, 19):
        digits += counts >= 10**power
    return digits


class TypeTable(BatchEncoder):
    """The word types of a whole build, numbered in order of first appearance.

    The build's main process learns each worker's new types as one byte string and their
    lengths, and looks them all up in one compiled call (a Python dict cost about 1 us per type,
    paid once per type *and worker*). The types' bytes stay in the table's arena; ranking and
    decoding read them from there.
    """

    def __init__(self, capacity: int = 1 << 16):
        super().__init__(np.zeros(256, dtype=np.uint8), capacity)

    def intern(self, blob: bytes, lengths: np.ndarray) -> np.ndarray:
        """Ids (int32) of the strings ``blob`` holds back to back, adding those not seen yet."""
        lengths = np.asarray(lengths, dtype=np.int64)
        data = np.frombuffer(blob, dtype=np.uint8)
        if int(lengths.sum()) != data.size:
            raise ValueError(f"{lengths.size} type lengths sum to {int(lengths.sum())}, not to {data.size} bytes")
        out = np.empty(lengths.size, dtype=np.int32)
        counters = np.array([self.n_types, self.arena_used, 0], dtype=np.int64)
        j = 0
        while True:
            j = _intern_kernel(
                data,
                lengths,
                self.slots,
                self.type_hash,
                self.type_len,
                self.type_prefix,
                self.type_off,
                self.arena,
                counters,
                out,
                j,
            )
            self.n_types, self.arena_used = int(counters[0]), int(counters[1])
            if j >= lengths.size:
                return out
            self._grow(data.size - int(counters[2]))

    def intern_lines(self, data: bytes) -> np.ndarray:
        """As :meth:`intern` for ``\\n``-terminated strings (the build's ``.types`` files)."""
        parts = data.split(b"\n")[:-1]
        return self.intern(b"".join(parts), np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))

    def names(self, ids: np.ndarray) -> list[bytes]:
        """The bytes of each type in ``ids``."""
        arena, off, ln = self.arena, self.type_off, self.type_len
        return [arena[o : o + n].tobytes() for o, n in zip(off[ids].tolist(), ln[ids].tolist())]

    def decoded(self, ids: np.ndarray) -> list[str]:
        """The types in ``ids`` decoded from UTF-8: one compiled gather of their bytes, one decode."""
        if ids.size == 0:
            return []
        words = self._joined(ids).decode("utf-8").split("\n")[:-1]
        if len(words) != ids.size:  # a type holding a newline: decode one by one
            words = [name.decode("utf-8") for name in self.names(ids)]
        return words

    def lines(self, lo: int, hi: int) -> bytes:
        """Types ``lo`` to ``hi - 1``, each followed by ``\\n``."""
        return self._joined(np.arange(lo, max(hi, lo)))

    def tsv(self, ids: np.ndarray, counts: np.ndarray) -> bytes:
        """``type<TAB>count`` lines for ``ids`` (as :meth:`cooc.corpus.vocab.Vocabulary.save` writes them)."""
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        if counts.shape != ids.shape or (counts < 0).any():
            raise ValueError("one non-negative count per type is needed")
        return self._joined(ids, counts)

    def _joined(self, ids: np.ndarray, counts: np.ndarray | None = None) -> bytes:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        with_counts = counts is not None
        values = np.zeros(0, dtype=np.int64) if counts is None else counts
        digits = _decimal_digits(values)
        out = np.empty(
            int(self.type_len[ids].sum()) + ids.size + (ids.size + int(digits.sum())) * with_counts, np.uint8
        )
        _join_types(self.arena, self.type_off, self.type_len, ids, with_counts, values, digits, out)
        return out.tobytes()

    def sort_prefix(self, ids: np.ndarray) -> np.ndarray:
        """The first 8 bytes of each type as a big-endian integer, zero-padded: a padded prefix
        that sorts lower means the whole string sorts lower. The table keeps them little-endian
        (byte k at bits 8k, for the lookup), so this is a byte swap."""
        return self.type_prefix[ids].astype("<u8").byteswap().view("<u8")


def encode_texts(texts: list[str], keep: np.ndarray) -> tuple[NewTypes, np.ndarray, np.ndarray]:
    """Tokenise one batch with a fresh table: distinct types, local ids (int32), tokens per document."""
    return BatchEncoder(keep).encode(texts)
