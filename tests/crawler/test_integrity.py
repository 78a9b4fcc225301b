"""Whole bodies only: a compressed stream must end properly before its text is believed.

Scrapy's HttpCompressionMiddleware returns the prefix of a cut gzip/deflate/br/zstd stream as if it
were the page; crawler.integrity says why such a body is incomplete. (Crawls with hostile servers:
tests/reliability/test_fetch_integrity.py.)
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli
import pytest

from crawler.integrity import compression_problem, content_encodings

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd

PAGE = ("<html><body><main>" + "".join(f"<p>Párrafo {i} sobre la masacre de Juliaca.</p>" for i in range(2000))
        + "</main></body></html>").encode()


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


ENCODERS: dict[str, tuple[bytes, Callable[[bytes], bytes]]] = {
    "gzip": (b"gzip", gzip.compress),
    "x-gzip": (b"x-gzip", gzip.compress),
    "deflate": (b"deflate", zlib.compress),
    "raw-deflate": (b"deflate", raw_deflate),
    "br": (b"br", brotli.compress),
    "zstd": (b"zstd", zstd.compress),
}


@pytest.mark.parametrize("name", ENCODERS)
def test_whole_stream_passes_and_cut_stream_is_incomplete(name: str) -> None:
    header, encode = ENCODERS[name]
    whole = encode(PAGE)
    assert compression_problem(whole, [header]) is None
    label = header.decode().removeprefix("x-")  # x-gzip is gzip
    for cut in (len(whole) // 2, len(whole) - 1):
        problem = compression_problem(whole[:cut], [header])
        assert problem == f"incomplete response: {label} stream ends early (truncated)", (cut, problem)


def test_corrupt_gzip_checksum_is_incomplete() -> None:
    data = bytearray(gzip.compress(PAGE))
    data[-8] ^= 0xFF  # the CRC32 of the trailer
    problem = compression_problem(bytes(data), [b"gzip"])
    assert problem is not None and problem.startswith("incomplete response: gzip stream is corrupt")


def test_gzip_members_are_each_checked() -> None:
    first, second = gzip.compress(PAGE[:1000]), gzip.compress(PAGE[1000:])
    assert compression_problem(first + second, [b"gzip"]) is None
    assert compression_problem(first + second[: len(second) // 2], [b"gzip"]) is not None
    assert compression_problem(first + b"\0\0\0\0", [b"gzip"]) is None  # padding after the stream is fine


def test_stacked_encodings_are_undone_in_order() -> None:
    body = brotli.compress(gzip.compress(PAGE))  # "Content-Encoding: gzip, br": gzip applied first
    assert content_encodings([b"gzip, br"]) == [b"br", b"gzip"]
    assert compression_problem(body, [b"gzip, br"]) is None
    inner_cut = brotli.compress(gzip.compress(PAGE)[:-20])
    assert compression_problem(inner_cut, [b"gzip, br"]) == "incomplete response: gzip stream ends early (truncated)"


def test_bomb_over_the_limit_is_left_to_the_size_limit() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert compression_problem(bomb[: len(bomb) // 2], [b"gzip"], limit=100_000) is None


def test_unknown_encoding_is_not_judged() -> None:
    assert content_encodings([b"compress"]) == []
    assert compression_problem(b"whatever", [b"compress"]) is None
