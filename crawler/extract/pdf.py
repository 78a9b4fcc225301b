"""Text of PDF documents (resolutions, reports), normalised like HTML pages so they version alike.

PDFs come from the sites we watch, so they are untrusted input: every failure of the parser becomes
one ``PdfError`` line, pages read are bounded, and text is capped. pypdf gives the text in content
order with line breaks; paragraphs are rebuilt from the lines' vertical positions (a gap clearly
wider than the page's usual line spacing starts a paragraph), wrapped lines are joined with a
space and words hyphenated across a line break are rejoined. Re-typesetting the same document (new
wrapping) therefore gives the same text, and the text reads like ``html_to_text`` output: one
paragraph per line, paragraphs separated by a blank line.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin, urlsplit

from crawler.extract.dates import parse_date
from crawler.extract.text import ScopeNotFound, SelectorError, normalize_text
from crawler.extract.urls import canonical_url

if TYPE_CHECKING:  # pypdf and BeautifulSoup load with the first PDF or page of links, not in every crawl process
    from bs4 import Tag
    from pypdf import PageObject, PdfReader

PDF_MAGIC = b"%PDF-"
PDF_TYPES: frozenset[str] = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
MAX_TEXT_CHARS = 2_000_000  # the pipeline keeps no more than this of any document
# pypdf parses content streams in pure Python (~0.1 ms per operator): a page or a document with more
# drawing instructions than this is cut (``truncated``) rather than blocking the crawl for minutes.
MAX_PAGE_CONTENT_BYTES = 4 * 1024 * 1024
MAX_CONTENT_BYTES = 16 * 1024 * 1024
# Operators that can show text (Tj TJ ' ") or draw a form that may (Do); pages without any are figures.
_MAY_SHOW_TEXT = re.compile(rb"T[jJ]|['\"]|Do")
TITLE_CHARS = 200
# Lines that head official Peruvian documents but never name them: the year's motto, the decade's,
# digital-signature stamps. Skipped when the title comes from the text.
NOT_A_TITLE = re.compile(
    r"^[\"“”'«\s]*(?:año|decenio)\s+del?\b|^firmado\s+digitalmente|^(?:p[aá]gina|p[aá]g\.)\s*\d",
    re.IGNORECASE,
)
# Metadata titles that word processors fill in by themselves.
JUNK_TITLE = re.compile(
    r"^(?:untitled|sin\s+t[ií]tulo|documento?\s*\d*|diapositiva\s*\d*|presentaci[oó]n\s+de\s+powerpoint"
    r"|powerpoint\s+presentation|microsoft\s+word\s*-?.*|.*\.(?:docx?|odt|rtf|pdf|xlsx?|pptx?))$",
    re.IGNORECASE,
)
# A link says it leads to a PDF ("Descargar PDF", title="Resolución (PDF, 120 KB)").
PDF_WORD = re.compile(r"\bpdf\b", re.IGNORECASE)
_HYPHENS = ("-", "\u00ad", "\u2010", "\u2011")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class PdfError(ValueError):
    """The body is not a readable PDF (corrupt, truncated, encrypted with a password)."""


@dataclass(frozen=True)
class PdfText:
    """What a PDF says: title, text, creation date; ``truncated`` if pages or text were cut."""

    title: str
    text: str
    published_at: datetime | None = None
    pages: int = 0
    truncated: bool = False


def is_pdf(content_type: str, body: bytes) -> bool:
    """A PDF by its Content-Type or by its magic bytes (servers often say octet-stream)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in PDF_TYPES or body[:1024].lstrip().startswith(PDF_MAGIC)


@dataclass
class _Line:
    text: str
    y: float | None = None  # baseline height on the page (PDF units, growing upwards)
    size: float = 0.0  # largest effective font size on the line


