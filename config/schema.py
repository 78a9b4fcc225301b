"""What to watch: cases, sources and subscribers, loaded from YAML with one clear line per mistake.

Every error names the file and the field path (``config/sources.yaml: sources[3].schedule: ...``) so
that a maintainer editing YAML by hand never has to read a traceback.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.cron import check_cron
from config.files import ConfigFileError, check_not_writable_by_others, read_limited_yaml
from config.redact import redact, redact_url
from textkit import LIMA_TZ

SourceKind = Literal[
    "prosecutor", "court", "congress", "gazette", "iachr", "un", "ombudsman", "ngo", "news", "aggregator"
]
MilestoneType = Literal[
    "complaint", "constitutional_complaint", "preliminary_investigation", "investigation_extended",
    "formal_investigation", "indictment", "hearing", "trial", "ruling", "coercive_measure", "archived",
    "testimony", "forensic", "report", "precautionary_measure", "statement", "institutional",
    "legislation", "appeal",
]
MILESTONE_TYPES: tuple[str, ...] = MilestoneType.__args__  # type: ignore[attr-defined]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_TIMEZONE = LIMA_TZ


class ConfigError(Exception):
    """A configuration mistake; ``lines`` holds one human-readable line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Model):
    """Either an interval (``30m``, ``2h``, ``1d``) or a five-field cron expression."""

    expression: str
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @property
    def interval(self) -> timedelta | None:
        m = _INTERVAL.match(self.expression)
        return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))}) if m else None


def parse_schedule(value: str, timezone: str = DEFAULT_TIMEZONE) -> Schedule:
    """Validate a schedule string; raises ValueError with the message users see."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("schedule must be an interval like '30m' or a cron expression like '0 7 * * *'")
    _check_timezone(timezone)
    if m := _INTERVAL.match(value):
        if int(m.group(1)) <= 0:
            raise ValueError(f"interval must be positive: '{value}'")
        return Schedule(expression=value.strip(), timezone=timezone)
    try:
        check_cron(value.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid cron expression '{value}' ({exc})") from None
    return Schedule(expression=value.strip(), timezone=timezone)


PrivateAllowance = bool | tuple[str, ...]  # allow_private: every private host, or only these hosts


def private_allowed(allow: PrivateAllowance, host: str) -> bool:
    """Whether a source's ``allow_private`` lets it reach ``host`` (a list names exact hosts)."""
    if isinstance(allow, bool):
        return allow
    return host.strip("[]").lower() in {h.strip("[]").lower() for h in allow}


USERINFO_REFUSED = ("URL must not contain a user name or password ({url}): casewatch reads public pages, "
                    "and a URL is shown in logs, the review page and the API; remove the part before '@'")


def has_userinfo(url: str) -> bool:
    """Whether an absolute URL carries ``user@`` or ``user:password@`` before its host."""
    return "@" in urlsplit(url.strip()).netloc


def check_url(url: str, *, allow_private: PrivateAllowance = False) -> str:
    """Only http(s) URLs with a host and no credentials; no private or loopback hosts unless explicitly
    allowed. Messages show the URL without its credentials."""
    if not isinstance(url, str) or "\\" in url or any(c.isspace() for c in url.strip()):
        raise ValueError(f"invalid URL {redact_url(str(url))!r}")
    parts = urlsplit(url.strip())
    shown = redact_url(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"only http and https URLs are allowed, not {shown!r}")
    if "@" in parts.netloc:
        raise ValueError(USERINFO_REFUSED.format(url=repr(shown)))
    host = parts.hostname
    if not host:
        raise ValueError(f"URL has no host: {shown!r}")
    if not private_allowed(allow_private, host) and is_private_host(host):
        raise ValueError(
            f"URL points to a private or loopback address: {shown!r} (set allow_private: true to allow it)"
        )
    return url.strip()


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit "
                         f"(got {value!r})")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"invalid email address {value!r}")
    return value


