"""SIGKILL during a crawl leaves no half state, and the next crawl completes normally (both databases).

A slow local site serves ~40 pages; after the first few pages it holds every further answer until the
test releases it, so the crawl is guaranteed to be unfinished (and still writing) when it is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.store.models import Change, CrawlRun, Document, Version
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env, run_cli, wait_for
from tests.support.httpserver import LocalHTTPServer, Route

PAGES = 40
SERVED_BEFORE_HOLD = 12  # pages answered before the site starts holding its answers
LATENCY = 0.1  # seconds each page takes to answer
SOURCE = "lento"


class SlowSite:
    """Pages that answer after LATENCY; once ``hold_after`` pages were served, answers wait for ``release``."""

    def __init__(self, hold_after: int):
        self.hold_after = hold_after
        self.released = threading.Event()
        self.served = 0
        self._lock = threading.Lock()
        self.server = LocalHTTPServer()
        # Answers held while the crawler was killed meet a closed socket: expected, not worth a traceback.
        default_handler = self.server._server.handle_error
        self.server._server.handle_error = lambda request, address: (  # type: ignore[method-assign]
            None if isinstance(sys.exc_info()[1], ConnectionError) else default_handler(request, address))
        for i in range(PAGES):
            self.server.set_route(f"/comunicados/{i}/", self._page(i))

    def _page(self, i: int) -> Callable[[str], Route]:
        body = (f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Comunicado {i}</title></head>"
                f"<body><main><article><h1>Comunicado {i}</h1><p>La fiscalía informa sobre el expediente {i} "
                f"de la investigación por las muertes en Juliaca.</p></article></main></body></html>").encode()

        def answer(_path: str) -> Route:
            with self._lock:
                self.served += 1
                hold = self.served > self.hold_after
            if hold:
                self.released.wait(timeout=60)
            time.sleep(LATENCY)  # the slow site itself, not a wait in the test
            return Route(200, body, {"Content-Type": "text/html; charset=utf-8"})

        return answer

    def urls(self) -> list[str]:
        return [self.server.url(f"/comunicados/{i}/") for i in range(PAGES)]


@pytest.fixture
def site() -> Iterator[SlowSite]:
    slow = SlowSite(SERVED_BEFORE_HOLD)
    with slow.server:
        yield slow
        slow.released.set()


def _config(tmp: Path, urls: list[str]) -> Path:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    url_lines = "".join(f"      - {u}\n" for u in urls)
    (config / "sources.yaml").write_text(f"""sources:
  - id: {SOURCE}
    name: Fiscalía lenta (local)
    kind: prosecutor
    spider: page
    urls:
{url_lines}    scope: main
    allow_private: true
    download_delay: 0
