"""`casewatch demo`: the whole pipeline offline, in under a minute.

Serves a replica of a news feed, prosecutor press releases and an NGO page on 127.0.0.1, crawls it,
sends the first digest, changes the sites the way real sites change (a new article about the case, an
edited paragraph, a deleted press release, unrelated news, visit counters), crawls again, and writes a
second digest to var/outbox/ holding only what moved in the case.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from alerts.digest import build_digests
from alerts.outbox import deliver_pending
from alerts.send.file import FileSender
from casewatch.app import App
from casewatch.crawl import crawl_in_subprocess
from casewatch.demo_site import SUBSCRIBERS_YAML, ReplicaSite, sources_yaml
from casewatch.hints import command
from config.settings import get_settings

DEFAULT_CASE = Path(__file__).resolve().parents[1] / "config" / "cases" / "juliaca-2023.yaml"


def _step(text: str) -> None:
    click.secho(f"\n▸ {text}", bold=True)


def run_demo(*, keep_serving: bool = False, workdir: Path | None = None) -> Path | None:
    """Run the demo; returns the path of the final digest (.eml), or None if nothing was written."""
    started = time.monotonic()
    settings = get_settings()
    work = workdir or settings.var_dir / "demo"
    shutil.rmtree(work, ignore_errors=True)
    (work / "config" / "cases").mkdir(parents=True)
    shutil.copy(DEFAULT_CASE, work / "config" / "cases" / DEFAULT_CASE.name)
    sender = FileSender(settings.outbox_dir)

    with ReplicaSite() as site:
        (work / "config" / "sources.yaml").write_text(sources_yaml(site.base), encoding="utf-8")
        (work / "config" / "subscribers.yaml").write_text(SUBSCRIBERS_YAML, encoding="utf-8")
        app = App(config_dir=work / "config", db_url=f"sqlite:///{work / 'casewatch.db'}")
        app.db  # noqa: B018 - create the database
        click.echo(f"replica sites on {site.base}; demo data in {work}")

        _step("1. First crawl of the replica (everything is new)")
        crawl_in_subprocess(app, [s.id for s in app.config.enabled_sources], timeout=120)
        _digest(app, sender, "first digest (the case as it stood)")

        _step("2. The sites change: a new article, an edited press release, a deleted one, unrelated news")
        site.switch(2)
        crawl_in_subprocess(app, [s.id for s in app.config.enabled_sources], timeout=120)
        _step("3. Crawl again (a page must answer 404 twice before it counts as removed)")
        crawl_in_subprocess(app, [s.id for s in app.config.enabled_sources], timeout=120)

        _step("4. The digest of what moved")
        path = _digest(app, sender, "second digest")
        if path is not None:
            click.echo(f"\nThe digest is in {path}. It contains:\n")
            click.echo(_text_part(path))
        click.echo(f"\ndemo finished in {time.monotonic() - started:.0f} s; explore it with:\n"
                   f"  {command()} --config {work / 'config'} --db sqlite:///{work / 'casewatch.db'} changes")
        if keep_serving:
            click.echo(f"serving the replica on {site.base} until Ctrl-C")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return path


def _digest(app: App, sender: FileSender, label: str) -> Path | None:
    now = datetime.now(UTC)
    built = build_digests(app.db, app.config, now=now, base_url=app.settings.base_url)
    deliveries = deliver_pending(app.db, sender, mail_from=app.settings.mail_from,
                                 reply_to=app.settings.reply_to)
    for b in built:
        click.echo(f"{label}: {b.subscriber}: " + (b.skipped or f"{b.changes} change(s)"))
    ok = [d for d in deliveries if d.ok]
    return Path(ok[-1].where) if ok else None


def _text_part(path: Path) -> str:
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = msg.get_body(preferencelist=("plain",))
    header = f"Subject: {msg['Subject']}\n\n"
    return header + (body.get_content() if body is not None else "")
