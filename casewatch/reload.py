"""Config changes without a restart: on SIGHUP, and when the files change (polled).

A new configuration is loaded and validated completely before anything changes; a broken edit is
reported once (one line per mistake, naming file and field) and the running configuration stays.
Crawl children read an accepted *snapshot* of the config folder, never the live one, so an edit
half-saved or broken on disk cannot break the crawls that run before it is fixed.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from casewatch.app import App
from config.schema import Config, ConfigError, load_config
from pipeline.store import repository as repo

log = logging.getLogger("casewatch.reload")


def fingerprint(directory: Path) -> str:
    """A hash of every YAML file under the config folder (names and bytes): changes when any does."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.y*ml")):
        if path.is_file():
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:  # removed between listing and reading: the next poll sees the result
                digest.update(b"<unreadable>")
            digest.update(b"\0")
    return digest.hexdigest()


def snapshot(directory: Path, into: Path) -> Path:
    """Copy the config folder's YAML files to a new folder under ``into``; return it.

    Owner-only modes whatever the umask: crawl children refuse a config others may write.
    """
    into.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="config-", dir=into))  # 0700
    for path in directory.rglob("*.y*ml"):
        if path.is_file():
            dest = target / path.relative_to(directory)
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            dest.chmod(0o600)
    return target


class ConfigWatcher:
    """Keeps ``app.config`` in step with the files; ``apply`` re-plans the scheduler's jobs."""

    def __init__(self, app: App, apply: Callable[[Config, Config], None], snapshots: Path) -> None:
        self.app, self.apply, self.snapshots = app, apply, snapshots
        self._lock = threading.Lock()
        self.accepted = fingerprint(app.config_dir)
        self.rejected: str | None = None
        self.snapshot_dir = snapshot(app.config_dir, snapshots)
        app.crawl_config_dir = self.snapshot_dir

    def check(self, *, forced: bool = False) -> bool | None:
        """Reload if the files changed (or ``forced``, on SIGHUP). True: reloaded; False: refused;
        None: nothing to do."""
        with self._lock:
            current = fingerprint(self.app.config_dir)
            if not forced and (current == self.accepted or current == self.rejected):
                return None
            from crawler.runner import spider_names

            try:
                new = load_config(self.app.config_dir, spiders=spider_names())
            except ConfigError as exc:
                self.rejected = current
                for line in exc.lines:
                    log.error("config edit refused: %s", line)
                log.error("still running the previous configuration; fix the files (or send SIGHUP to retry)")
                return False
            old = self.app.config
            with self.app.db.write() as session:
                now = datetime.now(UTC)
                repo.sync_sources(session, new.sources, now)
                repo.sync_subscribers(session, new.subscribers, now)
            previous_snapshot = self.snapshot_dir
            self.snapshot_dir = snapshot(self.app.config_dir, self.snapshots)
            self.app.__dict__["config"] = new  # App.config is a cached property: replace its value
            self.app.crawl_config_dir = self.snapshot_dir
            self.accepted, self.rejected = current, None
            self.apply(old, new)
            shutil.rmtree(previous_snapshot, ignore_errors=True)
            return True

    def close(self) -> None:
        shutil.rmtree(self.snapshot_dir, ignore_errors=True)
