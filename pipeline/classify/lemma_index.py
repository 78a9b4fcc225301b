"""simplemma's frugal dictionaries opened from a saved block index: the same entries, without a full decode.

The milestone reader looks lemmas up in simplemma's ``low_memory`` dictionaries (milestones/text.py). Opening
one (``StreamMap``) decodes every record of its front-coded stream in Python to note where each block of 32
starts: ~0.4 s of CPU for Spanish's 824,000 entries, in every crawl process that reads a relevant text. The
block index is a pure function of the dictionary's bytes, so ``install(folder)`` (called by the crawl) keeps it
in a small file there and the next processes read it back (~10 ms): lookups then decode the same blocks from
the same bytes, so every lemma is the one simplemma gives. The file is named by the dictionary's SHA-256 and
checked against it; anything unexpected in it and the dictionary is opened simplemma's way (and the file
rewritten).

simplemma is pinned (pyproject.toml): this reads StreamMap's fields, which are not its public interface;
tests/pipeline/test_lemma_index.py checks the index and the lemmas against simplemma's own.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from array import array
from collections.abc import Callable, Mapping
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from simplemma.strategies.dictionaries import LOW_MEMORY_DICTIONARY_FACTORY, frontcode
from simplemma.strategies.dictionaries.dictionary_factory import _read_decompressed
from simplemma.strategies.dictionaries.stream_dictionary_factory import _BLOCK_SIZE, StreamMap

MAGIC = b"CWLX1"
_HEAD = struct.Struct("<5s32sII")  # magic, the stream's sha256, record count, block count

Index = tuple[list[bytes], list[tuple[int, bytes, bytes]]]  # StreamMap's _firsts and _blocks


def encode(digest: bytes, count: int, index: Index) -> bytes:
    """The index as bytes: header, then offsets and the lengths of three byte strings per block, then them."""
    firsts, blocks = index
    offsets = array("I", (b[0] for b in blocks))
    lengths = array("H")
    for first, (_, key, value) in zip(firsts, blocks, strict=True):
        lengths.extend((len(first), len(key), len(value)))
    blob = b"".join(part for first, (_, key, value) in zip(firsts, blocks, strict=True) for part in (first, key, value))
    body = zlib.compress(offsets.tobytes() + lengths.tobytes() + blob, 6)
    return _HEAD.pack(MAGIC, digest, count, len(blocks)) + body


def decode(raw: bytes, digest: bytes, count: int) -> Index | None:
    """The index saved by ``encode`` for this stream, or None if ``raw`` is not that (another stream, damage)."""
    try:
        magic, saved, saved_count, n = _HEAD.unpack_from(raw)
        if magic != MAGIC or saved != digest or saved_count != count or n != -(-count // _BLOCK_SIZE):
            return None
        body = zlib.decompress(raw[_HEAD.size:])
    except (struct.error, zlib.error):
        return None
    offsets, lengths = array("I"), array("H")
    offsets.frombytes(body[: 4 * n])
    lengths.frombytes(body[4 * n: 10 * n])
    at = 10 * n  # the byte strings follow, sliced straight out of ``body`` (no second copy of them)
    ends = list(accumulate(lengths, initial=at))
    if len(lengths) != 3 * n or ends[-1] != len(body):
        return None
    parts = [body[start:end] for start, end in zip(ends[:-1], ends[1:], strict=True)]
    firsts = parts[0::3]
    blocks = list(zip(offsets.tolist(), parts[1::3], parts[2::3], strict=True))
    return firsts, blocks


def _opened(data: bytes, index: Index) -> StreamMap:
    """A StreamMap over ``data`` with its block index given instead of computed."""
    stream = StreamMap.__new__(StreamMap)
    stream._data = data
    stream._rev, stream._count, stream._pos = frontcode._read_header(data)
    stream._firsts, stream._blocks = index
    return stream


def open_dictionary(lang: str, folder: Path) -> Mapping[str, str]:
    """simplemma's low-memory dictionary for ``lang``, its block index read from (or saved to) ``folder``."""
    data = _read_decompressed(lang)
    digest = hashlib.sha256(data).digest()
    _rev, count, _pos = frontcode._read_header(data)
    path = folder / f"simplemma-{lang}-{digest.hex()[:16]}.idx"
    try:
        index = decode(path.read_bytes(), digest, count)
    except OSError:
        index = None
    if index is not None and (not index[1] or index[1][0] == (_pos, b"", b"")):
        return _opened(data, index)
    stream = StreamMap(lang)  # simplemma's way; its index is saved for the next process
    _save(path, encode(digest, count, (stream._firsts, stream._blocks)))
    return stream


def _save(path: Path, raw: bytes) -> None:
    """Write atomically (a crawl beside it may be reading); a folder that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except OSError:  # a full disk: no half-written index left behind
        Path(tmp).unlink(missing_ok=True)


def install(folder: Path) -> Callable[[], None]:
    """Open simplemma's low-memory dictionaries through ``folder`` from now on, in this process.
    Returns the function that puts simplemma's own loader back (tests)."""
    factory = LOW_MEMORY_DICTIONARY_FACTORY
    before = factory._get_dictionary
    factory._get_dictionary = lru_cache(maxsize=8)(lambda lang: open_dictionary(lang, folder))

    def restore() -> None:
        factory._get_dictionary = before

    return restore
