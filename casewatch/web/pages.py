"""The HTML pages: dashboard, change log, a change with its diff, a document's history, a version, the
case timeline, the outbox, and the review actions (mark reviewed / irrelevant / reopen) and login.

Reads are public except the outbox and its messages (they name the recipients: reviewers only).
Database work runs in Starlette's thread pool (plain ``def`` endpoints, or ``run_in_threadpool`` from the
async action handlers, which must ``await`` the form); templates render inside the session.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from alerts.labels import alternating_phrases
from casewatch.web.auth import NO_REVIEWERS, action, current_reviewer, log_in, log_out, safe_next
from casewatch.web.context import Refusal, Web, request_language
from casewatch.web.i18n import text
from casewatch.web.views import KINDS, BadQuery, LogParams, Pager, explain, number, query_string, side_by_side
from pipeline.store.bodies import raw_bytes
from pipeline.store.changes import (
    ALTERNATING_KINDS,
    ChangeFilter,
    alternations,
    document_changes,
    get_change,
    search_changes,
)
from pipeline.store.digests import digest_change_ids
from pipeline.store.documents import document_versions, get_document_by_id, get_version
from pipeline.store.outbox import get_digest, outbox_page
from pipeline.store.reviews import REVIEW_ACTIONS, REVIEW_STATES, change_reviews, review_change, review_counts
from pipeline.store.runs import current_runs
from pipeline.store.sources import all_sources, get_source
from pipeline.store.stories import stories_by_id
from pipeline.store.timeline import case_timeline

NOTE_MAX = 2000
RAW_EXTENSIONS = {"html": ".html", "xml": ".xml", "json": ".json", "pdf": ".pdf", "plain": ".txt"}


def routes(web: Web) -> list[Route]:
    p = Pages(web)
    return [
        Route("/", p.dashboard, name="dashboard"),
        Route("/changes", p.changes, name="changes"),
        Route("/changes/{change_id:id}", p.change, name="change"),
        Route("/changes/{change_id:id}/review", p.review, methods=["POST"], name="review"),
        Route("/documents/{document_id:id}", p.document, name="document"),
        Route("/versions/{version_id:id}", p.version, name="version"),
        Route("/versions/{version_id:id}/raw", p.version_raw, name="version_raw"),
        Route("/timeline", p.timeline, name="timeline"),
        Route("/timeline/{case_id}", p.timeline, name="case_timeline"),
        Route("/outbox", p.outbox, name="outbox"),
        Route("/outbox/{digest_id:id}", p.outbox_item, name="outbox_item"),
        Route("/login", p.login_form, methods=["GET"], name="login"),
        Route("/login", p.login, methods=["POST"], name="login_post"),
        Route("/logout", p.logout, methods=["POST"], name="logout"),
    ]


class Pages:
    def __init__(self, web: Web):
        self.web = web
        self.app = web.app
        self.review = action(web.refuse)(self._review)
        self.login = action(web.refuse, login=False)(self._login)
        self.logout = action(web.refuse)(self._logout)

    # -------------------------------------------------------------------------- reading

    def dashboard(self, request: Request) -> Response:
        """Sources with health and last runs, what is waiting for review, the latest relevant changes."""
        now = datetime.now(UTC)
        with self.app.db.read() as session:
            runs = current_runs(session)
            rows = all_sources(session)
            sources = [{"cfg": s, "run": runs.get(s.id), "row": rows.get(s.id),
                        "unhealthy": s.enabled and (r := rows.get(s.id)) is not None and r.health == "unhealthy"}
                       for s in self.app.config.sources]
            counts = review_counts(session, now - timedelta(days=7))
            latest, _ = search_changes(session, ChangeFilter(relevant_only=True, per_page=10))
            return self.web.render(request, "dashboard.html.j2", {
                "sources": sources, "counts": counts, "latest": latest})

    def changes(self, request: Request) -> Response:
        try:
            params = LogParams.parse(request.query_params)
        except BadQuery as exc:
            raise Refusal(400, exc.key, **exc.values) from None
        query = replace(params.query, fold_alternating=True)  # a flapping page: one row, not every flip
        lang = request_language(request)
        with self.app.db.read() as session:
            rows, total = search_changes(session, query)
            alternating = {doc_id: alternating_phrases(lang, versions, n) for doc_id, (n, versions) in
                           alternations(session, query, {c.document_id for c in rows
                                                         if c.kind in ALTERNATING_KINDS}).items()}
            pager = Pager(params.query.page, params.query.per_page, total)
            sources = sorted(all_sources(session).values(), key=lambda s: s.id)
            return self.web.render(request, "changes.html.j2", {
                "rows": rows, "pager": pager, "params": params, "f": params.values, "kinds": KINDS,
                "alternating": alternating,
                "sources": sources, "source_kinds": sorted({s.kind for s in sources}),
                "review_states": REVIEW_STATES})

    def change(self, request: Request) -> Response:
        change_id = int(request.path_params["change_id"])
        lang = request_language(request)
        view = "side" if request.query_params.get("view") == "side" else "inline"
        with self.app.db.read() as session:
            change = get_change(session, change_id)
            if change is None:
                raise Refusal(404, "err_no_change", id=change_id)
            stories = stories_by_id(session, [change.story_id] if change.story_id is not None else [])
            story = stories.get(change.story_id) if change.story_id is not None else None
            return self.web.render(request, "change.html.j2", {
                "change": change, "view": view, "reviews": change_reviews(session, change.id),
                "explanation": explain(change, self.web.case_names, lang),
                "story": story, "others": [r for r in story.reports if r.document_id != change.document_id]
                if story else [],
                "rows": side_by_side(change.diff) if view == "side" and change.diff else [],
                "more_lines": lambda n: text(lang, "more_lines", n=n),
                "versions": [("before", change.from_version), ("after", change.to_version)]})

    def document(self, request: Request) -> Response:
        document_id = int(request.path_params["document_id"])
        with self.app.db.read() as session:
            doc = get_document_by_id(session, document_id)
            if doc is None:
                raise Refusal(404, "err_no_document", id=document_id)
            return self.web.render(request, "document.html.j2", {
                "doc": doc, "versions": document_versions(session, doc.id),
                "changes": document_changes(session, doc.id), "source": get_source(session, doc.source_id)})

    def version(self, request: Request) -> Response:
        version_id = int(request.path_params["version_id"])
        with self.app.db.read() as session:
            version = get_version(session, version_id)
            if version is None:
                raise Refusal(404, "err_no_version", id=version_id)
            return self.web.render(request, "version.html.j2", {"v": version, "doc": version.document})

    def version_raw(self, request: Request) -> Response:
        """The stored response body, byte for byte, as a download: never rendered by the browser."""
        version_id = int(request.path_params["version_id"])
        with self.app.db.read() as session:
            version = get_version(session, version_id)
            if version is None:
                raise Refusal(404, "err_no_version", id=version_id)
            body = raw_bytes(version)
            if body is None:
                raise Refusal(410, "err_pruned", sha=version.raw_sha256)
            subtype = version.content_type.split(";")[0].split("/")[-1].strip().lower()
        name = f"version-{version_id}{RAW_EXTENSIONS.get(subtype, '.bin')}"
        return Response(body, media_type="application/octet-stream", headers={
            "content-disposition": f'attachment; filename="{name}"',
            "content-security-policy": "sandbox; default-src 'none'"})

    def timeline(self, request: Request) -> Response:
        case_id = request.path_params.get("case_id")
        cases = self.app.config.cases
        if case_id is not None and case_id not in cases:
            raise Refusal(404, "err_no_case", case=repr(case_id))
        wanted = [cases[case_id]] if case_id is not None else list(cases.values())
        with self.app.db.read() as session:
            found = [(case, case_timeline(session, case.id)) for case in wanted]
        return self.web.render(request, "timeline.html.j2", {"found": found, "single": case_id is not None})

    def _reviewer_only(self, request: Request) -> Response | None:
        """The outbox names recipients: a login page for anyone else."""
        if current_reviewer(request) is not None:
            return None
        if not self.web.auth.configured:
            lang = request_language(request)
            return self.web.refuse(request, 403, "err_outbox_reviewers", no_reviewers=text(lang, NO_REVIEWERS))
        return RedirectResponse("/login" + query_string(next=request.url.path), status_code=303)

    def outbox(self, request: Request) -> Response:
        if (refused := self._reviewer_only(request)) is not None:
            return refused
        try:
            page = number(request.query_params.get("page"), 1, "page")
        except BadQuery as exc:
            raise Refusal(400, exc.key, **exc.values) from None
        with self.app.db.read() as session:
            rows, total = outbox_page(session, page, 50)
            return self.web.render(request, "outbox.html.j2", {
                "rows": rows, "pager": Pager(page, 50, total),
                "outbox_href": lambda n: "/outbox" + query_string(page=n if n != 1 else None)})

    def outbox_item(self, request: Request) -> Response:
        if (refused := self._reviewer_only(request)) is not None:
            return refused
        digest_id = int(request.path_params["digest_id"])
        with self.app.db.read() as session:
            digest = get_digest(session, digest_id)
            if digest is None:
                raise Refusal(404, "err_no_message", id=digest_id)
            return self.web.render(request, "outbox_item.html.j2", {
                "d": digest, "change_ids": digest_change_ids(session, digest.id)})

    def login_form(self, request: Request) -> Response:
        return self.web.render(request, "login.html.j2", {
            "next": safe_next(request.query_params.get("next")), "error": None, "name": ""})

    # -------------------------------------------------------------------------- actions (auth.action)

    async def _review(self, request: Request, form: FormData, reviewer: str | None) -> Response:
        change_id = int(request.path_params["change_id"])
        verdict = str(form.get("action") or "")
        if verdict not in REVIEW_ACTIONS:
            return self.web.refuse(request, 400, "err_unknown_action", actions=", ".join(REVIEW_ACTIONS))
        note = str(form.get("note") or "").replace("\r\n", "\n").strip()[:NOTE_MAX]

        def record() -> bool:
            with self.app.db.write() as session:
                return review_change(session, change_id, verdict, note, reviewer or "?",
                                     datetime.now(UTC)) is not None

        if not await run_in_threadpool(record):
            return self.web.refuse(request, 404, "err_no_change", id=change_id)
        lang = request_language(request)
        request.session["flash"] = text(lang, "flash_review", id=change_id, done=text(lang, f"done_{verdict}"))
        return RedirectResponse(f"/changes/{change_id}", status_code=303)

    async def _login(self, request: Request, form: FormData, _: str | None) -> Response:
        auth = self.web.auth
        target = safe_next(str(form.get("next") or ""))
        if not auth.configured:
            return self.web.refuse(request, 403, NO_REVIEWERS)
        name = str(form.get("name") or "")[:64]
        # Credentials first, always: the right token logs in however many failures came before it.
        reviewer = auth.authenticate(name, str(form.get("token") or "")[:512])
        if reviewer is None:
            lang = request_language(request)
            if wait := auth.login_failed(name, auth.client(request)):
                response = self.web.render(request, "login.html.j2", {
                    "next": target, "error": text(lang, "err_throttled", seconds=wait), "name": name}, status=429)
                response.headers["retry-after"] = str(wait)
                return response
            return self.web.render(request, "login.html.j2", {
                "next": target, "error": text(lang, "err_wrong_login"), "name": name}, status=401)
        log_in(request, reviewer)
        request.session["flash"] = text(request_language(request), "flash_logged_in", name=reviewer.name)
        return RedirectResponse(target, status_code=303)

    async def _logout(self, request: Request, form: FormData, _: str | None) -> Response:
        await run_in_threadpool(log_out, request)  # records the logout in the database
        return RedirectResponse("/", status_code=303)
