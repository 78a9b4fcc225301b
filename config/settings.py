"""Runtime settings from the environment (never from committed files: secrets live here)."""

from __future__ import annotations

import re
import unicodedata
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError

_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
MIN_SECRET_CHARS = 16


class Settings(BaseSettings):
    """Everything an operator sets per machine; the YAML config says *what* to watch."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # Storage: SQLite file by default, PostgreSQL via DATABASE_URL.
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    var_dir: Path = Field(default=Path("var"), alias="CASEWATCH_VAR_DIR")

    # Mail: files in var/outbox unless SMTP_HOST is set.
    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_security: str = Field(default="starttls", alias="SMTP_SECURITY")  # starttls | tls | none
    smtp_timeout: float = Field(default=30.0, alias="SMTP_TIMEOUT")
    mail_from: str = Field(default="casewatch <casewatch@localhost>", alias="CASEWATCH_MAIL_FROM")
    # Where replies to a digest go (one address, "Name <a@b>" allowed); unset: no Reply-To header.
    reply_to: str | None = Field(default=None, alias="CASEWATCH_REPLY_TO")
    # Signs the unsubscribe links in digests (and, in `serve`, the session cookie). Unset: a random key
    # made once and kept in the database, so `digest`/`run` and `serve` on one database agree.
    secret_key: SecretStr | None = Field(default=None, alias="CASEWATCH_SECRET_KEY")

    # Seconds a sender's claim on an outbox row lasts (alerts.outbox.lease_from_env checks it against
    # SMTP_TIMEOUT, and names this variable in its messages); unset: 10 minutes.
    outbox_lease: str | None = Field(default=None, alias="CASEWATCH_OUTBOX_LEASE")

    # Crawling identity: sites should know who is reading them and how to reach us.
    contact: str = Field(default="https://github.com/casewatch/casewatch", alias="CASEWATCH_CONTACT")
    base_url: str = Field(default="http://127.0.0.1:8080", alias="CASEWATCH_BASE_URL")

    # Distributed crawling: set, crawls go to `casewatch worker`s through this Redis; the prefix keeps
    # several installations (or test runs) on one Redis apart; a worker's hold on a run lasts this long.
    redis_url: str | None = Field(default=None, alias="CASEWATCH_REDIS_URL")
    redis_prefix: str = Field(default="casewatch", alias="CASEWATCH_REDIS_PREFIX")
    worker_lease: float = Field(default=30.0, gt=0, alias="CASEWATCH_WORKER_LEASE")

    # The review page: "name:token" pairs, comma-separated, and the proxies whose X-Forwarded-For is
    # believed (casewatch.web.auth parses both, naming the entry that is wrong).
    reviewers: SecretStr = Field(default=SecretStr(""), alias="CASEWATCH_REVIEWERS")
    trusted_proxies: str = Field(default="", alias="CASEWATCH_TRUSTED_PROXIES")

    @field_validator("redis_url", "outbox_lease")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @field_validator("worker_lease", mode="before")
    @classmethod
    def _blank_lease(cls, value: object) -> object:
        return 30.0 if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_prefix")
    @classmethod
    def _default_prefix(cls, value: str) -> str:
        return value.strip() or "casewatch"

    @field_validator("reply_to")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        """Exactly one plain address: a header value, so no line breaks or other controls (no injection)."""
        value = (value or "").strip()
        if not value:
            return None
        if any(unicodedata.category(ch).startswith("C") for ch in value):
            raise ValueError("must be one email address on one line (control characters found)")
        addresses = [addr for _name, addr in getaddresses([value]) if addr]
        if len(addresses) != 1 or not _ADDRESS.fullmatch(addresses[0]):
            raise ValueError(f"must be exactly one email address like 'Equipo <equipo@example.org>', got {value!r}")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < MIN_SECRET_CHARS:
            raise ValueError(f"use at least {MIN_SECRET_CHARS} random characters")
        return SecretStr(value.get_secret_value().strip())

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'casewatch.db'}"


def read_settings() -> Settings:
    """The environment as it is now, or a ConfigError with one line per bad variable (its name, never
    its value's secret). For what is read when it is used (the outbox lease, the review page's logins)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError([f"{'.'.join(str(part) for part in err['loc'])}: "
                           f"{err['msg'].removeprefix('Value error, ')}" for err in exc.errors()]) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process (see read_settings)."""
    return read_settings()
