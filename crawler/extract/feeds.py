"""Reading feeds beside feedparser: each entry's own XML (kept as evidence) and its full-content HTML by
namespace URI, a feed text without the WordPress footer or "Lee también" lines, authors and tags as
names, and bodies cleaned of character references feedparser crashes on. Feeds are untrusted XML: no
entity expansion, no DTD, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from crawler.extract.text import html_to_text

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
RSS1_NS = "http://purl.org/rss/1.0/"
ENTRY_TAGS = ("item", f"{{{RSS1_NS}}}item", f"{{{ATOM_NS}}}entry")
# WordPress/Yoast append "La entrada X se publicó primero en Site." to feed texts: not the author's.
WP_FOOTER = re.compile(
    r"\n*^(?:La entrada|The post) .+ (?:se publicó primero en|apareció primero en|appeared first on) .+\Z",
    re.MULTILINE,
)


# "Lee también: <other story>" paragraphs inside feed bodies (Infobae, Arc XP sites): editors swap
# them freely, so keeping them would report edits that are not. Only short one-line paragraphs.
RELATED_LINK = re.compile(
    r"^(?:lee|lea|leer|mira|ver|revisa) (?:también|tambien|más|mas)\b.{0,200}$"
    r"|^(?:te|le) (?:puede interesar|recomendamos)\b.{0,200}$",
    re.IGNORECASE,
)


def feed_text(html: str | None) -> str:
    """Plain text of a feed description/content, without the WordPress "first appeared" footer or
    "Lee también" related-story lines."""
    text = WP_FOOTER.sub("", html_to_text(html)).strip()
    return "\n\n".join(p for p in text.split("\n\n") if not RELATED_LINK.match(p))


@dataclass
class RawEntry:
    xml: bytes
    content_html: str | None


# ``&#xD800;`` .. ``&#xDFFF;`` (and decimal 55296..57343) name lone surrogates: feedparser's lenient
# parser crashes on them (UnicodeEncodeError), which lost the whole feed to one hostile entry.
_SURROGATE_REFERENCE = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*(?:5529[6-9]|55[3-9]\d\d|56\d{3}|57[0-2]\d\d|573[0-3]\d|5734[0-3]));")


def without_surrogate_references(body: bytes) -> bytes:
    """``body`` with character references to lone surrogates replaced by U+FFFD's."""
    return _SURROGATE_REFERENCE.sub(b"&#xFFFD;", body)


def _xml_parser() -> etree.XMLParser:
    # Untrusted XML: no entity expansion, no DTD or network access.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def raw_entries(body: bytes) -> list[RawEntry] | None:
    """Each entry's XML and full-content HTML in document order; None if the body is not XML."""
    try:
        root = etree.fromstring(body, _xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    out: list[RawEntry] = []
    for el in root.iter(*ENTRY_TAGS):
        content: str | None = None
        encoded = el.find(f"{{{CONTENT_NS}}}encoded")
        atom = el.find(f"{{{ATOM_NS}}}content")
        if encoded is not None:
            content = encoded.text or ""
        elif atom is not None:
            if atom.get("type") == "xhtml":
                content = "".join(etree.tostring(c, encoding="unicode") for c in atom)
            elif atom.get("type") in (None, "text"):
                content = etree.tostring(atom, method="text", encoding="unicode")
                content = content.replace("&", "&amp;").replace("<", "&lt;")
            else:
                content = atom.text or ""
        xml = etree.tostring(el, encoding="utf-8", xml_declaration=False, with_tail=False)
        out.append(RawEntry(xml, content))
    return out


def names(values: Iterable[Any], *keys: str) -> list[str]:
    """The distinct names in feedparser's ``authors`` or ``tags``: the first of ``keys`` each one has."""
    out: list[str] = []
    for value in values or ():
        for key in keys:
            text = " ".join(str(value.get(key) or "").split()) if hasattr(value, "get") else ""
            if text:
                if text not in out:
                    out.append(text)
                break
    return out


def entry_title(entry: Any) -> str:
    """A feedparser entry's title on one line, as text even when the feed sends it as HTML."""
    title = entry.get("title") or ""
    if "html" in (entry.get("title_detail") or {}).get("type", ""):
        title = html_to_text(title)
    return " ".join(title.split())
