"""`casewatch serve`: the real command on a loopback port answers the review page; a bad reviewer list is one
line and exit 1; a non-loopback address is refused without reviewers and a key (tests/reliability, G8)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from casewatch.web.app import serve_refusal, serve_warnings
from tests.support.cli import ROOT, child_env, run_cli, wait_for
from tests.support.smtpd import free_port
from tests.web.conftest import TOKEN, auth_config, write_config


@pytest.mark.slow
def test_serve_answers_on_loopback(db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    port = free_port()
    log = tmp_path / "serve.log"
    env = child_env(CASEWATCH_REVIEWERS=f"ana:{TOKEN}", CASEWATCH_SECRET_KEY="a-secret-key-for-this-test")
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "serve",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        def page() -> str | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
                    return response.read().decode()
            except OSError:
                return None

        html = wait_for(page, proc=proc, timeout=60, what="the review page to answer", log=log)
        assert '<html lang="es">' in html and "<h1>Panel</h1>" in html  # Spanish first: no Accept-Language here
        assert "Ministerio Público" in html
        assert f"casewatch review page on http://127.0.0.1:{port}/" in log.read_text(encoding="utf-8")
    finally:
        proc.terminate()  # the process this test started
        proc.wait(timeout=20)


@pytest.mark.slow
def test_serve_refuses_a_bad_reviewer_list(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli("--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}", "serve",
                     env={"CASEWATCH_REVIEWERS": "ana:short"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "casewatch: CASEWATCH_REVIEWERS entry 1 (ana): the token is too short, use at least 12 random characters "
        "(or sha256:<hex> of one)"]


def test_exposure_refusal_and_warnings() -> None:
    configured = auth_config()
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"):
        assert serve_refusal(host, configured) is None and serve_warnings(host, configured) == []
    assert serve_refusal("0.0.0.0", configured) is None  # reviewers and a key: the operator chose to expose it
    bare = auth_config("")
    assert serve_refusal("127.0.0.1", bare) is None  # loopback stays open, read-only
    assert serve_warnings("127.0.0.1", bare) == [
        "review actions are disabled until CASEWATCH_REVIEWERS=name:token is set"]
    assert serve_refusal("0.0.0.0", bare) == (
        "refusing to serve on 0.0.0.0, a non-loopback address, without CASEWATCH_REVIEWERS set "
        "(set them, or serve on 127.0.0.1)")
    configured.secret_from_env = False
    assert "without CASEWATCH_SECRET_KEY set" in str(serve_refusal("192.0.2.10", configured))
    assert serve_warnings("127.0.0.1", configured) == [
        "CASEWATCH_SECRET_KEY is not set: using a random key, so logins end when casewatch serve restarts"]
