"""`casewatch export`: the stored evidence as standard WARC files, and the change log as JSON or CSV.

WARC (ISO 28500, WARC/1.0, one gzip member per record, readable by warcio, pywb, wayback tools):
a ``warcinfo`` record, then per stored version a ``request`` (a synthesized GET of the fetched URL:
request headers are not stored), a ``response`` (status line, the stored response headers, the stored
body) and a ``metadata`` record (JSON: casewatch ids, hashes, validators, the changes that touch the
version), linked by WARC-Concurrent-To. A version whose raw body was pruned gets the metadata record
only, saying so, with the sha256 that still proves what was fetched.

Digests are written as ``sha256:<hex>``: the payload digest is the stored ``Version.raw_sha256``
itself (so a reader compares it with the database by eye, and a stored body that no longer matches
its hash fails ``warcio check``); warcio accepts hex as well as base32 (it re-encodes any value longer
than the base32 form from base16 before comparing). The block digest covers HTTP headers and body.

Scrapy decodes ``Content-Encoding`` (gzip, br) and chunked transfer before a body is stored, so the
stored headers describe bytes we do not have: a WARC reader seeing ``Content-Encoding: gzip`` would
try to gunzip the stored (plain) body. They are written renamed (``X-Casewatch-Original-*``: kept as
evidence, inert for readers) and ``Content-Length`` is set to the stored body's length.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from casewatch.serialize import change_json, iso
from pipeline.store.bodies import raw_bytes
from pipeline.store.evidence import (
    EvidenceFilter,
    change_ids_by_version,
    evidence_changes,
    evidence_version_ids,
    versions_by_ids,
)
from pipeline.store.models import Change, Version
from pipeline.store.session import Database
from pipeline.store.stories import stories_by_id

# Headers that describe the transfer, not the stored (already decoded) body: renamed, see above.
RENAMED_HEADERS = frozenset({"content-encoding", "transfer-encoding"})
RENAMED_PREFIX = "X-Casewatch-Original-"
BATCH = 50  # versions loaded at once (raw bodies can be large)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula
CSV_FIELDS = ("id", "kind", "detected_at", "source", "source_kind", "url", "title", "published_at", "cases",
              "relevance", "matched_terms", "milestones", "summary", "version_sha256", "related_cases", "story",
              "document_id", "from_version_id", "from_version_sha256", "from_raw_sha256", "from_fetched_at",
              "to_version_id", "to_version_sha256", "to_raw_sha256", "to_fetched_at", "diff")


def _software() -> str:
    try:
        return f"casewatch/{package_version('casewatch')}"
    except PackageNotFoundError:  # pragma: no cover - running from a checkout that was never installed
        return "casewatch"


# ------------------------------------------------------------------------------ WARC


@dataclass
class WarcSummary:
    """What an export wrote: versions with their body, versions with metadata only (pruned)."""

    path: str
    responses: int = 0
    pruned: int = 0

    @property
    def versions(self) -> int:
        return self.responses + self.pruned


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return "sha256:" + digest.hexdigest()


def _warc_date(moment: datetime) -> str:
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None))


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _one_line(value: object) -> str:
    """Header values never carry CR/LF (a stored value is untrusted text)."""
    return re.sub(r"[\r\n]+", " ", str(value)).strip()


def http_response_headers(version: Version, body_length: int) -> StatusAndHeaders:
    """Status line and stored headers, made truthful for the stored body (see the module docstring)."""
    headers: list[tuple[str, str]] = []
    for name, value in (version.headers or {}).items():
        name = _one_line(name)
        lowered = name.lower()
        if lowered in RENAMED_HEADERS:
            headers.append((RENAMED_PREFIX + name, _one_line(value)))
        elif lowered == "content-length":
            if _one_line(value) != str(body_length):
                headers.append((RENAMED_PREFIX + name, _one_line(value)))
        elif name:
            headers.append((name, _one_line(value)))
    if version.content_type and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", _one_line(version.content_type)))
    headers.append(("Content-Length", str(body_length)))
    try:
        reason = HTTPStatus(version.http_status).phrase
    except ValueError:
        reason = "Unknown"
    return StatusAndHeaders(f"{version.http_status} {reason}", headers, protocol="HTTP/1.1")


def http_request_headers(url: str) -> StatusAndHeaders:
    """A GET of ``url``: what was asked, reconstructed (casewatch stores responses, not requests)."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)], is_http_request=True)


def metadata_fields(version: Version, change_ids: list[int]) -> dict[str, Any]:
    """The casewatch side of the evidence: which document and version, its hashes, what it changed."""
    doc = version.document
    return {
        "software": _software(),
        "document_id": version.document_id,
        "document_url": doc.url,
        "source": doc.source_id,
        "version_id": version.id,
        "fetched_url": version.fetched_url,
        "fetched_at": iso(version.fetched_at),
        "http_status": version.http_status,
        "content_type": version.content_type,
        "etag": version.etag,
        "last_modified": version.last_modified,
        "raw_sha256": version.raw_sha256,
        "text_sha256": version.sha256,
        "title": version.title,
        "raw_body": "pruned" if version.raw_pruned_at is not None else "included",
        "raw_pruned_at": iso(version.raw_pruned_at),
        "request": "synthesized: a GET of fetched_url (request headers are not stored)",
        "change_ids": change_ids,
    }


