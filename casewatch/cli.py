"""The `casewatch` command line (contract in docs/architecture.md): thin commands over the packages."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from casewatch import quickexit
from casewatch.app import App, UserError
from casewatch.digest_command import digest
from casewatch.echo import EXIT_SOURCES_FAILED, EXIT_USER_ERROR, fail, print_json
from casewatch.export_command import export
from casewatch.hints import command, known, see
from casewatch.logs import redact_log_records
from casewatch.serve_command import serve
from casewatch.time_options import parse_since
from config.schema import MILESTONE_TYPES, ConfigError
from pipeline.store.errors import is_storage_error, storage_error_line
from pipeline.store.session import DatabaseError

_app: App | None = None  # the command's context, for main() to name the database in a storage error


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
    from casewatch.format_records import source_lines
    from casewatch.serialize import source_json
    from pipeline.store.runs import current_runs
    from pipeline.store.sources import all_sources

    with app.db.read() as session:
        runs = current_runs(session)  # never 'running' for a crawl whose process is gone
        rows = all_sources(session)
        if as_json:
            print_json([source_json(s, runs.get(s.id), rows.get(s.id)) for s in app.config.sources])
            return
        for s in app.config.sources:
            for line in source_lines(s, runs.get(s.id), rows.get(s.id)):
                click.echo(line)


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
        fail("no enabled sources to crawl")
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
    from casewatch.format_records import change_line
    from casewatch.serialize import change_json
    from pipeline.store.changes import ChangeFilter, list_changes
    from pipeline.store.stories import stories_by_id

    if case_id and case_id not in app.config.cases:
        fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    if source_id:
        app.sources([source_id])  # an unknown source is a UserError listing the known ones
    if milestone and milestone not in MILESTONE_TYPES:
        fail(f"unknown milestone type {milestone!r} {known(MILESTONE_TYPES)}")
    flt = ChangeFilter(since=parse_since(since, datetime.now(UTC)), source_id=source_id, case_id=case_id,
                            kind=kind, milestone=milestone, relevant_only=relevant, limit=limit)
    with app.db.read() as session:
        rows = list_changes(session, flt)
        stories = stories_by_id(session, {c.story_id for c in rows if c.story_id is not None})
        if as_json:
            print_json([change_json(c, stories=stories) for c in rows])
            return
        for c in rows:
            click.echo(change_line(c, stories))
        if not rows:
            click.echo("no changes match", err=True)


@cli.command()
@click.argument("change_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def show(app: App, change_id: int, as_json: bool) -> None:
    """One change with its diff and the evidence (version hash, fetch time)."""
    from casewatch.format_records import show_lines
    from casewatch.serialize import change_json
    from pipeline.store.changes import get_change
    from pipeline.store.stories import stories_by_id

    with app.db.read() as session:
        c = get_change(session, change_id)
        if c is None:
            fail(f"no change with id {change_id}")
        stories = stories_by_id(session, [c.story_id] if c.story_id is not None else [])
        if as_json:
            data = change_json(c, stories=stories)
            if c.withdrawn_at is not None:  # only then, so a live change keeps the `changes --json` shape
                data["withdrawn"] = {"at": c.withdrawn_at.isoformat(), "reason": c.withdrawn_reason}
            print_json(data)
            return
        for line in show_lines(c, stories):
            click.echo(line)


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
            fail(f"no stored document with URL {url!r} {see('changes')}")
        click.echo(f"{'unpinned' if off else 'pinned'}: {doc.url} ({doc.source_id})")


@cli.command()
@click.option("--case", "case_id", help="Only this case (default: every configured case).")
@click.option("--lang", type=click.Choice(["es", "en"]), default="es", show_default=True,
              help="Language of the milestone labels.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def timeline(app: App, case_id: str | None, lang: str, as_json: bool) -> None:
    """A case's legal steps in the order they happened (event date), each once with its sources."""
    from casewatch.format_records import timeline_lines
    from casewatch.serialize import timeline_json
    from pipeline.store.timeline import case_timeline

    if case_id is not None and case_id not in app.config.cases:
        fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    cases = [app.config.cases[case_id]] if case_id is not None else list(app.config.cases.values())
    with app.db.read() as session:
        found = [(case, case_timeline(session, case.id)) for case in cases]
    data = [{"case": case.id, "name": case.name, "entries": [timeline_json(e, lang) for e in entries]}
            for case, entries in found]
    if as_json:
        print_json(data[0] if case_id is not None else data)
        return
    for case, entries in found:
        for line in timeline_lines(case.name, case.id, entries, lang):
            click.echo(line)


