"""Small corpora shared by several test folders: text files in several formats, Wikipedia XML dumps, id corpora."""

from __future__ import annotations

import bz2
import gzip
import itertools
from pathlib import Path

import numpy as np

from cooc import CorpusWriter, Vocabulary

_names = itertools.count()
WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "po", "ra", "se", "ti") for b in ("", "n", "s", "th", "x")]
EXTRAS = ["Don't", "1,000", "3.14", "café", "New-York", "It’s", "CAPS", "x2"]


def random_text(rng: np.random.Generator, n_tokens: int) -> str:
    """Zipf-ish words with punctuation, numbers, apostrophes, capitals and non-ASCII."""
    p = 1.0 / np.arange(1, len(WORDS) + 1)
    words = list(rng.choice(WORDS, size=n_tokens, p=p / p.sum()))
    for k in rng.integers(0, n_tokens, size=max(1, n_tokens // 15)):
        words[k] = str(rng.choice(EXTRAS))
    return " ".join(words) + rng.choice([".", "!", ""])


def write_text_tree(root: Path, rng: np.random.Generator, docs_per_file: int = 60) -> list[str]:
    """Three files (plain, gzip, bzip2 in a subfolder), one document per line; the documents in read order."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sub").mkdir(exist_ok=True)
    files = [(root / "a.txt", open), (root / "b.txt.gz", gzip.open), (root / "sub" / "c.txt.bz2", bz2.open)]
    docs = []
    for path, opener in files:
        lines = [random_text(rng, int(rng.integers(1, 80))) for _ in range(docs_per_file)]
        with opener(path, "wt", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        docs.append(lines)
    # expand_paths sorts the files of a directory: a.txt, b.txt.gz, sub/c.txt.bz2
    return [d for lines in docs for d in lines]


def wiki_page(title: str, pid: int, text: str, ns: int = 0) -> str:
    from xml.sax.saxutils import escape

    return (
        f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>{pid}</id><revision><id>{pid + 1000}</id>"
        f'<text xml:space="preserve">{escape(text)}</text></revision></page>\n'
    )


def write_wiki_dumps(root: Path, rng: np.random.Generator, n_files: int = 2, pages: int = 12) -> None:
    """Wikipedia XML dumps (bz2) with articles in markup, redirects and talk pages."""
    root.mkdir(parents=True, exist_ok=True)
    pid = 1
    for f in range(n_files):
        body = []
        for k in range(pages):
            words = random_text(rng, int(rng.integers(30, 200))).split()
            words.insert(3, "[[Link target|linked words]]")
            words.insert(7, "{{cite web|url=http://x.org|title=Ignored}}")
            words.insert(10, "'''bold'''")
            body.append(wiki_page(f"Page {pid}", pid, " ".join(words)))
            pid += 1
            if k % 5 == 0:
                body.append(wiki_page(f"Redirect {pid}", pid, "#REDIRECT [[Page 1]]"))
                body.append(wiki_page(f"Talk:Page {pid}", pid + 1, "talk talk talk", ns=1))
                pid += 2
        xml = (
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">\n'
            "<siteinfo><sitename>Wikipedia</sitename></siteinfo>\n" + "".join(body) + "</mediawiki>\n"
        )
        (root / f"enwiki-test-pages-articles{f + 1}.xml.bz2").write_bytes(bz2.compress(xml.encode("utf-8")))


def id_corpus(root: Path, docs: list[np.ndarray], n_words: int, shard_tokens: int):
    """A TokenCorpus from id documents (id ``n_words`` = the OOV id), cut into many shards."""
    tokens = np.concatenate(docs).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum([d.size for d in docs])]).astype(np.int64)
    counts = np.bincount(tokens[tokens < n_words], minlength=n_words)[:n_words]
    vocab = Vocabulary([f"w{i}" for i in range(n_words)], counts)
    writer = CorpusWriter(
        root / f"ids{next(_names)}", vocab, source={"kind": "test"}, oov_id=n_words, shard_tokens=shard_tokens
    )
    writer.add_documents(tokens, offsets)
    return writer.close()


def zipf_docs(rng: np.random.Generator, n_docs: int, n_words: int, max_len: int = 120) -> list[np.ndarray]:
    """Documents of Zipf-distributed ids in [0, n_words] (n_words = OOV), some of them empty."""
    p = 1.0 / np.arange(1, n_words + 2)
    p /= p.sum()
    return [rng.choice(n_words + 1, size=int(rng.integers(0, max_len)), p=p).astype(np.int32) for _ in range(n_docs)]


def count_documents(tokens: np.ndarray, words: list[str], out: Path, window: int, shuffle: bool = False):
    """Count documents given as a (n_docs, length) array of ids; ``shuffle`` permutes every token
    across the corpus first (the control that destroys all structure)."""
    from cooc.count import count_cooccurrences

    if shuffle:
        tokens = np.random.default_rng(1).permutation(tokens.ravel()).reshape(tokens.shape)
    vocab = Vocabulary(list(words), np.bincount(tokens.ravel(), minlength=len(words)))
    with CorpusWriter(out, vocab, {"kind": "test", "shuffled": shuffle}) as writer:
        writer.add_documents(tokens.ravel(), np.arange(0, tokens.size + 1, tokens.shape[1]))
    return count_cooccurrences(out, window=window, progress=False)