class EvidenceWriter:
    """Writes versions as WARC records through warcio, with our own sha256 digests."""

    def __init__(self, out: BinaryIO, *, filename: str, gzip: bool, description: str):
        self.writer = WARCWriter(out, gzip=gzip, warc_version="1.0")
        info = (f"software: {_software()}\r\nformat: WARC File Format 1.0\r\n"
                f"conformsTo: http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf\r\n"
                f"description: {_one_line(description)}\r\n").encode()
        self.warcinfo_id = _record_id()
        record = self.writer.create_warc_record(
            "", "warcinfo", payload=io.BytesIO(info), length=len(info),
            warc_headers_dict={"WARC-Record-ID": self.warcinfo_id, "WARC-Filename": filename,
                               "WARC-Date": _warc_date(datetime.now(UTC)),
                               "WARC-Block-Digest": _sha256(info)})
        self.writer.write_record(record)

    def _headers(self, url: str, when: datetime, **extra: str) -> dict[str, str]:
        return {"WARC-Record-ID": _record_id(), "WARC-Target-URI": url, "WARC-Date": _warc_date(when),
                "WARC-Warcinfo-ID": self.warcinfo_id, **extra}

    def version(self, version: Version, change_ids: list[int]) -> bool:
        """Request, response and metadata records for one version; metadata only if pruned (False)."""
        url = _one_line(version.fetched_url or version.document.url)
        concurrent: dict[str, str] = {}
        body = raw_bytes(version)
        pruned = body is None
        if body is not None:
            http = http_response_headers(version, len(body))
            http.compute_headers_buffer()
            assert http.headers_buff is not None
            response_id = _record_id()
            response = self.writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
                warc_headers_dict={**self._headers(url, version.fetched_at), "WARC-Record-ID": response_id,
                                   "WARC-Payload-Digest": f"sha256:{version.raw_sha256}",
                                   "WARC-Block-Digest": _sha256(http.headers_buff, body)})
            request_http = http_request_headers(url)
            request_http.compute_headers_buffer()
            assert request_http.headers_buff is not None
            request = self.writer.create_warc_record(
                url, "request", http_headers=request_http,
                warc_headers_dict=self._headers(url, version.fetched_at, **{
                    "WARC-Concurrent-To": response_id, "WARC-Payload-Digest": _sha256(b""),
                    "WARC-Block-Digest": _sha256(request_http.headers_buff)}))
            self.writer.write_record(request)
            self.writer.write_record(response)
            concurrent = {"WARC-Concurrent-To": response_id}
        meta = json.dumps(metadata_fields(version, change_ids), ensure_ascii=False, indent=1).encode()
        digests = {"WARC-Payload-Digest": _sha256(meta), "WARC-Block-Digest": _sha256(meta)}
        record = self.writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(meta), length=len(meta), warc_content_type="application/json",
            warc_headers_dict=self._headers(url, version.fetched_at, **concurrent, **digests))
        self.writer.write_record(record)
        return not pruned


def default_warc_path(var_dir: Path, now: datetime) -> Path:
    return var_dir / "exports" / f"casewatch-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.warc.gz"


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """Write next to ``path`` and rename at the end: an interrupted export leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_warc(db: Database, flt: EvidenceFilter, path: Path, *, description: str) -> WarcSummary:
    """Every stored version ``flt`` selects, as one WARC file (gzip unless the name ends in .warc)."""
    summary = WarcSummary(str(path))
    with db.read() as session:
        ids = evidence_version_ids(session, flt)
    with _atomic(path) as out:
        writer = EvidenceWriter(out, filename=path.name, gzip=not path.name.endswith(".warc"),
                                description=description)
        for start in range(0, len(ids), BATCH):
            with db.read() as session:
                chunk = versions_by_ids(session, ids[start:start + BATCH])
                touching = change_ids_by_version(session, [v.id for v in chunk])
                for version in chunk:
                    if writer.version(version, touching.get(version.id, [])):
                        summary.responses += 1
                    else:
                        summary.pruned += 1
    return summary


# ------------------------------------------------------------------------------ JSON / CSV reports


def _version_fields(prefix: str, version: Version | None) -> dict[str, Any]:
    return {f"{prefix}_version_id": version.id if version else None,
            f"{prefix}_version_sha256": version.sha256 if version else None,
            f"{prefix}_raw_sha256": version.raw_sha256 if version else None,
            f"{prefix}_fetched_at": iso(version.fetched_at) if version else None}


def report_rows(db: Database, flt: EvidenceFilter) -> list[dict[str, Any]]:
    """The changes ``flt`` selects (withdrawn ones left out): `changes --json` fields plus evidence."""
    with db.read() as session:
        changes: list[Change] = evidence_changes(session, flt)
        stories = stories_by_id(session, {c.story_id for c in changes if c.story_id is not None})
        return [{**change_json(c, stories=stories), "document_id": c.document_id,
                 **_version_fields("from", c.from_version), **_version_fields("to", c.to_version)}
                for c in changes]


def write_json(rows: list[dict[str, Any]], out: TextIO) -> None:
    out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: scraped titles are untrusted ("=HYPERLINK(...)")."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v.get("type", v)) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return value.get("id", json.dumps(value, ensure_ascii=False))
    return value


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One row per change; list fields joined with '; ', every text cell formula-safe."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(_flat(row.get(k))) for k in CSV_FIELDS})


@contextmanager
def text_output(path: Path | None) -> Iterator[IO[str]]:
    """``path`` written atomically, or standard output when None or '-'."""
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    with _atomic(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()  # the raw file is closed (and renamed) by _atomic