@cli.command("try-source")
@click.argument("source_id")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False),
              help="A saved page or feed to extract from (nothing else is fetched).")
@click.option("--url", help="Fetch this URL instead of the source's configured ones.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def try_source_cmd(app: App, source_id: str, file: Path | None, url: str | None, as_json: bool) -> None:
    """Show what a source extracts, storing nothing (exit 3 if no item has a title and text)."""
    from casewatch.format_records import extracted_lines
    from casewatch.trysource import incomplete_items, item_json, try_source

    if file and url:
        fail("use either --file or --url, not both")
    [source] = app.sources([source_id])
    run = try_source(source, file=file, url=url)
    items = [item_json(i) for i in run.items]
    if as_json:
        print_json(items)
    else:
        for it in items:
            for line in extracted_lines(it):
                click.echo(line)
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
    from casewatch.format_records import decision_lines
    from pipeline.classify.decision import decide

    text = ""
    if text_file is not None:
        try:
            text = sys.stdin.read() if str(text_file) == "-" else text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{text_file}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    if not (title.strip() or text.strip()):
        fail("nothing to classify: give --title and/or --text-file")
    cases = list(app.config.cases.values())
    if case_id is not None:
        if case_id not in app.config.cases:
            fail(f"unknown case {case_id!r} {known(app.config.cases)}")
        cases = [app.config.cases[case_id]]
    decisions = decide(cases, title, text, language=lang)
    if as_json:
        print_json(decisions[0].as_dict() if case_id is not None else [d.as_dict() for d in decisions])
        return
    for line in decision_lines(decisions):
        click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """At a glance: each source's next run, running crawl, last result and health; the digest; the outbox."""
    from casewatch.status import collect, render_text

    data = collect(app)
    if as_json:
        print_json(data)
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
        fail("casewatch worker needs the shared Redis: --redis URL or CASEWATCH_REDIS_URL")
    run_worker(app, redis_url, log_format=log_format)


@cli.command()
@click.option("--keep", is_flag=True, help="Keep serving the replica sites after the demo.")
def demo(keep: bool) -> None:
    """Offline demonstration: local replica sites change, casewatch notices, a digest is written."""
    from casewatch.demo import run_demo

    run_demo(keep_serving=keep)


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
        print_json({"dry_run": dry_run, "sources": [r.as_json() for r in reports], "totals": totals})
        return
    for r in reports:
        click.echo(r.line())
        for problem in r.problems:
            click.echo(f"  not re-extractable: {problem}")
    if dry_run:
        click.echo("dry run: nothing was stored", err=True)


cli.add_command(digest)
cli.add_command(export)
cli.add_command(serve)


def main() -> None:
    """Entry point: user mistakes are one line on stderr and exit code 1, never a traceback."""
    quickexit.install()
    try:
        cli.main(standalone_mode=False, prog_name="casewatch")
    except ConfigError as exc:
        fail(exc.lines)
    except (UserError, DatabaseError) as exc:
        fail(str(exc))
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        where = exc.ctx.command_path.removeprefix("casewatch").strip() if exc.ctx else ""
        fail(f"{exc.format_message()} (see `{command()} {where + ' ' if where else ''}--help`)")
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USER_ERROR if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if not is_storage_error(exc):
            raise
        fail(storage_error_line(exc, _app.db_display if _app is not None else "the database"))


if __name__ == "__main__":
    main()
