"""PDFs for the tests: the real two-page resolution of tests/fixtures/spiders/page, and hand-written
ones built line by line (position, font size, text)."""

from __future__ import annotations

import io
from datetime import timedelta, timezone
from pathlib import Path

from pypdf import PdfWriter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spiders" / "page"
RESOLUTION = (FIXTURES / "resolucion_fn_123_2023.pdf").read_bytes()
LIMA = timezone(timedelta(hours=-5))

Line = tuple[float, float, float, str]  # x, y (from the bottom), font size, text


def _escape(text: str) -> bytes:
    data = text.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[Line]], info: dict[str, str] | None = None) -> bytes:
    """A hand-written PDF: one BT/ET block per line, Helvetica in WinAnsi (Spanish accents work)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages))), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        content = b"".join(b"BT /F1 %g Tf %g %g Td (%s) Tj ET\n" % (size, x, y, _escape(text))
                           for x, y, size, text in lines)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    if info:
        objects.append(b"<< %s >>" % b"".join(b"/%s (%s)" % (k.encode(), _escape(v)) for k, v in info.items()))
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info_ref = b" /Info %d 0 R" % len(objects) if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info_ref, xref)
    return out


def body_lines(*texts: str, top: float = 760, step: float = 14, size: float = 11) -> list[Line]:
    """Lines of body text ``step`` apart; an empty string leaves one line of space (a paragraph gap)."""
    out: list[Line] = []
    y = top
    for text in texts:
        if text:
            out.append((72, y, size, text))
        y -= step
    return out


def writer_from(body: bytes) -> PdfWriter:
    return PdfWriter(clone_from=io.BytesIO(body))


def to_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
