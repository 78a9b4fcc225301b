"""Is a response whole? Only a complete body may become a version of a document.

Scrapy accepts several kinds of incomplete answers as if they were pages: a response that ends with
the connection and has no framing (no Content-Length, not chunked) is flagged ``partial``; with
``DOWNLOAD_FAIL_ON_DATALOSS`` off, a body shorter than its Content-Length is flagged ``dataloss``;
and HttpCompressionMiddleware decompresses a gzip/deflate/br/zstd stream cut in half into its prefix
without a word. Stored, such a prefix reads as an edit that deleted the rest of the page. Here every
one of them is a reason to refuse the response (``RefusedResponse``): the fetch fails, nothing is
stored, the last good version stays.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from io import BytesIO

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

try:
    import brotli
except ImportError:  # pragma: no cover - Scrapy itself needs one of the two
    import brotlicffi as brotli  # type: ignore[no-redef]

try:
    from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
except ImportError:
    from backports import zstd

CHUNK = 64 * 1024
DATALOSS = "incomplete response: body shorter than its Content-Length (or a broken chunked stream)"
UNFRAMED = ("incomplete response: connection closed without Content-Length or chunked framing, "
            "so the body may be cut short")


class RefusedResponse(IgnoreRequest):
    """A response that must not be stored; ``reason`` is one line for the source's error log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _Broken(Exception):
    """A compressed stream that does not end properly (cut short or corrupt)."""


def _drain(decompress: Callable[[bytes], bytes], data: bytes, finished: Callable[[], bool],
           pending: Callable[[], bytes], limit: int, keep: bool) -> tuple[bytes, bool]:
    """Feed ``data`` and pull output in CHUNK steps; returns (output if ``keep``, over ``limit``)."""
    out, size = BytesIO(), 0
    chunk = decompress(data)
    while True:
        size += len(chunk)
        if limit and size > limit:
            return b"", True  # a bomb: HttpCompressionMiddleware refuses it with its own message
        if keep:
            out.write(chunk)
        if finished():
            break
        tail = pending()
        chunk = decompress(tail)
        if not chunk and not tail:
            break
    return out.getvalue(), False


def _zlib_stream(data: bytes, wbits: int, name: str, limit: int, keep: bool,
                 members: bool) -> tuple[bytes, bool]:
    out = BytesIO()
    while True:
        d = zlib.decompressobj(wbits=wbits)
        try:
            chunk, over = _drain(lambda b, d=d: d.decompress(b, CHUNK), data, lambda d=d: d.eof,
                                 lambda d=d: d.unconsumed_tail, limit, keep)
        except zlib.error as exc:
            raise _Broken(f"{name} stream is corrupt ({exc})") from None
        if over:
            return b"", True
        if not d.eof:
            raise _Broken(f"{name} stream ends early (truncated)")
        out.write(chunk)
        data = d.unused_data
        # gzip allows several members; trailing zeros or junk are ignored (as gzip and Scrapy do)
        if not members or not data.startswith(b"\x1f\x8b"):
            return out.getvalue(), False


def _gzip(data: bytes, limit: int, keep: bool) -> tuple[bytes, bool]:
    return _zlib_stream(data, 31, "gzip", limit, keep, members=True)


def _deflate(data: bytes, limit: int, keep: bool) -> tuple[bytes, bool]:
    try:  # zlib-wrapped, as the RFC says; raw deflate (some Microsoft servers) otherwise, as Scrapy does
        zlib.decompressobj().decompress(data[:CHUNK], 1)
    except zlib.error:
        return _zlib_stream(data, -15, "deflate", limit, keep, members=False)
    return _zlib_stream(data, 15, "deflate", limit, keep, members=False)


def _brotli(data: bytes, limit: int, keep: bool) -> tuple[bytes, bool]:
    d = brotli.Decompressor()
    try:
        out, over = _drain(lambda b: d.process(b, output_buffer_limit=CHUNK), data, d.is_finished,
                           lambda: b"", limit, keep)
    except brotli.error as exc:
        raise _Broken(f"br stream is corrupt ({exc})") from None
    if not over and not d.is_finished():
        raise _Broken("br stream ends early (truncated)")
    return out, over


def _zstd(data: bytes, limit: int, keep: bool) -> tuple[bytes, bool]:
    out = BytesIO()
    while data:
        d = zstd.ZstdDecompressor()
        try:
            chunk, over = _drain(lambda b, d=d: d.decompress(b, CHUNK), data, lambda d=d: d.eof,
                                 lambda: b"", limit, keep)
        except zstd.ZstdError as exc:
            raise _Broken(f"zstd stream is corrupt ({exc})") from None
        if over:
            return b"", True
        if not d.eof:
            raise _Broken("zstd stream ends early (truncated)")
        out.write(chunk)
        data = d.unused_data
    return out.getvalue(), False


DECODERS: dict[bytes, Callable[[bytes, int, bool], tuple[bytes, bool]]] = {
    b"gzip": _gzip, b"x-gzip": _gzip, b"deflate": _deflate, b"br": _brotli, b"zstd": _zstd,
}


def content_encodings(values: Iterable[bytes]) -> list[bytes]:
    """The encodings HttpCompressionMiddleware will undo, outermost first (as it pops them)."""
    listed = [e.strip().lower() for value in values for e in value.split(b",") if e.strip()]
    undone: list[bytes] = []
    while listed and listed[-1] in DECODERS:
        undone.append(listed.pop())
    return undone


def compression_problem(body: bytes, encodings: Iterable[bytes], limit: int = 0) -> str | None:
    """Why ``body`` (sent with these Content-Encoding values) does not decode to a whole stream, else None.

    Each layer must end with its format's end marker (and checksum where it has one). ``limit``
    bounds the decompressed size; past it the check stops (the size limit refuses the response).
    """
    layers = content_encodings(encodings)
    for i, encoding in enumerate(layers):
        try:
            body, over = DECODERS[encoding](body, limit, i < len(layers) - 1)
        except _Broken as exc:
            return f"incomplete response: {exc}"
        if over:
            return None
    return None


def incomplete(response: Response, limit: int = 0) -> str | None:
    """Why ``response`` is not a whole body (one line), else None. Run before decompression."""
    if "dataloss" in response.flags:
        return DATALOSS
    if "partial" in response.flags:
        return UNFRAMED
    encodings = response.headers.getlist(b"Content-Encoding")
    if encodings and response.body:
        return compression_problem(response.body, encodings, limit)
    return None