""", encoding="utf-8")
    return config


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(Version)) or 0,
                s.scalar(select(func.count()).select_from(Change)) or 0)


def _assert_versions_and_changes_pair_up(db: Database) -> None:
    with db.read() as s:
        versions = set(s.scalars(select(Version.id)))
        changes = s.execute(select(Change.id, Change.kind, Change.to_version_id)).all()
        docs = set(s.scalars(select(Document.id)))
        docs_with_version = set(s.scalars(select(Version.document_id)))
    per_version: dict[int, int] = {}
    for _id, kind, to_version in changes:
        if kind != "removed":
            assert to_version is not None, f"{kind} change {_id} has no version"
            assert to_version in versions, f"change {_id} points at missing version {to_version}"
        if to_version is not None:
            per_version[to_version] = per_version.get(to_version, 0) + 1
    assert per_version == dict.fromkeys(versions, 1), "every version needs exactly one change"
    assert docs == docs_with_version, "a document was stored without any version"


@pytest.mark.slow
def test_sigkill_mid_crawl_leaves_no_half_state(db_url: str, tmp_path: Path, site: SlowSite) -> None:
    config = _config(tmp_path, site.urls())
    cli = ("--config", str(config), "--db", db_url)
    init = run_cli(*cli, "init")
    assert init.returncode == 0, init.stderr
    db = Database(db_url)
    try:
        with (tmp_path / "crawl1.log").open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "casewatch", *cli, "crawl"], cwd=ROOT,
                                    env=child_env(tmp_path / "var"), stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: _counts(db)[0] >= 3, proc=proc, timeout=60, what="a few stored versions")
                os.kill(proc.pid, signal.SIGKILL)
                assert proc.wait(timeout=10) == -signal.SIGKILL
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        site.released.set()

        versions, changes = _counts(db)
        assert 3 <= versions < PAGES and changes == versions
        _assert_versions_and_changes_pair_up(db)
        with db.read() as s:
            [killed] = s.scalars(select(CrawlRun)).all()
        assert (killed.status, killed.finished_at, killed.pid) == ("running", None, proc.pid)

        again = run_cli(*cli, "crawl", env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")})
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Traceback" not in again.stderr

        with db.read() as s:
            runs = {r.id: r for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))}
            urls = list(s.scalars(select(Document.url)))
            change_rows = s.execute(select(Document.url, Change.kind).join(Change.document)).all()
            version_urls = list(s.scalars(select(Document.url).join(Version, Version.document_id == Document.id)))
        assert len(runs) == 2
        old, new = runs[killed.id], next(r for i, r in runs.items() if i != killed.id)
        assert old.status == "failed" and old.finished_at is not None
        assert old.error and "interrupted" in old.error
        assert new.status == "ok" and new.finished_at is not None and new.errors == 0, new.error
        # Pages stored before the kill answer with the same bytes: checksum hits, not extracted again.
        assert (new.new, new.unchanged, new.updated) == (PAGES - versions, versions, 0)
        assert new.items == PAGES - versions

        # Nothing twice: one document, one version and one 'new' change per URL.
        expected = sorted(site.urls())
        assert sorted(urls) == expected
        assert sorted(version_urls) == expected
        assert sorted(change_rows) == [(u, "new") for u in expected]
        _assert_versions_and_changes_pair_up(db)
    finally:
        db.dispose()


@pytest.mark.slow
def test_sigkill_of_the_scheduler_mid_crawl_then_restart(db_url: str, tmp_path: Path, site: SlowSite) -> None:
    """SIGKILL of `casewatch run` itself: its crawl child dies too (no orphan keeps writing), the
    restarted scheduler closes the interrupted run as failed, nothing is stored twice, one digest goes out."""
    config = _config(tmp_path, site.urls())
    (config / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: familias@example.org, cases: [juliaca-2023]}\n", encoding="utf-8")
    cli = ("--config", str(config), "--db", db_url)
    assert run_cli(*cli, "init").returncode == 0
    db = Database(db_url)
    env = child_env(tmp_path / "var")
    try:
        with (tmp_path / "run1.log").open("wb") as log:
            scheduler = subprocess.Popen([sys.executable, "-m", "casewatch", *cli, "run"], cwd=ROOT, env=env,
                                         stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _counts(db)[0] >= 3, proc=scheduler, timeout=60, what="a few stored versions",
                     log=tmp_path / "run1.log")
            with db.read() as s:
                [running] = s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
            child = running.pid
            os.kill(scheduler.pid, signal.SIGKILL)
            scheduler.wait(timeout=10)
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
                scheduler.wait()

        def gone() -> bool:
            """Exited (a zombie waiting for a reaper counts: it runs no code and holds no lock)."""
            try:
                state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, IndexError):
                return True
            return state in ("Z", "X")

        deadline = time.monotonic() + 30
        while not gone() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert gone(), "the crawl child outlived its scheduler"
        site.released.set()

        with (tmp_path / "run2.log").open("wb") as log:
            again = subprocess.Popen([sys.executable, "-m", "casewatch", *cli, "run"], cwd=ROOT, env=env,
                                     stdout=log, stderr=subprocess.STDOUT)
        try:
            def finished() -> list[CrawlRun] | None:
                with db.read() as s:
                    runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
                return runs if len(runs) == 2 and all(r.status != "running" for r in runs) else None

            first, second = wait_for(finished, proc=again, timeout=90, what="the restarted crawl",
                                     log=tmp_path / "run2.log")
        finally:
            again.send_signal(signal.SIGTERM)
            again.wait(timeout=30)
        assert first.status == "failed" and first.finished_at is not None, (first.status, first.error)
        assert "interrupted" in (first.error or "")
        assert second.status == "ok", second.error
        versions, changes = _counts(db)
        assert versions == changes == PAGES  # one version and one 'new' change per page, never two
        _assert_versions_and_changes_pair_up(db)
        sent = [run_cli(*cli, "digest", env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")}) for _ in range(2)]
        assert all(r.returncode == 0 for r in sent)
        from pipeline.store.models import Digest

        with db.read() as s:
            assert len(s.scalars(select(Digest).where(Digest.kind == "digest")).all()) == 1
    finally:
        db.dispose()
