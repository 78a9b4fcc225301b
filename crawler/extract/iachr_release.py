"""What an IACHR press-release page says: its title, its date (Washington's printed time, else that day
in Lima) and its body, which opens at the dateline (crawler/spiders/cidh.py describes the page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from soupsieve import SelectorSyntaxError

from crawler.extract.dates import parse_date
from crawler.extract.text import INVISIBLE_TAGS, SelectorError, block_text, page_title, published_date
from textkit import LIMA_TZ  # where a date without a time is read (the case's readers)

# What opens a release body (after the label, title and date): the press-office line, or the dateline
# "Washington, D.C. – La Comisión…" / "Washington, D.C., 9 de enero de 2023 – …" (not a postal address).
OFFICE_LINE = re.compile(
    r"^(?:Oficina de Prensa de la CIDH|IACHR Press Office|Imprensa da CIDH)\.?$",
    re.IGNORECASE,
)
DATELINE = re.compile(r"^Washington,? D\.? ?C\.?,?(?P<date>[^–—\-\n]{0,40})[–—-]", re.IGNORECASE)
# Headings that label the page type rather than name the release.
GENERIC_HEADINGS: frozenset[str] = frozenset({
    "comunicado de prensa", "comunicados de prensa", "press release", "press releases",
    "comunicado de imprensa", "comunicados de imprensa", "cidh", "iachr",
})
HEADINGS: tuple[str, ...] = ("h1", "h2", "h3", "h4", "h5")
INLINE_TAGS: frozenset[str] = frozenset({"strong", "b", "em", "i", "span", "a", "font", "u"})
# "No. 152/26", alone on its line or followed by the time ("No. 152/26 - 9:15 AM").
RELEASE_NUMBER = re.compile(r"^No\.?\s*\d{1,4}/\d{2}(?!\d)", re.IGNORECASE)
# "9:15 AM", "9:05 p.m.", "21:15" (hours checked by the reader).
RELEASE_TIME = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?$")
HAS_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
RELEASE_TZ = "America/New_York"  # releases are timed in Washington, D.C.
MIN_BODY_CHARS = 200  # a body opened by the press-office line alone (no dateline) is at least this long
DROP_TAGS: tuple[str, ...] = (*INVISIBLE_TAGS, "nav", "header", "footer", "aside", "form")



@dataclass(frozen=True)
class Release:
    """What a release page says."""

    title: str
    text: str
    published_at: datetime | None


def _select(soup: BeautifulSoup, selector: str) -> list[Tag]:
    try:
        return list(soup.select(selector))
    except SelectorSyntaxError as exc:
        raise SelectorError(f"invalid CSS selector {selector!r}: {str(exc).splitlines()[0]}") from None


def _block(node: NavigableString, region: Tag) -> Tag | None:
    """The block element a text node belongs to (climbing out of <strong>, <span>...), inside ``region``."""
    block = node.parent
    while isinstance(block, Tag) and block.name in INLINE_TAGS and block.parent is not None:
        block = block.parent
    return block if isinstance(block, Tag) and block is not region else None


def _blocks_matching(region: Tag, pattern: re.Pattern[str]) -> Iterator[Tag]:
    """Block elements whose own text starts like ``pattern``, in document order, each once."""
    seen: set[int] = set()
    for node in region.find_all(string=True):
        if isinstance(node, Comment) or not node.strip() or (block := _block(node, region)) is None:
            continue
        if id(block) in seen:
            continue
        seen.add(id(block))
        if pattern.match(" ".join(block.get_text(" ").split())):
            yield block


def _previous_block(block: Tag) -> Tag | None:
    sibling = block.previous_sibling
    while sibling is not None and not isinstance(sibling, Tag):
        if str(sibling).strip():
            return None
        sibling = sibling.previous_sibling
    return sibling


def _opening(region: Tag) -> Tag | None:
    """The block element that opens the body: the Washington dateline, with the press-office byline
    when it is the block just before it.

    The dateline is the anchor, not the first "Oficina de Prensa de la CIDH" line: a press-contact box
    above the body says the same words, and the body read from there was the box alone.
    Without a dateline, a press-office line followed in its container by a body of real length.
    """
    dateline = next(_blocks_matching(region, DATELINE), None)
    if dateline is not None:
        byline = _previous_block(dateline)
        if byline is not None and OFFICE_LINE.match(" ".join(byline.get_text(" ").split())):
            return byline
        return dateline
    offices = [b for b in _blocks_matching(region, OFFICE_LINE) if len(_body(b)) >= MIN_BODY_CHARS]
    return offices[0] if offices else None


def _before(region: Tag, opening: Tag) -> tuple[str, list[str]]:
    """Above the body: the last non-generic heading (the title) and the short text lines (the date)."""
    title = ""
    lines: list[str] = []
    for node in region.descendants:
        if node is opening:
            break
        if isinstance(node, Tag) and node.name in HEADINGS:
            text = " ".join(node.get_text(" ").split())
            if text and text.lower().rstrip(":") not in GENERIC_HEADINGS:
                title = text
        elif isinstance(node, NavigableString) and not isinstance(node, Comment):
            if text := " ".join(node.split()):
                lines.append(text)
    return title, lines


def _body(opening: Tag) -> str:
    """The opening block and every block after it in the same container."""
    html = "".join(str(part) for part in (opening, *opening.next_siblings))
    return block_text(BeautifulSoup(f"<div>{html}</div>", "lxml"))


def _printed_time(lines: list[str]) -> time | None:
    """The time printed after the release number ("No. 152/26", then "9:15 AM" or "No. 152/26 - 21:15")."""
    for i, line in enumerate(lines):
        if (number := RELEASE_NUMBER.match(line)) is None:
            continue
        for text in (line[number.end():].strip(" -–—·|,"), *lines[i + 1:i + 2]):
            if (m := RELEASE_TIME.match(text)) is None:
                continue
            hour, minute, ampm = int(m.group("H")), int(m.group("M")), (m.group("ampm") or "").lower()
            if ampm:
                if not 1 <= hour <= 12:
                    continue
                hour = hour % 12 + (12 if ampm == "p" else 0)
            if hour < 24 and minute < 60:
                return time(hour, minute)
    return None


def release_date(line: str, clock: time | None = None) -> datetime | None:
    """The date a release line gives, at the time printed on the page (Washington's clock).

    A date printed without a time is a calendar day, not midnight in Washington: midnight there in
    summer is 23:00 of the day before in Lima, which moved releases to the previous day.
    Such a day is kept as midnight in Lima, which is the same day in both cities.
    """
    found = parse_date(line, default_tz=RELEASE_TZ)
    if found is None:
        return None
    if HAS_CLOCK.search(line):  # "20 de julio de 2026 - 9:15 AM": the line prints its own time
        return found
    if clock is not None:
        return datetime.combine(found.date(), clock, tzinfo=ZoneInfo(RELEASE_TZ))
    return datetime.combine(found.date(), time(), tzinfo=ZoneInfo(LIMA_TZ))


def _date(lines: list[str], title: str, body: str, page_lines: list[str]) -> datetime | None:
    """A short date line above the body, else the dateline ("Washington, D.C., 9 de enero de 2023 –"),
    with the time printed after the release number (in the body or just below it)."""
    candidates = [line for line in lines if line != title and len(line) <= 40]
    for line in body.splitlines()[:4]:
        if (m := DATELINE.match(line)) and m.group("date").strip(" ,"):
            candidates.append(m.group("date"))
    clock = _printed_time([line for line in body.splitlines() if line]) or _printed_time(page_lines)
    for line in candidates:
        if (found := release_date(line, clock)) is not None:
            return found
    return None


def extract_release(html: str, *, remove: tuple[str, ...] = (), scope: str | None = None) -> Release | None:
    """Title, date and body of a release page; None when no body opening is found (not a release).

    Anchored on the text every release has (press-office line, Washington dateline) rather than on
    class names, which the site changed before. ``scope`` narrows the search, ``remove`` drops
    elements first (both from the source's config).
    """
    soup = BeautifulSoup(html, "lxml")
    fallback_title = page_title(soup)
    meta_date = published_date(soup)
    for name in DROP_TAGS:
        for el in soup.find_all(name):
            el.decompose()
    for selector in remove:
        for el in _select(soup, selector):
            el.decompose()
    region = next(iter(_select(soup, scope)), None) if scope else soup.find("main") or soup.find("body")
    if not isinstance(region, Tag) or (opening := _opening(region)) is None:
        return None
    title, lines = _before(region, opening)
    body = _body(opening)
    page_lines = [line for line in block_text(region).splitlines() if line]
    return Release(title=title or fallback_title, text=body,
                   published_at=_date(lines, title, body, page_lines) or meta_date)
