"""Runtime settings from the environment (never from committed files: secrets live here)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # Crawling identity: sites should know who is reading them and how to reach us.
    contact: str = Field(default="https://github.com/casewatch/casewatch", alias="CASEWATCH_CONTACT")
    base_url: str = Field(default="http://127.0.0.1:8080", alias="CASEWATCH_BASE_URL")

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'casewatch.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
