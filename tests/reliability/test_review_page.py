"""Reliability catalogue, section G (review page): rows tested against the real ``casewatch serve``."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from casewatch.cli import cli
from tests.support.cli import ROOT, child_env, wait_for
from tests.support.smtpd import free_port
from tests.web.conftest import TOKEN, write_config

SECRET = "a-secret-key-for-this-test"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port held open on every IPv4 and IPv6 address: should ``serve`` not refuse, it fails to bind and
    exits instead of serving for ever (so the test fails rather than hangs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as v4, socket.socket(socket.AF_INET6) as v6:
        v4.bind(("0.0.0.0", 0))
        v4.listen()
        port = int(v4.getsockname()[1])
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6.bind(("::", port))
        v6.listen()
        yield port


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_G8_non_loopback_bind_refused_without_auth(host: str, taken_port: int, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    base = ["--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}", "serve", "--host", host,
            "--port", str(taken_port)]
    cases = {  # (CASEWATCH_REVIEWERS, CASEWATCH_SECRET_KEY) -> what the one line names as missing
        (None, None): "CASEWATCH_REVIEWERS and CASEWATCH_SECRET_KEY",
        (f"ana:{TOKEN}", None): "CASEWATCH_SECRET_KEY",
        (None, SECRET): "CASEWATCH_REVIEWERS",
    }
    for (reviewers, secret), missing in cases.items():
        result = CliRunner().invoke(cli, base, env={"CASEWATCH_REVIEWERS": reviewers, "CASEWATCH_SECRET_KEY": secret,
                                                    "CASEWATCH_TRUSTED_PROXIES": None})
        assert result.exit_code == 1, (host, missing, result.output, result.exception)
        assert result.stderr.splitlines() == [
            f"casewatch: refusing to serve on {host}, a non-loopback address, without {missing} set "
            "(set them, or serve on 127.0.0.1)"], result.stderr


@pytest.mark.slow
def test_G8_loopback_without_auth_still_serves_read_only(db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "serve",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=ROOT)
    try:
        def page() -> str | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    return response.read().decode()
            except OSError:
                return None

        html = wait_for(page, proc=proc, timeout=60, what="the review page to answer", log=log)
        assert "CASEWATCH_REVIEWERS" in html  # the login page says how to enable review actions
        assert "review actions are disabled until CASEWATCH_REVIEWERS" in log.read_text(encoding="utf-8")
    finally:
        proc.terminate()  # the process this test started
        proc.wait(timeout=20)
