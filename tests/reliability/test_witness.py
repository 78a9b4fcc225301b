"""The witness that cannot be fooled, end to end: four hostile loopback sources in the same crawls.

A self-signed HTTPS page for another host name, a gzip page served whole and then cut in half, a page
alternating between two versions, and JSON served to a `page` source, crawled together four times
by the real `casewatch crawl`, on SQLite and PostgreSQL. Nothing forged or truncated is stored, the
flapping page is one edit and then returns, and the JSON is refused with one line per crawl.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.store.models import Change, Document
from pipeline.store.session import Database
from tests.reliability.test_fetch_integrity import (
    PARAGRAPHS,
    Stored,
    crawl,
    last_run,
    lines_naming,
    page,
    stored,
    write_config,
)
from tests.support.certs import self_signed
from tests.support.httpserver import LocalHTTPServer, LocalHTTPSServer

VERSION_A = page("Fiscalía amplía la investigación por Juliaca")
VERSION_B = page("Fiscalía amplía la investigación por Juliaca", PARAGRAPHS[:-1] + ["Nota actualizada."])


def change_kinds(db: Database, url: str) -> list[str]:
    with db.read() as s:
        doc = s.scalar(select(Document).where(Document.url == url))
        assert doc is not None, url
        return list(s.scalars(select(Change.kind).where(Change.document_id == doc.id).order_by(Change.id)))


@pytest.mark.slow
def test_four_hostile_sources_store_nothing_forged_or_truncated(db_url: str, tmp_path: Path) -> None:
    forged = LocalHTTPSServer(*self_signed(tmp_path / "certs", "other.example"))
    forged.set_route("/", body=page("Fiscalía archiva la investigación por Juliaca"))
    with forged, LocalHTTPServer() as site:
        urls = {"forged": forged.url("/"), "gzip": site.url("/gzip"), "flapping": site.url("/flapping"),
                "json": site.url("/api")}
        whole = gzip.compress(page("Fiscalía formaliza la investigación por Juliaca"))
        site.set_route("/gzip", body=whole, headers={"Content-Encoding": "gzip"})
        site.set_route("/api", body=json.dumps({"title": "Fiscalía archiva la investigación", "text": PARAGRAPHS[0]}),
                       headers={"Content-Type": "application/json"})
        config = write_config(tmp_path / "config", [{"id": sid, "urls": [url]} for sid, url in urls.items()])
        db = Database(db_url)
        outputs = []
        for n, flapping in enumerate((VERSION_A, VERSION_B, VERSION_A, VERSION_B)):
            site.set_route("/flapping", body=flapping)
            if n == 1:  # the same gzip page, cut in half: its prefix would read as "the rest was deleted"
                site.set_route("/gzip", body=whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"})
            result = crawl(config, db_url)
            assert result.returncode == 3, result.stdout + result.stderr  # some sources failed, none crashed
            outputs.append(result.stdout + result.stderr)

        # Forged: never stored; every crawl says why, once.
        assert stored(db, urls["forged"]) == Stored(0, 0, [])
        for output in outputs:
            shown = lines_naming(output, urls["forged"])
            assert len(shown) == 1 and "TLS certificate refused" in shown[0], shown
        # Truncated: the whole page of the first crawl stays the only version; no change from the cut one.
        kept = stored(db, urls["gzip"])
        assert (kept.versions, kept.changes) == (1, 1) and "formaliza" in kept.texts[0]
        cut = lines_naming(outputs[1], urls["gzip"])
        assert cut and all("incomplete response: gzip stream ends early" in line for line in cut), cut
        # Flapping: one edit, then returns to the versions already stored; only two versions kept.
        assert change_kinds(db, urls["flapping"]) == ["new", "updated", "reverted", "reverted"]
        assert stored(db, urls["flapping"]).versions == 2
        # JSON at a page source: refused with one line each time, nothing stored.
        assert stored(db, urls["json"]) == Stored(0, 0, [])
        for output in outputs:
            shown = lines_naming(output, urls["json"])
            assert len(shown) == 1 and "unexpected content type application/json" in shown[0], shown
        assert last_run(db, "json").status == "failed"
        db.dispose()
