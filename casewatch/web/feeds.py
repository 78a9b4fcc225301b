"""Atom feeds of relevant changes, one per case: ``/cases/{case_id}/feed.atom`` (newest 50).

Built with ElementTree, so every scraped string is XML-escaped text; titles and summaries are
``type="text"`` (a feed reader must not interpret them as HTML); the entry's link is the change on the
review page, and the source page is a ``related`` link only when it is http(s) (``safe_href``).
Entry ids are stable (``tag:`` URIs from the change id), so readers never show an entry twice.
Feed readers send neither our cookie nor a useful Accept-Language, so a feed's words follow only
``?lang=es|en`` (Spanish by default, the digests' first language); scraped titles are never translated.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.display import safe_href
from alerts.message import strip_controls
from casewatch.web.context import Refusal, Web
from casewatch.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, kind_label, milestone_label, text
from pipeline.store.changes import relevant_case_changes

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_SIZE = 50


def routes(web: Web) -> list[Route]:
    return [Route("/cases/{case_id}/feed.atom", Feeds(web).case_feed, name="case_feed")]


def _text(parent: ET.Element, tag: str, value: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = strip_controls(value, keep="\n\t")  # XML 1.0 cannot carry most control characters
    return element


class Feeds:
    def __init__(self, web: Web):
        self.web = web
        self.app = web.app

    def case_feed(self, request: Request) -> Response:
        case_id = request.path_params["case_id"]
        case = self.app.config.cases.get(case_id)
        if case is None:
            raise Refusal(404, "err_no_case", case=repr(case_id))
        asked = request.query_params.get("lang")
        lang = asked if asked in LANGUAGES else DEFAULT_LANGUAGE
        suffix = "?lang=en" if lang == "en" else ""
        with self.app.db.read() as session:
            changes = relevant_case_changes(session, case_id, FEED_SIZE)
            base = self.web.base_url  # never the Host header: a forged one would poison readers' caches
            ET.register_namespace("", ATOM)
            feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
            _text(feed, "id", f"tag:casewatch,2023:case/{case_id}")
            _text(feed, "title", f"casewatch · {case.name}", type="text")
            _text(feed, "subtitle", text(lang, "feed_subtitle"), type="text")
            updated = changes[0].detected_at if changes else datetime.now(UTC)
            _text(feed, "updated", updated.isoformat())
            ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{base}/cases/{case_id}/feed.atom{suffix}")
            ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate",
                          href=f"{base}/changes?case={case_id}" + (f"&lang={lang}" if suffix else ""))
            author = ET.SubElement(feed, f"{{{ATOM}}}author")
            _text(author, "name", "casewatch")
            for change in changes:
                entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
                _text(entry, "id", f"tag:casewatch,2023:change/{change.id}")
                _text(entry, "title", f"[{kind_label(lang, change.kind)}] {change.title or change.document.url}",
                      type="text")
                _text(entry, "updated", change.detected_at.isoformat())
                if change.document.published_at:
                    _text(entry, "published", change.document.published_at.isoformat())
                ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{base}/changes/{change.id}")
                if (href := safe_href(change.document.url)) is not None:
                    ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=href)
                for m in change.milestones or []:
                    kind = strip_controls(str(m.get("type", "")))
                    ET.SubElement(entry, f"{{{ATOM}}}category", term=kind,
                                  label=strip_controls(milestone_label(lang, kind, str(m.get("label", "")))))
                source = change.source.name if change.source else change.source_id
                _text(entry, "summary", f"{source}: {change.summary}", type="text")
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return Response(body, media_type="application/atom+xml; charset=utf-8")
