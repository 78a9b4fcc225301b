"""`casewatch digest`: write digests of pending relevant changes and deliver them, or one of its other
modes (undo an unsubscribe, list the outbox, preview an email, a dry run). One function a mode."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click

from casewatch.app import App
from casewatch.echo import EXIT_SOURCES_FAILED, fail, print_json
from casewatch.hints import known, see


@click.command()
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
    from alerts.outbox import lease_from_env

    now = datetime.now(UTC)
    emails = [s.email for s in app.config.subscribers]
    subscribed = {e.lower() for e in emails}
    for named in (email, resubscribe, preview_email):
        if named and named.lower() not in subscribed:
            fail(f"unknown subscriber {named!r} {known(emails)}")
    lease = lease_from_env(app.settings.smtp_timeout)  # bad or shorter than a send: ConfigError, exit 1
    if resubscribe:
        _resubscribe(app, resubscribe)
    elif status:
        _outbox(app, lease, now, as_json)
    elif preview_email:
        _write_preview(app, preview_email, now, as_json)
        _warn_links(app)
    elif dry_run:
        _dry_run(app, email, now, as_json)
    else:
        _build_and_deliver(app, email, lease, now, as_json)


def _warn_links(app: App) -> None:
    """After the work (a storage error stays the one line it is): links in emails point to loopback."""
    from casewatch.baseurl import loopback_warning

    if (warning := loopback_warning(app.settings)) is not None:
        click.echo(f"casewatch: {warning}", err=True)


def _resubscribe(app: App, email: str) -> None:
    """`--resubscribe EMAIL`: undo the unsubscribe made with the subscriber's link."""
    from pipeline.store.subscribers import resubscribe

    with app.db.write() as session:
        if not resubscribe(session, email):
            fail(f"{email!r} has not unsubscribed: nothing to undo {see('status')}")
    click.echo(f"{email}: subscribed again; the next digest goes to them")


def _outbox(app: App, lease: timedelta, now: datetime, as_json: bool) -> None:
    """`--status`: every stored digest and its delivery state."""
    from casewatch.format_outbox import outbox_json, outbox_lines
    from pipeline.store.outbox import all_digests

    with app.db.read() as session:
        rows = all_digests(session)
        data = outbox_json(rows, lease)
    if as_json:
        print_json(data)
        return
    for line in outbox_lines(data, rows, lease, now):
        click.echo(line)


def _dry_run(app: App, email: str | None, now: datetime, as_json: bool) -> None:
    """`--dry-run`: what would be sent now; nothing is stored or sent."""
    from alerts.digest import preview
    from casewatch.format_outbox import dry_run_lines

    previews = preview(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email)
    _warn_links(app)
    if as_json:
        print_json([{"to": p.email, "subject": p.subject, "text": p.text, "changes": p.changes} for p in previews])
        return
    for line in dry_run_lines(previews):
        click.echo(line)


def _build_and_deliver(app: App, email: str | None, lease: timedelta, now: datetime, as_json: bool) -> None:
    """Build what is due and deliver the outbox; exit 3 when a digest could not be sent."""
    from alerts.digest import build_digests
    from alerts.outbox import deliver_pending
    from alerts.send import from_settings
    from casewatch.format_outbox import delivery_lines

    built = build_digests(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email)
    # A manual run retries failed digests now (the operator asked); a live claim is still respected.
    deliveries = deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from,
                                 reply_to=app.settings.reply_to,
                                 lease=lease, ignore_backoff=True)
    if as_json:
        print_json({"built": [b.__dict__ for b in built], "deliveries": [d.__dict__ for d in deliveries]})
    else:
        for line in delivery_lines(built, deliveries):
            click.echo(line)
    _warn_links(app)
    if any(not d.ok for d in deliveries):
        sys.exit(EXIT_SOURCES_FAILED)


def _write_preview(app: App, email: str, now: datetime, as_json: bool) -> None:
    """`digest --preview EMAIL`: the HTML body of the subscriber's next email, byte for byte, in a file."""
    from alerts.digest import preview
    from casewatch.format_outbox import preview_line

    found = preview(app.db, app.config, now=now, base_url=app.settings.base_url, subscriber_email=email,
                    scheduled=True)
    if not found:
        if as_json:
            print_json({"to": email, "path": None, "changes": 0})
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
        print_json({"to": p.email, "path": str(path), "period": p.period, "at": p.at.isoformat(),
                    "subject": p.subject, "changes": p.changes})
        return
    click.echo(preview_line(p), err=True)
    click.echo(str(path))