def _check_source_url(url: str, info: ValidationInfo) -> str:
    try:
        return check_url(url, allow_private=info.data.get("allow_private", False))
    except ValueError as exc:
        if str(exc) == USERINFO_REFUSED.format(url=repr(redact_url(url.strip()))):  # name the source too
            raise ValueError(f"source '{info.data.get('id', '?')}': {exc}") from None
        raise


def _userinfo_lines(value: Any, path: str, source_id: str | None) -> list[str]:
    """``path: message`` for every string under ``value`` that is a URL with credentials (params, feeds ...);
    ``source_id`` is named in the message (None under ``defaults``)."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _userinfo_lines(v, f"{path}.{k}", source_id)]
    if isinstance(value, list | tuple):
        return [line for i, v in enumerate(value) for line in _userinfo_lines(v, f"{path}[{i}]", source_id)]
    try:
        if isinstance(value, str) and has_userinfo(value):
            named = f"source '{source_id}': " if source_id is not None else ""
            return [f"{path}: {named}{USERINFO_REFUSED.format(url=repr(redact_url(value)))}"]
    except ValueError:  # urlsplit: an unbalanced '[' is no URL with credentials
        pass
    return []


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


Id = Annotated[str, AfterValidator(_check_id)]
Email = Annotated[str, AfterValidator(_check_email)]


# IPv6 prefixes whose last 32 bits are an IPv4 address (RFC 6052 NAT64, its local-use /48, RFC 6145
# IPv4-translated); ::/96 is the deprecated IPv4-compatible form (::127.0.0.1).
_EMBEDDING_PREFIXES = tuple(ipaddress.IPv6Network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96", "::/96"))


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo client), if any.

    Such an address reaches that IPv4 host (through the kernel, a NAT64 gateway or a tunnel), so it is
    judged by it: ``::ffff:127.0.0.1`` and ``64:ff9b::a9fe:a9fe`` are loopback and link-local.
    """
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]  # (server, client): the client is where the traffic goes
    if any(addr in net for net in _EMBEDDING_PREFIXES):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address, including the legacy IPv4 forms resolvers accept (127.1, 0x7f.1, 2130706433)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_private_host(host: str) -> bool:
    """True for literal private/loopback/link-local addresses (IPv4 embedded in IPv6 included) and
    localhost names."""
    host = host.strip("[]").lower().rstrip(".").split("%", 1)[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    addr = _ip_literal(host)
    if addr is None:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and (v4 := embedded_ipv4(addr)) is not None:
        return not v4.is_global
    return not addr.is_global


class IgnoreRules(_Model):
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


class Source(_Model):
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
    cases: tuple[str, ...] | None = None
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


class Term(_Model):
    """A keyword or phrase; weights let a victim's full name count more than the word 'Puno'."""

    term: str = Field(min_length=2)
    weight: float = Field(default=1.0, gt=0)


class Actor(_Model):
    """A person or institution of the case: named as an actor of the milestones a text reports."""

    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    role: str = ""  # victim | relative | lawyer | prosecutor | judge | official | police | ngo | ...


class CaseNumber(_Model):
    """An identifier of the case in an institution's records (carpeta fiscal, expediente, ...)."""

    kind: Literal["carpeta_fiscal", "denuncia_constitucional", "expediente", "resolucion", "proyecto_de_ley",
                  "informe", "medida_cautelar", "other"]
    value: str = Field(min_length=1)  # as written, e.g. "023-2023", "509", "13048/2025-CR"
    aliases: tuple[str, ...] = ()
    label: str = ""  # a human description: "Carpeta fiscal del Equipo Especial (EFICAVIP)"


class NearRule(_Model):
    """Words that count only when close together: "Juliaca" within 12 words of "fiscal"."""

    terms: tuple[str, ...] = Field(min_length=2)
    within: int = Field(default=12, ge=1, le=200)  # words between the first and the last
    weight: float = Field(default=1.0, gt=0)


class RelatedCase(_Model):
    """A look-alike case (same place, other year; same kind of event, other region): a text matching
    it is tagged as related, and counted as the look-alike's rather than this case's when it names this
    case by no term weighing ``needs`` (or its headline names the look-alike and no such term)."""

    id: Id
    name: str = Field(min_length=1)
    phrases: tuple[str, ...] = Field(min_length=1)
    # The weight one matched term of this case must have for such a text to stay this case's:
    # default the threshold (a decisive term: the event's name, a victim); 2.5 lets "Juliaca"
    # keep a text naming both the Ayacucho and the Juliaca deaths.
    needs: float | None = Field(default=None, gt=0)


class Case(_Model):
    """A legal case to follow and how to recognise documents about it."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    threshold: float = Field(default=3.0, gt=0)
    terms: tuple[Term, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    near: tuple[NearRule, ...] = ()
    related: tuple[RelatedCase, ...] = ()
    people: tuple[Actor, ...] = ()
    institutions: tuple[Actor, ...] = ()
    case_numbers: tuple[CaseNumber, ...] = ()
    event_date: date | None = None  # when it happened (the timeline's first entry)

    @field_validator("terms", mode="before")
    @classmethod
    def _strings_are_terms(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"term": v} if isinstance(v, str) else v for v in value]
        return value


class Subscriber(_Model):
    """Who gets digests, in which language, about which cases, how often."""

    email: Email
    name: str = ""
    language: Literal["es", "en"] = "es"
    cases: tuple[str, ...] = Field(min_length=1)
    frequency: Literal["immediate", "daily", "weekly"] = "daily"
    at: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    want: Literal["milestones", "all"] = "all"
    source_kinds: tuple[SourceKind, ...] | None = None
    quiet_weeks: bool = False  # a weekly "nothing new, still watching N sources" when a week was empty
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 07:00 as the sexagesimal number 420.
            raise ValueError(f'write the time in quotes, like "07:00" (YAML read {value!r})')
        if isinstance(value, str) and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ValueError(f'expected a 24-hour time like "07:00" (got {value!r})')
        return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown timezone '{value}'") from None
    return value


def parse_duration(value: Any) -> timedelta:
    """``"14d"``, ``"12h"``, ``"30m"`` or ``"45s"`` as a positive timedelta (ValueError says what is wrong)."""
    m = _INTERVAL.match(value) if isinstance(value, str) else None
    if m is None or int(m.group(1)) <= 0:
        raise ValueError(f"expected a duration like '14d', '12h' or '30m' (got {value!r})")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


Duration = Annotated[timedelta, BeforeValidator(lambda v: v if isinstance(v, timedelta) else parse_duration(v))]


class RevisitStep(_Model):
    """Documents younger than ``younger_than`` (since first seen) are re-checked ``every``; the last
    step has no age limit."""

    younger_than: Duration | None = None
    every: Duration


DEFAULT_REVISIT = (RevisitStep(younger_than=timedelta(days=14), every=timedelta(days=1)),
                   RevisitStep(younger_than=timedelta(days=90), every=timedelta(days=7)),
                   RevisitStep(every=timedelta(days=30)))


class SchedulerSettings(_Model):
    """How `casewatch run` runs crawls (sources.yaml ``scheduler:``); chosen for a small server."""

    max_parallel_crawls: int = Field(default=2, ge=1, le=32)  # crawl processes at once (K)
    crawl_time_limit: int = Field(default=1200, ge=5)  # seconds; a crawl still running is killed
    jitter: int = Field(default=30, ge=0)  # seconds of random delay, so sources do not start together
    # Known documents a listing no longer shows are fetched again on a decaying schedule (edits and
    # removals happen mostly in the first days); pinned documents at every crawl of their source.
    revisit: tuple[RevisitStep, ...] = Field(default=DEFAULT_REVISIT, min_length=1)
    revisit_max_per_crawl: int = Field(default=100, ge=0)  # oldest-checked first; the rest wait a crawl
    # Daily housekeeping (local time, America/Lima): retention, outbox retries, VACUUM/ANALYZE.
    housekeeping_at: str = Field(default="03:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # Raw bodies of documents that never concerned any case are dropped after this long (their
    # hashes, texts and metadata stay); null keeps every raw body forever.
    raw_retention: Duration | None = timedelta(days=180)
    config_poll: int = Field(default=30, ge=1)  # seconds between checks of the config files for edits

    @field_validator("revisit")
    @classmethod
    def _steps_in_order(cls, steps: tuple[RevisitStep, ...]) -> tuple[RevisitStep, ...]:
        ages = [s.younger_than for s in steps]
        if ages[-1] is not None or any(a is None for a in ages[:-1]):
            raise ValueError("only the last step may (and must) omit younger_than")
        if any(b <= a for a, b in zip(ages[:-2], ages[1:-1], strict=False)):  # type: ignore[operator]
            raise ValueError("younger_than must grow from one step to the next")
        return steps

    @field_validator("housekeeping_at", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f'write the time in quotes, like "03:30" (YAML read {value!r})')
        return value


# Legal steps that warrant an email within the crawl cycle that found them (digest.immediate).
IMMEDIATE_MILESTONES: tuple[str, ...] = ("constitutional_complaint", "formal_investigation", "indictment", "ruling",
                                         "archived", "precautionary_measure", "institutional")


class Config(_Model):
    """The whole configuration directory, validated and cross-checked."""

    directory: Path
    cases: dict[str, Case]
    sources: tuple[Source, ...]
    subscribers: tuple[Subscriber, ...] = ()
    maintainers: tuple[str, ...] = ()
    immediate_milestones: tuple[str, ...] = IMMEDIATE_MILESTONES
    scheduler: SchedulerSettings = SchedulerSettings()

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)


# ---------------------------------------------------------------------------------------------
# Loading


def _path(loc: Iterable[Any], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-wrap") or str(part).startswith(
            ("function-", "literal[", "constrained-str")
        ):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    value = err.get("input")
    if kind not in ("value_error", "assertion_error") and isinstance(value, str | int | float | bool):
        msg += f" (got {value!r})"  # scalars only: a whole mapping would not fit on one line
    return msg


def _validation_lines(file: str, exc: ValidationError, prefix: str) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if p != "__root__"]
        field = _path(loc, prefix)
        message = redact(_message(err), secrets=())  # "(got ...)" may echo a URL with credentials
        lines.append(f"{file}: {field}: {message}" if field else f"{file}: {message}")
    return lines


def _read_yaml(path: Path, display: str, errors: list[str]) -> Any:
    if refused := check_not_writable_by_others(path):
        errors.append(f"{display}: {refused}")
        return None
    try:
        return read_limited_yaml(path)
    except FileNotFoundError:
        errors.append(f"{display}: file not found")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{display}: cannot read: {exc}")
        return None
    except ConfigFileError as exc:
        errors.append(f"{display}: {exc}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(f"{display}: {where}YAML syntax error: {problem}")
        return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _defaults(value: Any, disp: str, errors: list[str]) -> dict[str, Any]:
    """The ``defaults`` mapping, checked once here rather than reported again for every source."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(f"{disp}: defaults: expected a mapping")
        return {}
    allowed = (set(Source.model_fields) | {"timezone"}) - {"id", "name", "urls"}
    out = {}
    for key, item in value.items():
        if key not in allowed:
            errors.append(f"{disp}: defaults.{key}: unknown field")
            continue
        if key == "timezone":
            try:
                _check_timezone(item)
            except ValueError as exc:
                errors.append(f"{disp}: defaults.timezone: {exc}")
                continue
        out[key] = item
    return out


def _maintainers(value: Any, disp: str, errors: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{disp}: maintainers: expected a list of email addresses")
        return []
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_check_email(item if isinstance(item, str) else repr(item)))
        except ValueError as exc:
            errors.append(f"{disp}: maintainers[{i}]: {exc}")
    return out


ParamsCheck = Callable[["Source"], object]  # a spider family's check of a source's params: ValueError if wrong


def params_errors(check: ParamsCheck, source: Source) -> list[str]:
    """The one-line reason ``source``'s params are wrong for its spider family (naming the source and the
    field, e.g. "source 'x': params.match: ..."), or nothing."""
    try:
        check(source)
    except ValueError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [message if source.id in message else f"source '{source.id}': {message}"]
    return []


def load_config(directory: str | Path, *, spiders: Iterable[str] | Mapping[str, ParamsCheck | None] | None = None,
                ) -> Config:
    """Load ``cases/*.yaml``, ``sources.yaml`` and ``subscribers.yaml`` (or the example) from a folder.

    Raises ConfigError listing every problem found, each on one line naming file and field.
    ``spiders`` is the set of spider names that exist; sources naming another are rejected. As a
    mapping, each name's value checks an enabled source's ``params`` for that spider family (the
    family's params model, e.g. ``crawler.runner.spider_checks``): a wrong param is a load error, not
    a crawl-time one.
    """
    root = Path(directory)
    errors: list[str] = []
    if not root.is_dir():
        raise ConfigError([f"{_display(root)}: configuration directory not found"])
    for folder in (root, root / "cases"):
        if refused := check_not_writable_by_others(folder):
            errors.append(f"{_display(folder)}: {refused}")

    cases: dict[str, Case] = {}
    broken: set[str] = set()  # ids of case files that failed: no "unknown case" echo of their error
    case_files = sorted((root / "cases").glob("*.yaml")) if (root / "cases").is_dir() else []
    if not case_files:
        errors.append(f"{_display(root / 'cases')}: no case files (*.yaml) found")
    for path in case_files:
        disp = _display(path)
        reported = len(errors)
        data = _read_yaml(path, disp, errors)
        if data is None:
            if len(errors) > reported:  # refused or unreadable: no "unknown case" echo of it elsewhere
                broken.add(path.stem)
            continue
        if not isinstance(data, dict):
            errors.append(f"{disp}: expected a mapping with id, name, terms")
            continue
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            errors.extend(_validation_lines(disp, exc, ""))
            broken.update({str(data.get("id") or ""), path.stem})
            continue
        if case.id in cases:
            errors.append(f"{disp}: id: duplicate case id '{case.id}'")
        cases[case.id] = case

    sources: list[Source] = []
    maintainers: list[str] = []
    immediate = IMMEDIATE_MILESTONES
    scheduler = SchedulerSettings()
    src_path = root / "sources.yaml"
    disp = _display(src_path)
    data = _read_yaml(src_path, disp, errors)
    if data is not None:
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            errors.append(f"{disp}: sources: expected a list of sources")
        else:
            defaults = _defaults(data.get("defaults"), disp, errors)
            errors.extend(f"{disp}: {line}" for line in _userinfo_lines(defaults, "defaults", None))
            unknown = set(data) - {"sources", "defaults", "maintainers", "digest", "scheduler"}
            for key in sorted(unknown):
                errors.append(f"{disp}: {key}: unknown field")
            maintainers = _maintainers(data.get("maintainers"), disp, errors)
            if data.get("scheduler") is not None:
                try:
                    scheduler = SchedulerSettings.model_validate(data["scheduler"])
                except ValidationError as exc:
                    errors.extend(_validation_lines(disp, exc, "scheduler"))
            digest = data.get("digest") or {}
            if not isinstance(digest, dict):
                errors.append(f"{disp}: digest: expected a mapping with immediate")
                digest = {}
            for key in sorted(set(digest) - {"schedule", "immediate"}):
                errors.append(f"{disp}: digest.{key}: unknown field")
            if "schedule" in digest:  # before per-subscriber times, one cron line set every digest's time
                errors.append(f"{disp}: digest.schedule: no longer used: each subscriber's `at` and `timezone` "
                              "(subscribers.yaml) set when their digest is sent; remove this line")
            if "immediate" in digest:
                types = digest["immediate"]
                if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                    errors.append(f"{disp}: digest.immediate: expected a list of milestone types")
                else:
                    for j, t in enumerate(types):
                        if t not in MILESTONE_TYPES:
                            errors.append(f"{disp}: digest.immediate[{j}]: unknown milestone type '{t}' "
                                          f"(known: {', '.join(sorted(MILESTONE_TYPES))})")
                    immediate = tuple(types)
            seen: dict[str, int] = {}
            known = set(spiders) if spiders is not None else None
            checks: Mapping[str, ParamsCheck | None] = spiders if isinstance(spiders, Mapping) else {}
            for i, raw in enumerate(data["sources"]):
                where = f"sources[{i}]"
                if not isinstance(raw, dict):
                    errors.append(f"{disp}: {where}: expected a mapping")
                    continue
                merged = {**defaults, **raw}
                source_id = str(raw.get("id", "?"))
                errors.extend(f"{disp}: {line}" for line in _userinfo_lines(
                    {k: v for k, v in raw.items() if k != "urls"}, where, source_id))
                try:
                    src = Source.model_validate(merged)
                except ValidationError as exc:
                    errors.extend(_validation_lines(disp, exc, where))
                    continue
                if src.id in seen:
                    errors.append(f"{disp}: {where}.id: duplicate source id '{src.id}' (also sources[{seen[src.id]}])")
                seen[src.id] = i
                # A disabled source may name a spider that does not exist yet (planned work).
                if known is not None and src.enabled and src.spider not in known:
                    errors.append(
                        f"{disp}: {where}.spider: unknown spider '{src.spider}' (known: {', '.join(sorted(known))})"
                    )
                elif src.enabled and (check := checks.get(src.spider)) is not None:
                    errors.extend(f"{disp}: {where}: {line}" for line in params_errors(check, src))
                for j, case_id in enumerate(src.cases or ()):
                    if cases and case_id not in cases and case_id not in broken:
                        errors.append(f"{disp}: {where}.cases[{j}]: unknown case '{case_id}'")
                sources.append(src)

    subscribers: list[Subscriber] = []
    sub_path = root / "subscribers.yaml"
    if not sub_path.exists():
        sub_path = root / "subscribers.example.yaml"
    if sub_path.exists():
        disp = _display(sub_path)
        data = _read_yaml(sub_path, disp, errors)
        if data is not None:
            if not isinstance(data, dict) or not isinstance(data.get("subscribers", []), list):
                errors.append(f"{disp}: subscribers: expected a list of subscribers")
            else:
                for key in sorted(set(data) - {"subscribers", "maintainers"}):
                    errors.append(f"{disp}: {key}: unknown field")
                emails: set[str] = set()
                for i, raw in enumerate(data.get("subscribers") or []):
                    where = f"subscribers[{i}]"
                    try:
                        sub = Subscriber.model_validate(raw)
                    except ValidationError as exc:
                        errors.extend(_validation_lines(disp, exc, where))
                        continue
                    if sub.email.lower() in emails:
                        errors.append(f"{disp}: {where}.email: duplicate subscriber '{sub.email}'")
                    emails.add(sub.email.lower())
                    for j, case_id in enumerate(sub.cases):
                        if cases and case_id not in cases and case_id not in broken:
                            errors.append(f"{disp}: {where}.cases[{j}]: unknown case '{case_id}'")
                    subscribers.append(sub)
                maintainers += _maintainers(data.get("maintainers"), disp, errors)

    if errors:
        raise ConfigError(errors)
    return Config(
        directory=root,
        cases=cases,
        sources=tuple(sources),
        subscribers=tuple(subscribers),
        maintainers=tuple(maintainers),
        immediate_milestones=immediate,
        scheduler=scheduler,
    )
