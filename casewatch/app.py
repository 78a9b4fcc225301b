"""The application context every command starts from: configuration, settings and the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from casewatch.hints import known
from config.schema import Config, Source, load_config
from config.settings import Settings, get_settings
from pipeline.store.session import Database, sqlite_folder
from pipeline.store.sources import sync_sources
from pipeline.store.subscribers import sync_subscribers


class UserError(Exception):
    """A mistake the user can fix (bad config, unknown source): shown as one line, exit code 1."""


@dataclass
class App:
    config_dir: Path
    db_url: str | None = None
    # What crawl children read: the scheduler points it at a snapshot of the last accepted config,
    # so a broken edit on disk never reaches them (casewatch.reload).
    crawl_config_dir: Path | None = None

    @cached_property
    def settings(self) -> Settings:
        return get_settings()

    @cached_property
    def config(self) -> Config:
        from crawler.runner import spider_checks

        return load_config(self.config_dir, spiders=spider_checks())

    @cached_property
    def database_url(self) -> str:
        return self.db_url or self.settings.resolved_database_url()

    @property
    def db_display(self) -> str:
        """The database for messages (no password), even when it cannot be opened; never raises."""
        from pipeline.store.session import display_url

        try:
            return display_url(self.database_url)
        except Exception:  # a bad setting: the error that reports it names the variable
            return "the database"

    @cached_property
    def db(self) -> Database:
        """The database, migrated to the newest schema and in step with the configuration."""
        # casewatch makes its own data folder (CASEWATCH_VAR_DIR) and nothing else: a SQLite file
        # elsewhere must be in an existing folder, or a typo would start an empty database there.
        folder = sqlite_folder(self.database_url)
        var = self.settings.var_dir.absolute()
        own = folder is not None and (folder.absolute() == var or var in folder.absolute().parents)
        database = Database(self.database_url, create_folder=own)
        database.upgrade()  # refuses a damaged SQLite file (PRAGMA quick_check) before writing to it
        with database.write() as session:
            now = datetime.now(UTC)
            sync_sources(session, self.config.sources, now)
            sync_subscribers(session, self.config.subscribers, now)
        return database

    def sources(self, ids: tuple[str, ...] | list[str], *, all_enabled: bool = False) -> list[Source]:
        """Resolve source ids (or all enabled sources) with a clear error for unknown ones."""
        if all_enabled or not ids:
            return list(self.config.enabled_sources)
        known_ids = {s.id: s for s in self.config.sources}
        unknown = [i for i in ids if i not in known_ids]
        if unknown:
            raise UserError(f"unknown source {', '.join(repr(u) for u in unknown)} {known(known_ids)}")
        return [known_ids[i] for i in ids]
