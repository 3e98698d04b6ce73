"""Compiled batch tokeniser (numba): the papers' rules and id assignment without per-token Python objects.

The pure-Python :meth:`cooc.tokenize.Tokenizer.tokens` is the reference; this module
must give exactly the same tokens (tests compare them on random and real text). A batch
of documents is lowercased in Python, joined with NUL bytes, and then, in compiled code:
numbers with a separator are deleted (scanning left to right exactly as ``re.sub`` would),
apostrophes between letters are deleted, and tokens are read off and given batch-local
ids through an open-addressing hash table that compares bytes on every hit.
"""
from __future__ import annotations

import numpy as np

try:
    import numba
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency; the Python path still works
    HAVE_NUMBA = False


def _jit(func):
    return numba.njit(cache=True, nogil=True)(func) if HAVE_NUMBA else func


@_jit
def _delete_numbers(buf, out):
    n = buf.size
    i = 0
    o = 0
    while i < n:
        c = buf[i]
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


@_jit
def _delete_apostrophes(buf, n, out):
    o = 0
    for i in range(n):
        c = buf[i]
        if c == 39 and 0 < i < n - 1 and 97 <= buf[i - 1] <= 122 and 97 <= buf[i + 1] <= 122:
            continue
        out[o] = c
        o += 1
    return o


@_jit
def _mix(h):
    # splitmix64's finaliser: FNV-1a alone leaves the low bits (the slot index) poorly mixed.
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@_jit
def _rehash(type_hash, n_types, capacity):
    slots = np.full(capacity, -1, dtype=np.int64)
    mask = np.uint64(capacity - 1)
    for t in range(n_types):
        pos = type_hash[t] & mask
        while slots[pos] >= 0:
            pos = (pos + np.uint64(1)) & mask
        slots[pos] = t
    return slots


@_jit
def _assign_ids(buf, n, keep, n_docs):
    # The table starts small (it stays in cache) and doubles when half full.
    capacity = 1 << 15
    slots = np.full(capacity, -1, dtype=np.int64)
    type_start = np.empty(capacity, dtype=np.int64)
    type_len = np.empty(capacity, dtype=np.int64)
    type_hash = np.empty(capacity, dtype=np.uint64)
    ids = np.empty(n // 2 + 1, dtype=np.int32)
    doc_counts = np.zeros(n_docs, dtype=np.int64)
    n_types = 0
    n_tokens = 0
    doc = 0
    i = 0
    while i < n:
        c = buf[i]
        if c == 0:
            doc += 1
            i += 1
            continue
        if keep[c] == 0:
            i += 1
            continue
        start = i
        h = np.uint64(14695981039346656037)
        while i < n and keep[buf[i]] != 0:
            h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
            i += 1
        length = i - start
        h = _mix(h)
        mask = np.uint64(capacity - 1)
        pos = h & mask
        while True:
            t = slots[pos]
            if t < 0:
                t = n_types
                slots[pos] = t
                type_start[t] = start
                type_len[t] = length
                type_hash[t] = h
                n_types += 1
                if 2 * n_types > capacity:
                    capacity *= 2
                    type_start = _grow(type_start, capacity)
                    type_len = _grow(type_len, capacity)
                    type_hash = _grow(type_hash, capacity)
                    slots = _rehash(type_hash, n_types, capacity)
                break
            if type_len[t] == length and type_hash[t] == h:
                s = type_start[t]
                same = True
                for k in range(length):
                    if buf[s + k] != buf[start + k]:
                        same = False
                        break
                if same:
                    break
            pos = (pos + np.uint64(1)) & mask
        ids[n_tokens] = t
        n_tokens += 1
        doc_counts[doc] += 1
    return ids[:n_tokens], type_start[:n_types], type_len[:n_types], doc_counts


@_jit
def _grow(arr, size):
    out = np.empty(size, dtype=arr.dtype)
    out[: arr.size] = arr
    return out


def encode_texts(texts: list[str], keep: np.ndarray) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    """Tokenise a batch: distinct types, local ids (int32, documents concatenated), tokens per document.

    ``keep`` is a uint8 table of the 256 byte values that belong to tokens.
    """
    joined = "\x00".join(t.replace("\x00", " ") if "\x00" in t else t for t in texts).lower()
    if "\u2019" in joined:
        joined = joined.replace("\u2019", "'")
    buf = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    stage = np.empty(buf.size, dtype=np.uint8)
    n = _delete_numbers(buf, stage)
    clean = np.empty(max(n, 1), dtype=np.uint8)
    n = _delete_apostrophes(stage, n, clean)
    ids, starts, lengths, counts = _assign_ids(clean, n, keep, len(texts))
    data = clean[:n].tobytes()
    types = [data[a:a + b] for a, b in zip(starts.tolist(), lengths.tolist())]
    return types, ids, counts