@dataclass
class _LineCollector:
    """pypdf ``visitor_text`` callback: the extracted text cut into lines that know their position."""

    lines: list[_Line] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    current: _Line = field(default_factory=lambda: _Line(""))

    def __call__(self, text: str, cm: list[float], tm: list[float], _font: Any, font_size: float) -> None:
        self.seen.append(text)
        for i, piece in enumerate(text.split("\n")):
            if i:
                self.end_line()
            if piece.strip() and self.current.y is None:
                # text space -> page space: tm x cm (PDF 32000-1 §9.4.4)
                self.current.y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if piece.strip():
                scale = abs(tm[2] * cm[1] + tm[3] * cm[3]) or 1.0
                self.current.size = max(self.current.size, abs(float(font_size or 0)) * scale)
            self.current.text += piece

    def end_line(self) -> None:
        if self.current.text.strip():
            self.lines.append(self.current)
        self.current = _Line("")


def _page_lines(page: PageObject) -> list[_Line]:
    collector = _LineCollector()
    output = page.extract_text(visitor_text=collector)
    collector.end_line()
    if "".join(collector.seen) != output:
        # pypdf reported text outside the visitor: keep its lines, without positions.
        return [_Line(line) for line in output.split("\n") if line.strip()]
    return collector.lines


def _breaks(prev: _Line, line: _Line, leading: float | None) -> bool:
    """Does ``line`` start a new paragraph after ``prev``?"""
    if prev.y is None or line.y is None:
        return True
    size = max(prev.size, line.size)
    gap = prev.y - line.y
    if abs(gap) <= 0.25 * (size or 4.0):
        return False  # same visual line, cut by pypdf
    if gap < 0:
        return True  # back up the page: a new column or block
    limits = [limit for limit in (2.0 * size, 1.3 * leading if leading else 0.0) if limit > 0]
    return not limits or gap > min(limits)


def _join(lines: list[str]) -> str:
    """One paragraph from its wrapped lines, rejoining words hyphenated across line ends."""
    out = ""
    for raw in lines:
        text = " ".join(raw.split())
        if not out:
            out = text
        elif out.endswith(_HYPHENS) and out[-2:-1].isalpha() and text[:1].islower():
            out = out[:-1] + text  # "investi-" + "gaciones"
        elif out.endswith(_HYPHENS[0]) and out[-2:-1].isalnum() and text[:1].isalnum():
            out += text  # a code broken at one of its hyphens: "123-2023-" + "MP-FN"
        else:
            out += " " + text
    return out


def _paragraphs(lines: list[_Line]) -> list[str]:
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False)
            if a.y is not None and b.y is not None and a.y - b.y > 0.25 * (max(a.size, b.size) or 4.0)]
    leading = statistics.median(gaps) if gaps else None
    paragraphs: list[list[str]] = []
    for i, line in enumerate(lines):
        if not paragraphs or _breaks(lines[i - 1], line, leading):
            paragraphs.append([])
        paragraphs[-1].append(line.text)
    return [p for p in (_join(lines) for lines in paragraphs) if p]


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _title(metadata_title: str, paragraphs: list[str]) -> str:
    """Metadata /Title unless a word processor made it up, else the first paragraph that names the document."""
    title = " ".join(_CONTROL.sub(" ", metadata_title).split())
    if title and not JUNK_TITLE.match(title):
        return _clip(title, TITLE_CHARS)
    for paragraph in paragraphs[:20]:
        if not NOT_A_TITLE.match(paragraph):
            return _clip(paragraph, TITLE_CHARS)
    return ""


def _metadata(reader: PdfReader) -> tuple[str, datetime | None]:
    """Title and creation date; a broken info dictionary is ignored, not fatal."""
    try:
        info = reader.metadata
        if info is None:
            return "", None
        title = str(info.get("/Title") or "")
        created = str(info.get("/CreationDate") or "").strip()
    except Exception:  # untrusted metadata; the text is what matters
        return "", None
    if re.fullmatch(r"\d{8,14}.*", created):  # producers that omit the "D:" prefix
        created = "D:" + created
    return title, (parse_date(created) if created.startswith("D:") else None)


