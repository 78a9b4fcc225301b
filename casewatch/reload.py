"""Config changes without a restart: on SIGHUP, and when the files change (polled).

A new configuration is loaded and validated completely before anything changes; a broken edit is
reported once (one line per mistake, naming file and field) and the running configuration stays. Files
that change while they are read (an editor still saving) are judged at the next poll, once they settle:
a verdict is kept only for the bytes it read.
Crawl children read an accepted *snapshot* of the config folder, never the live one, so an edit
half-saved or broken on disk cannot break the crawls that run before it is fixed. A snapshot is
leased by every child started from it and removed only when the last of them has ended: a reload
never deletes the folder under a crawl that is still starting.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from casewatch.app import App
from config.schema import Config, ConfigError, load_config
from pipeline.store.sources import sync_sources
from pipeline.store.subscribers import sync_subscribers

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
        self._leases: dict[Path, int] = {}  # snapshot -> children started from it and still running
        self._retired: set[Path] = set()  # replaced snapshots, removed when their last lease ends

    def check(self, *, forced: bool = False) -> bool | None:
        """Reload if the files changed (or ``forced``, on SIGHUP). True: reloaded; False: refused;
        None: nothing to do."""
        with self._lock:
            current = fingerprint(self.app.config_dir)
            if not forced and (current == self.accepted or current == self.rejected):
                return None
            from crawler.runner import spider_checks

            refused: ConfigError | None = None
            try:
                new = load_config(self.app.config_dir, spiders=spider_checks())
            except ConfigError as exc:
                refused = exc
            if fingerprint(self.app.config_dir) != current:  # caught mid-save: judge the files once they settle
                return None
            if refused is not None:
                self.rejected = current
                for line in refused.lines:
                    log.error("config edit refused: %s", line)
                log.error("still running the previous configuration; fix the files (or send SIGHUP to retry)")
                return False
            old = self.app.config
            with self.app.db.write() as session:
                now = datetime.now(UTC)
                sync_sources(session, new.sources, now)
                sync_subscribers(session, new.subscribers, now)
            previous_snapshot = self.snapshot_dir
            self.snapshot_dir = snapshot(self.app.config_dir, self.snapshots)
            self.app.__dict__["config"] = new  # App.config is a cached property: replace its value
            self.app.crawl_config_dir = self.snapshot_dir
            self.accepted, self.rejected = current, None
            self.apply(old, new)
            self._retire(previous_snapshot)
            return True

    @contextmanager
    def lease(self) -> Iterator[Path]:
        """The current snapshot, kept on disk until the ``with`` block (the child's life) ends."""
        with self._lock:
            folder = self.snapshot_dir
            self._leases[folder] = self._leases.get(folder, 0) + 1
        try:
            yield folder
        finally:
            with self._lock:
                self._leases[folder] -= 1
                if not self._leases[folder]:
                    del self._leases[folder]
                    if folder in self._retired:
                        self._retire(folder)

    def _retire(self, folder: Path) -> None:
        """Remove a replaced snapshot now, or when its last lease ends (caller holds the lock)."""
        if self._leases.get(folder):
            self._retired.add(folder)
            return
        self._retired.discard(folder)
        shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            for folder in {self.snapshot_dir, *self._retired}:
                shutil.rmtree(folder, ignore_errors=True)
