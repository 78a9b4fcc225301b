"""One source (an entry of ``sources.yaml``): a watched site or feed and how to read it."""

from __future__ import annotations

import hashlib
import json
import re
import ssl
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from config.context import CaseRefs
from config.fields import DEFAULT_TIMEZONE, ConfigModel, Id, Schedule, SourceKind, parse_schedule
from config.redact import redact_url
from config.urls import USERINFO_REFUSED, check_url


def _check_source_url(url: str, info: ValidationInfo) -> str:
    try:
        return check_url(url, allow_private=info.data.get("allow_private", False))
    except ValueError as exc:
        if str(exc) == USERINFO_REFUSED.format(url=repr(redact_url(url.strip()))):  # name the source too
            raise ValueError(f"source '{info.data.get('id', '?')}': {exc}") from None
        raise


def _check_ca_bundle(path: str, source_id: str) -> None:
    """A readable PEM bundle with at least one CA certificate, by absolute path (crawl children read
    a snapshot of the config folder, so a relative path would point elsewhere)."""
    if not Path(path).is_absolute():
        raise ValueError(f"source '{source_id}': CA bundle path must be absolute, not {path!r}")
    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise ValueError(f"source '{source_id}': CA bundle {path} not found") from None
    except OSError as exc:
        raise ValueError(f"source '{source_id}': CA bundle {path} cannot be read ({exc.strerror or exc})") from None
    except ssl.SSLError:
        raise ValueError(f"source '{source_id}': CA bundle {path} holds no PEM certificate") from None




class IgnoreRules(ConfigModel):
    """What never counts as a change: elements removed before extraction, text patterns removed after."""

    selectors: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {p!r}: {exc}") from None
        return patterns


MAX_CONCURRENCY = 32  # requests at a time one source may ask of a site


class Source(ConfigModel):
    """One watched site or feed; the spider family says how to read it."""

    id: Id
    name: str = Field(min_length=1)
    kind: SourceKind
    spider: str = Field(min_length=1)
    # true: any private/loopback host (tests, an intranet mirror); a list: only those hosts, so a
    # redirect cannot take the crawler elsewhere on the network. Declared before urls (checked there).
    allow_private: bool | tuple[str, ...] = False
    urls: tuple[Annotated[str, AfterValidator(_check_source_url)], ...]
    schedule: Schedule = Field(default_factory=lambda: Schedule(expression="1h"))
    enabled: bool = True
    follow: Literal["auto", "always", "never"] = "auto"
    scope: str | None = None
    ignore: IgnoreRules = IgnoreRules()
    cases: CaseRefs | None = None
    max_items: int | None = Field(default=None, gt=0)
    download_delay: float | None = Field(default=None, ge=0)  # seconds between requests; polite default 1
    # requests at a time to each of the source's sites, for sites that allow more; polite default 2
    concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)
    max_bytes: int | None = Field(default=None, gt=0)  # per-response size limit; default 32 MiB (settings)
    unhealthy_after: int = Field(default=3, ge=1)  # consecutive bad runs before maintainers hear of it
    params: dict[str, Any] = Field(default_factory=dict)
    # absolute path of a PEM CA bundle trusted for this source's hosts (a private CA); certificates are
    # always verified, this only says which CA vouches for the site (crawler/tls.py)
    tls_ca: str | None = None

    def config_sha(self) -> str:
        """Fingerprint of what shapes extraction: unchanged feeds are re-read when it changes."""
        shaping = self.model_dump(mode="json", include={"urls", "follow", "scope", "ignore", "cases", "max_items",
                                                        "params", "spider"})
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()

    @field_validator("tls_ca")
    @classmethod
    def _tls_ca(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _check_ca_bundle(value, str(info.data.get("id", "?")))
        return value

    @field_validator("urls")
    @classmethod
    def _some_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Not Field(min_length=1): pydantic would add a second, confusing line after a bad URL.
        if not value:
            raise ValueError("at least one URL is required")
        return value

    @model_validator(mode="before")
    @classmethod
    def _timezone(cls, data: Any) -> Any:
        """YAML writes ``timezone`` next to ``schedule``; it belongs inside the Schedule."""
        if isinstance(data, dict) and "timezone" in data:
            data = dict(data)
            timezone = data.pop("timezone")
            schedule = data.get("schedule", "1h")
            if not isinstance(schedule, Schedule):
                data["schedule"] = {"expression": schedule, "timezone": timezone}
        return data

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        # Parsed here (not in the model validator) so that errors carry the path ``sources[N].schedule``.
        if isinstance(value, Schedule):
            return value
        if isinstance(value, dict) and "expression" in value and set(value) <= {"expression", "timezone"}:
            return parse_schedule(value["expression"], value.get("timezone", DEFAULT_TIMEZONE))
        return parse_schedule(value)


