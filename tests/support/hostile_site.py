"""A local site for the hostile-server tests of catalogue section A (tests/reliability): one hostile
URL per source plus a healthy control source, the page they serve, and the ERR / KEEP / ISO checks."""

from __future__ import annotations

from pathlib import Path

from tests.support.crawl import Crawled, crawl, last_run, stored, write_config
from tests.support.httpserver import LocalHTTPServer

CONTROL = "control"
TEXT = "La Fiscalía amplió la investigación por las muertes de Juliaca del 9 de enero de 2023."


def page(text: str = TEXT) -> bytes:
    return (f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Comunicado</title></head>"
            f"<body><main><p>{text}</p></main></body></html>").encode()


class Site:
    """A local site with one hostile URL per source plus a healthy control source; a config and a db."""

    def __init__(self, server: LocalHTTPServer, tmp: Path, paths: dict[str, str], **extra: object):
        self.server, self.paths = server, paths
        self.db = f"sqlite:///{tmp / 'casewatch.db'}"
        server.set_route("/control", body=page("Control: la audiencia de Juliaca sigue programada."))
        sources = [{"id": sid, "urls": [server.url(path)], **extra} for sid, path in paths.items()]
        self.config = write_config(tmp, [*sources, {"id": CONTROL, "urls": [server.url("/control")]}])

    def url(self, source_id: str) -> str:
        return self.server.url(self.paths[source_id])

    def crawl_good_first(self) -> None:
        """Every URL serves a good page once, so the hostile crawl has a last good version to keep."""
        for path in self.paths.values():
            self.server.set_route(path, body=page())
        result = crawl(self.config, self.db)
        assert result.returncode == 0, result.stderr
        for sid in self.paths:
            assert stored(self.db, self.url(sid)).versions == [TEXT]

    def crawl(self, **kw: object) -> Crawled:
        result = crawl(self.config, self.db, **kw)  # type: ignore[arg-type]
        assert result.returncode == 3, result.stdout + result.stderr  # some sources failed
        assert last_run(self.db, CONTROL)[0] == "ok", "ISO: the healthy source of the same run is fetched"
        return result

    def assert_kept(self, source_id: str) -> None:
        """KEEP: still exactly the one good version and its ``new`` change; the run failed."""
        doc = stored(self.db, self.url(source_id))
        assert (doc.versions, doc.changes, doc.state) == ([TEXT], ["new"], "active"), (source_id, doc)
        assert last_run(self.db, source_id)[0] == "failed"
