"""The `casewatch` command line (contract in docs/architecture.md): thin commands over the packages."""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from casewatch import since
from casewatch.app import App, UserError
from casewatch.hints import command, known, see
from casewatch.logs import redact_log_records
from config.redact import redact
from config.schema import MILESTONE_TYPES, ConfigError
from pipeline.store.errors import is_storage_error, storage_error_line
from pipeline.store.session import DatabaseError
from textkit import LIMA

EXIT_USER_ERROR = 1
EXIT_SOURCES_FAILED = 3
_app: App | None = None  # the command's context, for main() to name the database in a storage error


def _fail(lines: list[str] | str) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"casewatch: {redact(line)}", err=True)  # a DB error may quote its URL
    sys.exit(EXIT_USER_ERROR)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``casewatch.since.parse_since`` with the CLI's usage error for a bad value."""
    try:
        return since.parse_since(value, now)
    except since.BadTime as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_dir", default="config", envvar="CASEWATCH_CONFIG", show_default=True,
              type=click.Path(path_type=Path), help="Configuration folder (cases/, sources.yaml, subscribers.yaml).")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL [default: $DATABASE_URL, else sqlite:///var/casewatch.db].")
@click.version_option(package_name="casewatch")
@click.pass_context
def cli(ctx: click.Context, config_dir: Path, db_url: str | None) -> None:
    """casewatch: watch the public record of a legal case and report when it moves."""
    global _app
    redact_log_records()
    ctx.obj = _app = App(config_dir=config_dir, db_url=db_url)


@cli.command()
@click.pass_obj
def init(app: App) -> None:
    """Create or upgrade the database and load the configuration into it."""
    app.db  # noqa: B018 - migrates and syncs
    cfg = app.config
    click.echo(f"database ready: {app.db.display_url}")
    click.echo(f"{len(cfg.cases)} case(s), {len(cfg.sources)} sources ({len(cfg.enabled_sources)} enabled), "
               f"{len(cfg.subscribers)} subscriber(s)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def sources(app: App, as_json: bool) -> None:
    """List the configured sources with their last run."""
    from casewatch.serialize import source_json
    from pipeline.store.runs import current_runs
    from pipeline.store.sources import all_sources

    with app.db.read() as session:
        runs = current_runs(session)  # never 'running' for a crawl whose process is gone
        rows = all_sources(session)
        if as_json:
            _print_json([source_json(s, runs.get(s.id), rows.get(s.id)) for s in app.config.sources])
            return
        for s in app.config.sources:
            run = runs.get(s.id)
            last = (f"{run.status} {run.started_at.astimezone(LIMA):%Y-%m-%d %H:%M}, {run.items} items"
                    if run else "never run")
            state = "enabled " if s.enabled else "disabled"
            row = rows.get(s.id)
            unhealthy = row is not None and row.health == "unhealthy" and s.enabled
            health = "UNHEALTHY" if unhealthy else ""
            click.echo(f"{s.id:<28} {state} {s.kind:<10} {s.spider:<10} {s.schedule.expression:<12} {last}"
                       f"{'  ' + health if health else ''}")
            if unhealthy and row is not None:
                click.echo(f"{'':<28} ↳ unhealthy: {redact(row.health_reason or '')}")
            elif run and run.status in ("failed", "partial", "empty") and run.error:
                click.echo(f"{'':<28} ↳ {redact(run.error)}")


@cli.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE ...]")
@click.option("--all", "all_enabled", is_flag=True, help="Crawl every enabled source (the default).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.pass_obj
def crawl(app: App, source_ids: tuple[str, ...], all_enabled: bool, verbose: bool) -> None:
    """Fetch sources now and record what changed (exit 3 if a source failed)."""
    from casewatch.crawl import REPORT_ENV, after_crawl, die_with_parent, went_offline
    from casewatch.crawl import crawl as run

    scheduled = die_with_parent()  # a scheduler's child ends with its scheduler (no-op when run by hand)
    selected = app.sources(source_ids, all_enabled=all_enabled)
    if not selected:
        _fail("no enabled sources to crawl")
    # A scheduled crawl of one source: the scheduler logs its result, so the child prints nothing of
    # its own (one line per failure in `make run`, not three).
    quiet = scheduled and len(selected) == 1 and not os.environ.get(REPORT_ENV)
    summary = run(app, selected, stream=None if quiet else sys.stderr, verbose=verbose)
    if not quiet:
        click.echo(summary.line())
    if (offline := went_offline(app, selected[0].id) if quiet else summary.offline_hint()) is not None:
        click.echo(f"casewatch: {offline}", err=True)
    immediate, health = after_crawl(app)
    if immediate:
        click.echo(f"{immediate} immediate alert(s) on major legal steps", err=True)
    if health:
        click.echo(f"{health} source health alert(s) sent to the maintainers", err=True)
    if summary.failed:
        sys.exit(EXIT_SOURCES_FAILED)


@cli.command()
@click.option("--since", help="Only changes detected since: 7d, 12h, or a date.")
@click.option("--source", "source_id", help="Only this source.")
@click.option("--case", "case_id", help="Only changes relevant to this case.")
@click.option("--kind", type=click.Choice(["new", "updated", "reverted", "removed", "restored"]))
@click.option("--milestone", metavar="TYPE",
              help=f"Only changes reporting this legal step: {', '.join(MILESTONE_TYPES)}.")
@click.option("--relevant", is_flag=True, help="Only changes relevant to some case.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def changes(app: App, since: str | None, source_id: str | None, case_id: str | None, kind: str | None,
            milestone: str | None, relevant: bool, limit: int | None, as_json: bool) -> None:
    """The change log, newest first."""
    from casewatch.serialize import change_json
    from pipeline.store.changes import ChangeFilter, list_changes
    from pipeline.store.stories import stories_by_id

    if case_id and case_id not in app.config.cases:
        _fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    if source_id:
        app.sources([source_id])  # an unknown source is a UserError listing the known ones
    if milestone and milestone not in MILESTONE_TYPES:
        _fail(f"unknown milestone type {milestone!r} {known(MILESTONE_TYPES)}")
    flt = ChangeFilter(since=parse_since(since, datetime.now(UTC)), source_id=source_id, case_id=case_id,
                       kind=kind, milestone=milestone, relevant_only=relevant, limit=limit)
    with app.db.read() as session:
        rows = list_changes(session, flt)
        stories = stories_by_id(session, {c.story_id for c in rows if c.story_id is not None})
        if as_json:
            _print_json([change_json(c, stories=stories) for c in rows])
            return
        for c in rows:
            mark = "★" if c.relevant else " "
            story = stories.get(c.story_id) if c.story_id is not None else None
            also = f"  [story {story.id}: {len(story.source_ids)} sources]" if story and story.size > 1 else ""
            click.echo(f"{c.id:>6} {mark} {c.detected_at.astimezone(LIMA):%Y-%m-%d %H:%M} {c.kind:<8} "
                       f"{c.source_id:<24} {c.title[:80]}{also}")
        if not rows:
            click.echo("no changes match", err=True)


@cli.command()
@click.argument("change_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def show(app: App, change_id: int, as_json: bool) -> None:
    """One change with its diff and the evidence (version hash, fetch time)."""
    from casewatch.serialize import change_json
    from pipeline.store.changes import get_change
    from pipeline.store.stories import stories_by_id

    with app.db.read() as session:
        c = get_change(session, change_id)
        if c is None:
            _fail(f"no change with id {change_id}")
        stories = stories_by_id(session, [c.story_id] if c.story_id is not None else [])
        if as_json:
            data = change_json(c, stories=stories)
            if c.withdrawn_at is not None:  # only then, so a live change keeps the `changes --json` shape
                data["withdrawn"] = {"at": c.withdrawn_at.isoformat(), "reason": c.withdrawn_reason}
            _print_json(data)
            return
        version = c.to_version or c.from_version
        click.echo(f"change {c.id}: {c.kind} · {c.source.name} ({c.source_id}, {c.source.kind})")
        click.echo(f"title:     {c.title}")
        click.echo(f"url:       {c.document.url}")
        click.echo(f"detected:  {c.detected_at.astimezone(LIMA):%Y-%m-%d %H:%M %Z}")
        if c.withdrawn_at is not None:
            click.echo(f"WITHDRAWN: {c.withdrawn_at.astimezone(LIMA):%Y-%m-%d %H:%M %Z}: {c.withdrawn_reason} "
                       "(kept as a record; not in the change log, digests or exports)")
        if c.kind == "reverted" and version:
            click.echo(f"reverted:  back to version {version.id} (stored {version.fetched_at.isoformat()}) "
                       f"from version {c.from_version_id}; seen again at detection, not stored twice")
        elif version:
            click.echo(f"version:   {version.id} sha256 {version.sha256} fetched {version.fetched_at.isoformat()} "
                       f"HTTP {version.http_status}")
        cases = ", ".join(f"{link.case_id} ({link.score:g})" for link in c.case_links) or "none"
        click.echo(f"cases:     {cases}; terms: {', '.join(c.matched_terms or []) or '-'}")
        if (story := stories.get(c.story_id) if c.story_id is not None else None) is not None:
            others = [r for r in story.reports if r.document_id != c.document_id]
            click.echo(f"story:     {story.id}, {story.size} report(s)" + (": also reported by" if others else ""))
            for r in others:
                click.echo(f"           {r.source_id} (change {r.change_id}): {r.title[:70]} <{r.url}>")
        click.echo("")
        click.echo(c.diff if c.diff else c.summary)


@cli.command()
@click.argument("url")
@click.option("--off", is_flag=True, help="Unpin: back to the decaying revisit schedule.")
@click.pass_obj
def pin(app: App, url: str, off: bool) -> None:
    """Re-check a known document at every crawl of its source (a resolution, a follow-up page)."""
    from crawler.extract.urls import canonical_url
    from pipeline.store.documents import set_pinned

    with app.db.write() as session:
        doc = set_pinned(session, canonical_url(url), not off)
        if doc is None:
            _fail(f"no stored document with URL {url!r} {see('changes')}")
        click.echo(f"{'unpinned' if off else 'pinned'}: {doc.url} ({doc.source_id})")


@cli.command()
@click.option("--case", "case_id", help="Only this case (default: every configured case).")
@click.option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True,
              help="Language of the milestone labels.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def timeline(app: App, case_id: str | None, lang: str, as_json: bool) -> None:
    """A case's legal steps in the order they happened (event date), each once with its sources."""
    from alerts.labels import milestone_label
    from casewatch.serialize import timeline_json
    from pipeline.store.timeline import case_timeline

    if case_id is not None and case_id not in app.config.cases:
        _fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    cases = [app.config.cases[case_id]] if case_id is not None else list(app.config.cases.values())
    with app.db.read() as session:
        found = [(case, case_timeline(session, case.id)) for case in cases]
    data = [{"case": case.id, "name": case.name, "entries": [timeline_json(e, lang) for e in entries]}
            for case, entries in found]
    if as_json:
        _print_json(data[0] if case_id is not None else data)
        return
    for case, entries in found:
        click.echo(f"{case.name} ({case.id}): {len(entries)} step(s)")
        for e in entries:
            day = e.date.isoformat() if e.date_known else f"~{e.date.isoformat()}"
            status = (" (announced)" if e.announced else "") + (" (removed from its sources)" if e.removed else "")
            click.echo(f"  {day:<11} {milestone_label(lang, e.type, e.label)}{status}")
            for src in e.sources:
                click.echo(f"  {'':<11}   {src.source_id}: {src.title[:70]} <{src.url}>")
        if not entries:
            click.echo("  no milestones found yet")
        elif any(not e.date_known for e in entries):
            click.echo("  (~ the sources gave no date for the step: the date it was published is shown)")


@cli.command()
@click.option("--subscriber", "email", help="Only this subscriber.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent now (same filters); store and send nothing.")
@click.option("--preview", "preview_email", metavar="EMAIL",
              help="Write the exact HTML of this subscriber's next email (their next scheduled digest, with what is "
                   "pending now) to a file and print its path; sends nothing.")
@click.option("--status", "status", is_flag=True, help="List the outbox and its delivery state.")
@click.option("--resubscribe", metavar="EMAIL", help="Undo this subscriber's unsubscribe (made with their link).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def digest(app: App, email: str | None, dry_run: bool, preview_email: str | None, status: bool,
           resubscribe: str | None, as_json: bool) -> None:
    """Write digests of pending relevant changes and deliver them (files, or SMTP if SMTP_HOST is set)."""
    from alerts.digest import build_digests, preview
    from alerts.outbox import deliver_pending, lease_from_env
    from alerts.send import from_settings
    from casewatch.baseurl import loopback_warning
    from pipeline.store import subscribers
    from pipeline.store.outbox import all_digests

    now = datetime.now(UTC)
    emails = [s.email for s in app.config.subscribers]
    if email and email.lower() not in {e.lower() for e in emails}:
        _fail(f"unknown subscriber {email!r} {known(emails)}")
    if resubscribe and resubscribe.lower() not in {e.lower() for e in emails}:
        _fail(f"unknown subscriber {resubscribe!r} {known(emails)}")
    if preview_email and preview_email.lower() not in {e.lower() for e in emails}:
        _fail(f"unknown subscriber {preview_email!r} {known(emails)}")
    lease = lease_from_env(app.settings.smtp_timeout)  # bad or shorter than a send: ConfigError, exit 1
    if resubscribe:
        with app.db.write() as session:
            if not subscribers.resubscribe(session, resubscribe):
                _fail(f"{resubscribe!r} has not unsubscribed: nothing to undo {see('status')}")
        click.echo(f"{resubscribe}: subscribed again; the next digest goes to them")
        return
    if status:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        def when(row: Any) -> str:
            """The time that matters for the row's state, in Lima time."""
            if row.status == "sent" and row.sent_at:
                return f"sent {row.sent_at.astimezone(LIMA):%Y-%m-%d %H:%M}"
            if row.status == "sending" and row.claimed_at:
                expired = " (lease expired)" if row.claimed_at + lease < now else ""
                return f"sending since {row.claimed_at.astimezone(LIMA):%Y-%m-%d %H:%M}{expired}"
            if row.next_attempt_at and row.next_attempt_at > now:
                return f"next {row.next_attempt_at.astimezone(LIMA):%Y-%m-%d %H:%M}"
            return "next: now"

        with app.db.read() as session:
            rows = all_digests(session)
            # "status" is the delivery state: pending | sending (claimed by a sender) | sent.
            data = [{"id": d.id, "to": d.subscriber.email, "period": d.period, "status": d.status,
                     "attempts": d.attempts, "last_error": d.last_error, "subject": d.subject,
                     "created_at": iso(d.created_at), "sent_at": iso(d.sent_at), "delivered_to": d.delivered_to,
                     "kind": d.kind, "next_attempt_at": iso(d.next_attempt_at), "claimed_at": iso(d.claimed_at),
                     "lease_expires_at": iso(d.claimed_at + lease) if d.claimed_at else None} for d in rows]
        if as_json:
            _print_json(data)
        for d, row in [] if as_json else zip(data, rows, strict=True):
            click.echo(f"{d['id']:>5} {d['status']:<8} {d['kind']:<9} {d['period']:<26} {d['attempts']} tries  "
                       f"{when(row):<24} {d['to']:<30} {d['subject'][:50]}"
                       + (f"\n      last error: {d['last_error']}" if d["last_error"] else ""))
        if not data and not as_json:
            click.echo("the outbox is empty")
        return

    def warn_links() -> None:
        """After the work (a storage error stays the one line it is): links in emails point to loopback."""
        if (warning := loopback_warning(app.settings)) is not None:
            click.echo(f"casewatch: {warning}", err=True)

    if preview_email:
        _write_preview(app, preview_email, now, as_json)
        warn_links()
        return
    if dry_run:
        previews = preview(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email)
        warn_links()
        if as_json:
            _print_json([{"to": p.email, "subject": p.subject, "text": p.text, "changes": p.changes} for p in previews])
        for p in [] if as_json else previews:
            click.echo(f"To: {p.email}\nSubject: {p.subject}\n\n{p.text}\n")
        if not previews and not as_json:
            click.echo("nothing pending")
        return
    built = build_digests(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email)
    # A manual run retries failed digests now (the operator asked); a live claim is still respected.
    deliveries = deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from,
                                 reply_to=app.settings.reply_to,
                                 lease=lease, ignore_backoff=True)
    if as_json:
        _print_json({"built": [b.__dict__ for b in built], "deliveries": [d.__dict__ for d in deliveries]})
    else:
        for b in built:
            click.echo(f"{b.subscriber}: " + (b.skipped or f"digest {b.digest_id} with {b.changes} change(s)"))
        for d in deliveries:
            click.echo(f"{'sent' if d.ok else 'NOT sent'} digest {d.digest_id} to {d.to}: {d.where}")
    warn_links()
    if any(not d.ok for d in deliveries):
        sys.exit(EXIT_SOURCES_FAILED)


def _write_preview(app: App, email: str, now: datetime, as_json: bool) -> None:
    """`digest --preview EMAIL`: the HTML body of the subscriber's next email, byte for byte, in a file."""
    from alerts.digest import preview

    found = preview(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email,
                    scheduled=True)
    if not found:
        if as_json:
            _print_json({"to": email, "path": None, "changes": 0})
        else:
            click.echo(f"nothing pending for {email}: their next digest would not be sent", err=True)
        return
    p = found[0]
    folder = app.settings.var_dir / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "@.-_" else "_" for ch in f"{p.email}-{p.period}")
    path = (folder / f"{safe}.html").absolute()
    path.write_text(p.html, encoding="utf-8")
    if as_json:
        _print_json({"to": p.email, "path": str(path), "period": p.period, "at": p.at.isoformat(),
                     "subject": p.subject, "changes": p.changes})
        return
    click.echo(f"{p.email}: {p.period} at {p.at.astimezone(LIMA):%Y-%m-%d %H:%M} (Lima), {p.changes} change(s) "
               f"pending now; subject: {p.subject}", err=True)
    click.echo(str(path))


@cli.command("try-source")
@click.argument("source_id")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False),
              help="A saved page or feed to extract from (nothing else is fetched).")
