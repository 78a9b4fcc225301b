"""The JSON API: the CLI's ``--json`` documents over HTTP, built by the same ``casewatch.serialize`` functions.

``GET /api/changes``      as ``casewatch changes --json`` (same parameters: since, source, case, kind,
                          milestone, relevant, limit; plus the change log's source_kind, from, to, q, review),
                          one page at a time: ``page``, ``per_page`` (default 50, at most 500); the total is
                          in ``X-Total-Count`` and the neighbours in ``Link`` (rel="next"/"prev").
``GET /api/changes/{id}`` as ``casewatch show ID --json``; ``.../reviews``: its review history.
``GET /api/sources``      as ``casewatch sources --json``.
``GET /api/timeline``     as ``casewatch timeline --json`` (``?case=ID`` or ``/api/timeline/{case}``: one
                          case, as ``--case ID``; ``lang=es|en`` as ``--lang``).
``GET /api/documents/{id}`` a document's history: its versions (evidence metadata) and changes.

Read-only on purpose: review actions are forms with a login and a CSRF token (``casewatch.web.pages``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from casewatch.serialize import change_json, iso, source_json, timeline_json
from casewatch.since import BadTime, parse_since
from casewatch.web.context import Web
from casewatch.web.views import KINDS, BadQuery, LogParams
from pipeline.store.changes import document_changes, get_change, search_changes
from pipeline.store.documents import document_versions, get_document_by_id
from pipeline.store.reviews import change_reviews
from pipeline.store.runs import current_runs
from pipeline.store.sources import all_sources
from pipeline.store.stories import stories_by_id
from pipeline.store.timeline import case_timeline


def routes(web: Web) -> list[Route]:
    a = Api(web)
    return [
        Route("/api/changes", a.changes, name="api_changes"),
        Route("/api/changes/{change_id:id}", a.change, name="api_change"),
        Route("/api/changes/{change_id:id}/reviews", a.reviews, name="api_change_reviews"),
        Route("/api/sources", a.sources, name="api_sources"),
        Route("/api/timeline", a.timeline, name="api_timeline"),
        Route("/api/timeline/{case_id}", a.timeline, name="api_case_timeline"),
        Route("/api/documents/{document_id:id}", a.document, name="api_document"),
    ]


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "es")
    if lang not in ("es", "en"):
        raise HTTPException(400, "lang: use es or en")
    return lang


class Api:
    def __init__(self, web: Web):
        self.web = web
        self.app = web.app

    def changes(self, request: Request) -> Response:
        q = request.query_params
        try:
            # `limit` as in `changes --limit N`: the page size.
            params = LogParams.parse({**dict(q), "per_page": q.get("per_page") or q.get("limit") or ""})
            since = parse_since(q.get("since"), datetime.now(UTC))
        except BadQuery as exc:
            raise HTTPException(400, str(exc)) from None
        except BadTime as exc:
            raise HTTPException(400, f"since: {exc}") from None
        case_id = params.query.case_id
        if case_id and case_id not in self.app.config.cases:
            raise HTTPException(400, f"unknown case {case_id!r} (known: {', '.join(self.app.config.cases)})")
        if params.query.kind and params.query.kind not in KINDS:
            raise HTTPException(400, f"kind: use one of {', '.join(KINDS)}")
        query = params.query
        if since is not None and (query.since is None or since > query.since):
            query = replace(query, since=since)
        lang = _lang(request)
        with self.app.db.read() as session:
            rows, total = search_changes(session, query)
            stories = stories_by_id(session, {c.story_id for c in rows if c.story_id is not None})
            data = [change_json(c, lang, stories=stories) for c in rows]
        links = []
        pages = max(1, -(-total // query.per_page))
        for rel, page in (("prev", query.page - 1), ("next", query.page + 1)):
            if 1 <= page <= pages:
                # Absolute, so from CASEWATCH_BASE_URL: the Host header is whatever the client sent.
                kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
                links.append(f'<{self.web.base_url}/api/changes?{urlencode([*kept, ("page", page)])}>; rel="{rel}"')
        headers = {"x-total-count": str(total)}
        if links:
            headers["link"] = ", ".join(links)
        return JSONResponse(data, headers=headers)

    def change(self, request: Request) -> Response:
        change_id = int(request.path_params["change_id"])
        with self.app.db.read() as session:
            change = get_change(session, change_id)
            if change is None:
                raise HTTPException(404, f"no change with id {change_id}")
            stories = stories_by_id(session, [change.story_id] if change.story_id is not None else [])
            data = change_json(change, _lang(request), stories=stories)
            if change.withdrawn_at is not None:  # as `show --json`: only then, so live changes keep the shape
                data["withdrawn"] = {"at": change.withdrawn_at.isoformat(), "reason": change.withdrawn_reason}
            return JSONResponse(data)

    def reviews(self, request: Request) -> Response:
        change_id = int(request.path_params["change_id"])
        with self.app.db.read() as session:
            if get_change(session, change_id) is None:
                raise HTTPException(404, f"no change with id {change_id}")
            return JSONResponse([{"id": r.id, "action": r.action, "note": r.note, "actor": r.actor,
                                  "created_at": iso(r.created_at)} for r in change_reviews(session, change_id)])

    def sources(self, request: Request) -> Response:
        with self.app.db.read() as session:
            runs = current_runs(session)
            rows = all_sources(session)
            return JSONResponse([source_json(s, runs.get(s.id), rows.get(s.id)) for s in self.app.config.sources])

    def timeline(self, request: Request) -> Response:
        case_id = request.path_params.get("case_id") or request.query_params.get("case")
        cases = self.app.config.cases
        if case_id is not None and case_id not in cases:
            raise HTTPException(404 if "case_id" in request.path_params else 400,
                                f"unknown case {case_id!r} (known: {', '.join(cases)})")
        lang = _lang(request)
        wanted = [cases[case_id]] if case_id is not None else list(cases.values())
        with self.app.db.read() as session:
            data = [{"case": case.id, "name": case.name,
                     "entries": [timeline_json(e, lang) for e in case_timeline(session, case.id)]}
                    for case in wanted]
        return JSONResponse(data[0] if case_id is not None else data)

    def document(self, request: Request) -> Response:
        document_id = int(request.path_params["document_id"])
        with self.app.db.read() as session:
            doc = get_document_by_id(session, document_id)
            if doc is None:
                raise HTTPException(404, f"no document with id {document_id}")
            return JSONResponse(document_json(doc, document_versions(session, doc.id),
                                              document_changes(session, doc.id)))


def document_json(doc: Any, versions: list[Any], changes: list[Any]) -> dict[str, Any]:
    """A document's record: every version's evidence metadata and every change (withdrawn ones marked)."""
    return {
        "id": doc.id, "url": doc.url, "source": doc.source_id, "title": doc.title, "state": doc.state,
        "published_at": iso(doc.published_at), "first_seen_at": iso(doc.first_seen_at),
        "last_checked_at": iso(doc.last_checked_at), "relevance_override": doc.relevance_override,
        "versions": [{"id": v.id, "fetched_at": iso(v.fetched_at), "sha256": v.sha256, "raw_sha256": v.raw_sha256,
                      "http_status": v.http_status, "etag": v.etag, "last_modified": v.last_modified,
                      "content_type": v.content_type, "fetched_url": v.fetched_url,
                      "raw_pruned_at": iso(v.raw_pruned_at)} for v in versions],
        "changes": [{"id": c.id, "kind": c.kind, "detected_at": iso(c.detected_at), "relevant": c.relevant,
                     "review_state": c.review_state, "withdrawn_at": iso(c.withdrawn_at),
                     "withdrawn_reason": c.withdrawn_reason, "from_version": c.from_version_id,
                     "to_version": c.to_version_id} for c in changes],
    }