def _read(body: bytes, max_pages: int) -> PdfText:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        # Owner-password PDFs (no copying/printing) open with the empty user password, as in any viewer.
        if not reader.decrypt(""):
            raise PdfError("encrypted PDF: a password is required to open it")
    count = len(reader.pages)
    paragraphs: list[str] = []
    size = 0
    budget = MAX_CONTENT_BYTES
    truncated = count > max_pages
    for number in range(min(count, max_pages)):
        try:
            page = reader.pages[number]
            contents = page.get_contents()
            data = contents.get_data() if contents is not None else b""
            budget -= len(data)
            if len(data) > MAX_PAGE_CONTENT_BYTES or budget < 0:
                truncated = True
                if budget < 0:
                    break
                continue
            found = _paragraphs(_page_lines(page)) if _MAY_SHOW_TEXT.search(data) else []
        except Exception as exc:  # any parser failure on untrusted input
            raise PdfError(f"page {number + 1}: {_reason(exc)}") from None
        paragraphs.extend(found)
        size += sum(len(p) + 2 for p in found)
        if size > MAX_TEXT_CHARS:
            truncated = True
            break
    text = normalize_text(_CONTROL.sub(" ", "\n\n".join(paragraphs)))[:MAX_TEXT_CHARS]
    title, created = _metadata(reader)
    return PdfText(_title(title, text.split("\n\n")), text, created, count, truncated)


def _reason(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0][:200]}" if message else type(exc).__name__


def pdf_text(body: bytes, *, max_pages: int = 200) -> PdfText:
    """Title, text and creation date of a PDF; only the first ``max_pages`` pages are read.

    Raises PdfError (one line) for anything that is not a readable PDF: no ``%PDF-`` header,
    corrupt structure, a password needed. An image-only (scanned) PDF is not an error: its text is "".
    """
    if not body[:1024].lstrip().startswith(PDF_MAGIC):
        raise PdfError("not a PDF (no %PDF- header)")
    try:
        return _read(body, max_pages)
    except (PdfError, MemoryError):
        raise
    except Exception as exc:  # pypdf raises many types on hostile input
        raise PdfError(f"unreadable PDF: {_reason(exc)}") from None


def _says_pdf(link: Tag, url: str) -> bool:
    if urlsplit(url).path.lower().endswith(".pdf"):
        return True
    if "pdf" in str(link.get("type") or "").lower():
        return True
    label = " ".join([link.get_text(" "), str(link.get("title") or ""), str(link.get("aria-label") or "")])
    return bool(PDF_WORD.search(label))


def pdf_links(html: str | bytes, *, url: str, scope: str | None = None, remove: Sequence[str] = ()) -> list[str]:
    """Absolute http(s) links to PDFs in a page, in page order, without fragments or repeats.

    Same region as ``main_text``: ``remove`` selectors dropped first, then only inside ``scope``
    (ScopeNotFound / SelectorError as there). A link counts when its path ends with ``.pdf`` or its
    ``type``, text, title or aria-label says PDF (download buttons on gob.pe, Defensoría...).
    """
    from bs4 import BeautifulSoup, Tag
    from soupsieve import SelectorSyntaxError

    soup = BeautifulSoup(html, "lxml")
    try:
        for selector in remove:
            for el in soup.select(selector):
                el.decompose()
        region = soup.select_one(scope) if scope else soup
    except SelectorSyntaxError as exc:
        raise SelectorError(f"invalid CSS selector: {str(exc).splitlines()[0]}") from None
    if region is None:
        raise ScopeNotFound(f"scope selector {scope!r} matched nothing")
    base = soup.find("base", href=True)
    base_url = urljoin(url, str(base["href"]).strip()) if isinstance(base, Tag) else url
    found: list[str] = []
    seen = {canonical_url(url)}  # a page linking to itself is not a document of its own
    for link in region.select("a[href]"):
        target = urldefrag(urljoin(base_url, str(link["href"]).strip())).url
        if urlsplit(target).scheme.lower() not in ("http", "https") or not _says_pdf(link, target):
            continue
        if (key := canonical_url(target)) not in seen:
            seen.add(key)
            found.append(target)
    return found
