"""Compression of what the store keeps in bulk (raw bodies, version texts): zstandard frames.

A stored value is either a zstd frame (it starts with the frame's magic number) or, for rows written
before migration 0009, the value as it was: UTF-8 text (never valid UTF-8 with that magic, so the two
cannot be confused) or, for raw bodies kept inline in ``versions.raw_body``, a zlib stream.
"""

from __future__ import annotations

import threading
from typing import Any

import zstandard
from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

LEVEL = 3  # zstd's default: ~5x on news pages at ~0.1 ms per 35 KB; higher levels gain ~10% at 3-100x the CPU
MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame's first bytes (0xb5 after "(" is never UTF-8)
MIN_SIZE = 64  # bytes: shorter values are kept as they are (a frame would not be smaller)

_local = threading.local()  # zstd contexts are not thread-safe; one pair per thread, reused


def _compressor() -> zstandard.ZstdCompressor:
    if (c := getattr(_local, "compressor", None)) is None:
        c = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    if (d := getattr(_local, "decompressor", None)) is None:
        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


def pack(data: bytes) -> bytes:
    """``data`` as one zstd frame (content size recorded, so it decompresses in one call)."""
    return _compressor().compress(data)


def unpack(data: bytes) -> bytes:
    """The bytes ``pack`` was given (``data`` must be a zstd frame)."""
    return _decompressor().decompress(data)


def pack_text(text: str) -> bytes:
    raw = text.encode("utf-8")
    return raw if len(raw) < MIN_SIZE else pack(raw)


def unpack_text(value: bytes | str) -> str:
    """A stored text back: a zstd frame, plain UTF-8 bytes, or (SQLite, rows before 0009) a str."""
    if isinstance(value, str):
        return value
    raw = bytes(value)  # psycopg hands bytea over as memoryview
    return (unpack(raw) if raw[:4] == MAGIC else raw).decode("utf-8")


class PackedText(TypeDecorator[str]):
    """A text column stored compressed (a binary column): the ORM reads and writes ``str``.

    On SQLite the column stays declared TEXT: SQLite keeps a BLOB in it as given, and changing the
    declaration would mean rebuilding ``versions``, which the foreign keys from ``changes`` forbid."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else LargeBinary())

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else pack_text(value)

    def process_result_value(self, value: bytes | str | None, dialect: Any) -> str | None:
        return None if value is None else unpack_text(value)