@click.option("--url", help="Fetch this URL instead of the source's configured ones.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def try_source_cmd(app: App, source_id: str, file: Path | None, url: str | None, as_json: bool) -> None:
    """Show what a source extracts, storing nothing (exit 3 if no item has a title and text)."""
    from casewatch.trysource import incomplete_items, item_json, try_source

    if file and url:
        _fail("use either --file or --url, not both")
    [source] = app.sources([source_id])
    run = try_source(source, file=file, url=url)
    items = [item_json(i) for i in run.items]
    if as_json:
        _print_json(items)
    else:
        for it in items:
            click.echo(f"{it['published_at'] or '(no date)':<26} {it['title']}\n{'':<26} {it['url']}")
            click.echo(f"{'':<26} {' '.join(it['text'].split())[:160]}\n")
        click.echo(f"{len(items)} items, {len(run.errors)} errors", err=True)
    for error in run.errors:
        click.echo(f"error: {error}", err=True)
    for warning in incomplete_items(items):
        click.echo(f"warning: {warning}", err=True)
    if not any(it.get("title") and it.get("text") for it in items):  # nothing a digest could show
        sys.exit(EXIT_SOURCES_FAILED)


@cli.command()
@click.option("--case", "case_id", help="Only this case (default: every configured case).")
@click.option("--title", default="", help="The headline.")
@click.option("--text-file", "text_file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="The text to classify ('-' reads standard input).")
@click.option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True,
              help="Language of the milestone labels.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def classify(app: App, case_id: str | None, title: str, text_file: Path | None, lang: str, as_json: bool) -> None:
    """Explain the decision for one text: relevant or not, why, and the legal steps it reports."""
    from pipeline.classify.decision import decide

    text = ""
    if text_file is not None:
        try:
            text = sys.stdin.read() if str(text_file) == "-" else text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{text_file}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    if not (title.strip() or text.strip()):
        _fail("nothing to classify: give --title and/or --text-file")
    cases = list(app.config.cases.values())
    if case_id is not None:
        if case_id not in app.config.cases:
            _fail(f"unknown case {case_id!r} {known(app.config.cases)}")
        cases = [app.config.cases[case_id]]
    decisions = decide(cases, title, text, language=lang)
    if as_json:
        _print_json(decisions[0].as_dict() if case_id is not None else [d.as_dict() for d in decisions])
        return
    for d in decisions:
        click.echo(d.relevance.explain())
        for m in d.steps:  # every step found, with its status and why (only taken/announced are reported)
            extra = [m.status + (" primary" if m.primary else "")]
            if m.date:
                extra.append(m.date.isoformat())
            extra += [f"{i['kind']} {i['value']}" for i in m.identifiers]
            extra += list(m.actors)
            click.echo(f"  milestone {m.type} ({m.label}): {'; '.join(extra)}  <- {m.evidence!r}  [{m.reason}]")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """At a glance: each source's next run, running crawl, last result and health; the digest; the outbox."""
    from casewatch.status import collect, render_text

    data = collect(app)
    if as_json:
        _print_json(data)
        return
    for line in render_text(data):
        click.echo(line)


@cli.command()
@click.option("--once", is_flag=True, help="Run every enabled source and the digest once, then exit.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON object per line (time, level, logger, message, source, run).")
@click.pass_obj
def run(app: App, once: bool, log_format: str) -> None:
    """The main job: crawl each source on its schedule and send digests (foreground; Ctrl-C stops)."""
    from alerts.outbox import lease_from_env
    from casewatch.crawl import REPORT_ENV
    from casewatch.scheduler import run_scheduler

    lease_from_env(app.settings.smtp_timeout)  # a lease shorter than a send: one line before anything runs
    if once:  # the scheduler logs no per-source result in this mode: its crawl child prints them
        os.environ[REPORT_ENV] = "1"
    run_scheduler(app, once=once, log_format=log_format)


@cli.command()
@click.option("--redis", "redis_url", envvar="CASEWATCH_REDIS_URL", metavar="URL",
              help="The shared Redis [$CASEWATCH_REDIS_URL], e.g. redis://queue.example:6379/0.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def worker(app: App, redis_url: str | None, log_format: str) -> None:
    """A crawl worker (any number): crawls what `run` queues in Redis into the shared database."""
    from casewatch.worker import run_worker

    if not redis_url:
        _fail("casewatch worker needs the shared Redis: --redis URL or CASEWATCH_REDIS_URL")
    run_worker(app, redis_url, log_format=log_format)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep serving the replica sites after the demo.")
def demo(keep: bool) -> None:
    """Offline demonstration: local replica sites change, casewatch notices, a digest is written."""
    from casewatch.demo import run_demo

    run_demo(keep_serving=keep)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """The review page: dashboard, change log with diffs, timeline, outbox, JSON API and Atom feeds."""
    import uvicorn

    from casewatch.web.app import create_app, serve_refusal, serve_warnings
    from casewatch.web.auth import AuthConfig

    auth = AuthConfig.from_env(os.environ, base_url=app.settings.base_url)  # a bad CASEWATCH_REVIEWERS: exit 1
    if (refusal := serve_refusal(host, auth)) is not None:
        _fail(refusal)
    listening = listen(host, port)  # a busy port is one line and exit 1, before anything is announced
    for line in serve_warnings(host, auth):
        click.echo(f"casewatch: {line}", err=True)
    web = create_app(app, auth=auth)
    port = listening.getsockname()[1]
    click.echo(f"casewatch review page on http://{host}:{port}/ ({app.db.display_url}); Ctrl-C stops", err=True)
    config = uvicorn.Config(web, host=host, port=port, log_level="warning", proxy_headers=False,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[listening])


def listen(host: str, port: int) -> socket.socket:
    """The review page's listening socket, bound before the page is announced."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        _fail(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart over TIME_WAIT
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        busy = " (another program uses it: stop it or choose --port)" if exc.errno == errno.EADDRINUSE else ""
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}{busy}")
    sock.set_inheritable(True)
    return sock


def parse_until(value: str | None, now: datetime) -> datetime | None:
    """Like --since, but a plain date (2026-11-01) means the end of that Lima day (it is included)."""
    try:
        return since.parse_until(value, now)
    except since.BadTime as exc:
        raise click.BadParameter(str(exc), param_hint="'--until'") from None


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["warc", "json", "csv"]), default="warc", show_default=True,
              help="warc: the stored responses as evidence; json/csv: the change log for reports.")
@click.option("--document", "document_id", type=int, help="Only this document (its id).")
@click.option("--url", help="Only the document with this URL.")
@click.option("--source", "source_id", help="Only this source.")
@click.option("--case", "case_id", help="Only documents relevant to this case.")
@click.option("--since", help="Fetched (warc) or detected (json/csv) since: 7d, 12h, or a date.")
@click.option("--until", help="Only before: a date (that whole Lima day included) or a time.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="Output file [warc: var/exports/casewatch-<time>.warc.gz; json/csv: standard output].")
@click.pass_obj
def export(app: App, fmt: str, document_id: int | None, url: str | None, source_id: str | None,
           case_id: str | None, since: str | None, until: str | None, output: Path | None) -> None:
    """Export stored evidence as a standard WARC file, or the change log as JSON or CSV."""
    from casewatch.export import default_warc_path, report_rows, text_output, write_csv, write_json, write_warc
    from crawler.extract.urls import canonical_url
    from pipeline.store.documents import get_document, get_document_by_id
    from pipeline.store.evidence import EvidenceFilter

    now = datetime.now(UTC)
    if document_id is not None and url:
        _fail("use either --document or --url, not both")
    if source_id:
        app.sources([source_id])  # an unknown source is a UserError: one line
    if case_id and case_id not in app.config.cases:
        _fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    if url:
        with app.db.read() as session:
            doc = get_document(session, url)
            if doc is None:
                try:
                    doc = get_document(session, canonical_url(url))
                except ValueError:
                    doc = None
        if doc is None:
            _fail(f"no stored document with URL {url!r} {see('changes')}")
        document_id = doc.id
    elif document_id is not None:
        with app.db.read() as session:
            if get_document_by_id(session, document_id) is None:
                _fail(f"no stored document with id {document_id}")
    flt = EvidenceFilter(document_id=document_id, source_id=source_id, case_id=case_id,
                         since=parse_since(since, now), until=parse_until(until, now))
    if fmt == "warc":
        if output is not None and str(output) == "-":
            _fail("a WARC export needs a file name (-o PATH.warc.gz)")
        path = output or default_warc_path(app.settings.var_dir, now)
        described = ", ".join(f"{k}={v}" for k, v in (("document", document_id), ("source", source_id),
                                                       ("case", case_id), ("since", since), ("until", until)) if v)
        summary = write_warc(app.db, flt, path, description=f"casewatch evidence export ({described or 'all'})")
        click.echo(f"{summary.path}: {summary.versions} version(s), {summary.responses} with their response, "
                   f"{summary.pruned} pruned (metadata only)", err=True)
        return
    rows = report_rows(app.db, flt)
    with text_output(output) as out:
        (write_json if fmt == "json" else write_csv)(rows, out)
    if output is not None and str(output) != "-":
        click.echo(f"{output}: {len(rows)} change(s)", err=True)


@cli.command()
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only this source (repeatable).")
@click.option("--dry-run", is_flag=True, help="Report what would change; store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def reextract(app: App, source_ids: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Recompute texts and changes from the stored raw bodies under the current rules (no fetching)."""
    from casewatch.reextract import reextract as run

    selected = app.sources(source_ids) if source_ids else list(app.config.sources)
    reports = run(app, selected, dry_run=dry_run, progress=sys.stderr)
    if as_json:
        totals = {k: sum(getattr(r, k) for r in reports) for k in (
            "documents", "versions", "texts_changed", "changes_withdrawn", "changes_kept", "changes_reinstated",
            "diffs_updated", "skipped_pruned", "skipped_not_reextractable")}
        _print_json({"dry_run": dry_run, "sources": [r.as_json() for r in reports], "totals": totals})
        return
    for r in reports:
        click.echo(r.line())
        for problem in r.problems:
            click.echo(f"  not re-extractable: {problem}")
    if dry_run:
        click.echo("dry run: nothing was stored", err=True)


def main() -> None:
    """Entry point: user mistakes are one line on stderr and exit code 1, never a traceback."""
    try:
        cli.main(standalone_mode=False, prog_name="casewatch")
    except ConfigError as exc:
        _fail(exc.lines)
    except (UserError, DatabaseError) as exc:
        _fail(str(exc))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        where = exc.ctx.command_path.removeprefix("casewatch").strip() if exc.ctx else ""
        _fail(f"{exc.format_message()} (see `{command()} {where + ' ' if where else ''}--help`)")
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USER_ERROR if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if not is_storage_error(exc):
            raise
        _fail(storage_error_line(exc, _app.db_display if _app is not None else "the database"))


if __name__ == "__main__":
    main()
