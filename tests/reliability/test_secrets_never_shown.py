"""Catalogue row G9: secrets never shown. Credentials in a source URL, under defaults or in the database
URL are refused without echoing them; a redirect that carries them is redacted in every output (crawl,
sources, status, the API, the dashboard, a JSON log).
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from casewatch.app import App
from casewatch.logs import setup_logging
from casewatch.web.app import create_app
from config.redact import redact, redact_url
from tests.support.cli import run_cli
from tests.support.config_folder import _config, _load_error, _one_source
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import ROOT

# ---------------------------------------------------------------------------------------------
# G9: secrets never shown


PASSWORD = "Sup3r-S3cret-Pw"


@pytest.mark.parametrize("where", ["urls", "params"])
def test_G9_credentials_in_a_source_url_refused_without_echoing_them(tmp_path: Path, where: str) -> None:
    bad = f"https://casewatch:{PASSWORD}@example.org/feed"
    text = (_one_source(bad) if where == "urls" else
            _one_source("https://example.org/", params=f"{{feeds: ['https://example.org/a', '{bad}']}}"))
    line = _load_error(_config(tmp_path, text))
    field = "urls[0]" if where == "urls" else "params.feeds[1]"
    assert line.startswith(f"{tmp_path / 'config' / 'sources.yaml'}: sources[0].{field}: source 'vigilada': "
                           "URL must not contain a user name or password ('https://***@example.org/feed')"), line
    assert PASSWORD not in line and "casewatch:" not in line


def test_G9_credentials_under_defaults_reported_once_without_the_password(tmp_path: Path) -> None:
    text = (f"defaults:\n  params: {{login: 'https://ana:{PASSWORD}@example.org/'}}\n"
            + _one_source("https://example.org/"))
    line = _load_error(_config(tmp_path, text))
    assert line.startswith(f"{tmp_path / 'config' / 'sources.yaml'}: defaults.params.login: URL must not contain "
                           "a user name or password ('https://***@example.org/')"), line
    assert PASSWORD not in line


@pytest.mark.parametrize("user_only", ["https://token123@example.org/", "http://@example.org/"])
def test_G9_a_user_name_alone_is_refused_too(tmp_path: Path, user_only: str) -> None:
    line = _load_error(_config(tmp_path, _one_source(user_only)))
    assert "must not contain a user name or password" in line and "token123" not in line


def test_G9_redaction_helper() -> None:
    assert redact_url(f"postgresql://cw:{PASSWORD}@db:5432/x") == "postgresql://***@db:5432/x"
    assert redact_url(f"postgresql//cw:{PASSWORD}@db/x") == "***@db/x"  # malformed: still no password
    assert redact(f"Error downloading <GET http://u:{PASSWORD}@10.0.0.1/a?token={PASSWORD}&x=1>", secrets=()) == \
        "Error downloading <GET http://***@10.0.0.1/a?token=***&x=1>"
    assert redact(f"host=db password={PASSWORD} dbname=x", secrets=()) == "host=db password=*** dbname=x"
    assert redact(f"login failed for {PASSWORD}", secrets=[PASSWORD]) == "login failed for ***"
    assert redact("https://medium.com/@autora/nota", secrets=()) == "https://medium.com/@autora/nota"


@pytest.mark.parametrize("db", [f"postgresql//cw:{PASSWORD}@127.0.0.1/db",  # malformed: was echoed whole
                                f"postgresql://cw:{PASSWORD}@127.0.0.1:notaport/db",  # was a traceback
                                f"postgresql://cw:{PASSWORD}@127.0.0.1:1/db"])  # nothing listens
def test_G9_database_password_never_printed(tmp_path: Path, db: str) -> None:
    for args, env in ((("--db", db, "status"), {}), (("status", "--json"), {"DATABASE_URL": db})):
        result = run_cli("--config", str(ROOT / "config"), *args, env=env)
        assert result.returncode == 1
        assert PASSWORD not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "database" in result.stderr


@pytest.mark.slow
def test_G9_redirect_with_credentials_never_shown_in_crawl_output_status_api_page_or_logs(
        tmp_path: Path, db_url: str) -> None:
    target = f"http://casewatch:{PASSWORD}@10.0.0.1/panel?password={PASSWORD}"
    with LocalHTTPServer() as server:
        server.set_route("/moved", status=302, headers={"Location": target})
        root = _config(tmp_path, _one_source(server.url("/moved"), allow_private="['127.0.0.1']",
                                             unhealthy_after="1"))
        cli = ("--config", str(root), "--db", db_url)
        crawl = run_cli(*cli, "crawl", "-v")
    outputs = {"crawl": crawl.stdout + crawl.stderr}
    for args in (("sources",), ("sources", "--json"), ("status",), ("status", "--json"),
                 ("digest", "--dry-run")):
        result = run_cli(*cli, *args)
        outputs[" ".join(args)] = result.stdout + result.stderr
    app = App(config_dir=root, db_url=db_url)
    with TestClient(create_app(app)) as client:
        outputs["dashboard"] = client.get("/").text
        outputs["api"] = client.get("/api/sources").text
    app.db.dispose()
    stream, root = io.StringIO(), logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogRecordFactory()
    setup_logging("json", stream=stream)
    try:
        try:
            raise ConnectionError(f"connect to {target} failed")
        except ConnectionError:
            logging.getLogger("casewatch.test").exception("fetch of %s failed", target)
    finally:
        root.handlers[:], _, factory = saved
        root.setLevel(saved[1])
        logging.setLogRecordFactory(factory)
    outputs["json log"] = stream.getvalue()
    for name, text in outputs.items():
        assert PASSWORD not in text, f"{name}: {text}"
    shown = json.loads(run_cli(*cli, "sources", "--json").stdout)[0]["last_run"]["error"]
    assert "address guard refused http://***@10.0.0.1/panel?password=***" in shown, shown  # shown, redacted
    assert "***@10.0.0.1" in outputs["dashboard"] and "***@10.0.0.1" in outputs["json log"]
