"""The CLI never answers a mistake with silence: each mistake is one line on
stderr naming it (and the known values), exit code 1, never a traceback or a quiet "no changes"."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config.schema import MILESTONE_TYPES, load_config
from tests.support.cli import ROOT, child_env, run_cli, wait_for
from tests.support.crawl import write_config

CONFIG = load_config(ROOT / "config")
SOURCES = ", ".join(s.id for s in CONFIG.sources)
CASES = ", ".join(CONFIG.cases)
SUBSCRIBERS = ", ".join(s.email for s in CONFIG.subscribers)


def _one_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single stderr line of a failed command (and nothing on stdout, no traceback)."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def db_arg(tmp_path: Path) -> tuple[str, str]:
    return ("--db", f"sqlite:///{tmp_path / 'casewatch.db'}")


def test_unknown_source_in_changes_lists_the_known_ones(db_arg: tuple[str, str]) -> None:
    line = _one_line(run_cli(*db_arg, "changes", "--source", "nope"))
    assert line == f"casewatch: unknown source 'nope' (known: {SOURCES})"


def test_unknown_milestone_lists_the_known_ones(db_arg: tuple[str, str]) -> None:
    line = _one_line(run_cli(*db_arg, "changes", "--milestone", "foo"))
    assert line == f"casewatch: unknown milestone type 'foo' (known: {', '.join(MILESTONE_TYPES)})"
    assert run_cli(*db_arg, "changes", "--milestone", "indictment").returncode == 0  # a known one still works


def test_other_unknown_ids_list_the_known_ones(db_arg: tuple[str, str]) -> None:
    for args, expected in [
        (("changes", "--case", "nope"), f"casewatch: unknown case 'nope' (known: {CASES})"),
        (("timeline", "--case", "nope"), f"casewatch: unknown case 'nope' (known: {CASES})"),
        (("classify", "--case", "nope", "--title", "x"), f"casewatch: unknown case 'nope' (known: {CASES})"),
        (("export", "--format", "json", "--case", "nope"), f"casewatch: unknown case 'nope' (known: {CASES})"),
        (("digest", "--subscriber", "x@example.org"),
         f"casewatch: unknown subscriber 'x@example.org' (known: {SUBSCRIBERS})"),
        (("digest", "--resubscribe", "x@example.org"),
         f"casewatch: unknown subscriber 'x@example.org' (known: {SUBSCRIBERS})"),
        (("export", "--format", "json", "--source", "nope"), f"casewatch: unknown source 'nope' (known: {SOURCES})"),
        (("reextract", "--source", "nope"), f"casewatch: unknown source 'nope' (known: {SOURCES})"),
    ]:
        assert _one_line(run_cli(*db_arg, *args)) == expected, args


def test_bad_option_values_are_one_line_naming_the_help(db_arg: tuple[str, str]) -> None:
    line = _one_line(run_cli(*db_arg, "changes", "--since", "blah"))
    assert line == ("casewatch: Invalid value for '--since': expected 7d, 12h, 2w or a date like 2026-11-01, "
                    "got 'blah' (see `.venv/bin/casewatch changes --help`)")
    line = _one_line(run_cli(*db_arg, "changes", "--limit", "0"))
    assert line.startswith("casewatch: Invalid value for '--limit': 0 is not in the range x>=1.")


def test_help_lists_the_milestone_codes() -> None:
    result = run_cli("changes", "--help")
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert f"--milestone TYPE Only changes reporting this legal step: {', '.join(MILESTONE_TYPES)}." in flat


def test_database_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    for url in ("sqlite:///missing/dir/x.db", f"sqlite:///{tmp_path / 'missing' / 'x.db'}"):
        line = _one_line(run_cli("--db", url, "sources", cwd=tmp_path))
        folder = tmp_path / "missing" / ("dir" if "dir" in url else "")
        assert line == (f"casewatch: database folder '{str(folder).rstrip('/')}' does not exist "
                        f"(create it, or correct the URL '{url}')")
        assert not (tmp_path / "missing").exists()  # nothing created elsewhere
    from_env = run_cli("--config", str(ROOT / "config"), "sources", cwd=tmp_path, env={"DATABASE_URL": "sqlite:///missing/x.db"})
    assert "database folder" in _one_line(from_env) and not (tmp_path / "missing").exists()
    default = run_cli("--config", str(ROOT / "config"), "sources", cwd=tmp_path,
                      env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")})
    assert default.returncode == 0 and (tmp_path / "var" / "casewatch.db").is_file()  # the default is made


@pytest.mark.slow
def test_serve_on_a_busy_port_is_one_line_before_any_announcement(db_arg: tuple[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line(run_cli(*db_arg, "serve", "--port", str(port)))
    assert line == (f"casewatch: cannot listen on 127.0.0.1:{port}: Address already in use "
                    "(another program uses it: stop it or choose --port)")


EMPTY_AND_FULL = """<?xml version="1.0"?><rss version="2.0"><channel><title>Diario</title>
<item><link>https://larepublica.pe/politica/2026/11/23/vacia</link></item>
<item><title>Juliaca: fiscalía formaliza investigación</title>
<link>https://larepublica.pe/politica/2026/11/23/llena</link>
<description>La fiscalía de Puno formalizó la investigación por las muertes en Juliaca.</description>
<pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate></item>
</channel></rss>"""


@pytest.mark.slow
def test_try_source_warns_about_items_without_title_text_or_date(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(EMPTY_AND_FULL, encoding="utf-8")
    result = run_cli("try-source", "larepublica-politica", "--file", str(feed))
    assert result.returncode == 0, result.stderr  # one item is whole
    empty = "https://larepublica.pe/politica/2026/11/23/vacia"
    assert result.stderr.strip().splitlines() == [
        "2 items, 0 errors",
        f"warning: 1 of 2 items have no title (first: {empty})",
        f"warning: 1 of 2 items have no text (first: {empty})",
        f"warning: 1 of 2 items have no date (first: {empty})"]

    feed.write_text(EMPTY_AND_FULL.replace("<title>Juliaca: fiscalía formaliza investigación</title>", ""),
                    encoding="utf-8")
    hollow = run_cli("try-source", "larepublica-politica", "--file", str(feed))
    assert hollow.returncode == 3  # no item a digest could show: as if nothing was extracted
    assert "warning: 2 of 2 items have no title (first: https://larepublica.pe/politica/2026/11/23/vacia)" in (
        hollow.stderr.splitlines())


def _offline_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, [{"id": f"fuente-{n}", "urls": [f"http://fuente-{n}.invalid/juliaca"]}
                                   for n in (1, 2)])


OFFLINE = ("casewatch: all 2 sources failed their DNS lookup: this machine looks offline (check its network "
           "connection and DNS server); the sources themselves may be fine")


@pytest.mark.slow
def test_every_source_failing_on_dns_says_the_machine_looks_offline(tmp_path: Path) -> None:
    config = _offline_config(tmp_path)
    cli = ("--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}")
    result = run_cli(*cli, "crawl")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split()[:3] for line in lines[:2]) == [["✗", "fuente-1", "failed"], ["✗", "fuente-2", "failed"]]
    assert lines[2:] == [OFFLINE]
    one = run_cli(*cli, "crawl", "fuente-1")  # one source failing on DNS is that source's problem
    assert one.returncode == 3 and "offline" not in one.stderr


@pytest.mark.slow
def test_a_scheduled_crawl_prints_nothing_the_scheduler_logs(tmp_path: Path) -> None:
    """A scheduler's crawl child of one source prints no line of its own (the scheduler logs the
    result), and says "offline" once: when its failure makes every source's last run a DNS failure."""
    config = _offline_config(tmp_path)
    cli = ("--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}")
    scheduled = {"CASEWATCH_DIE_WITH": str(os.getpid())}  # what the scheduler sets for its children
    first = run_cli(*cli, "crawl", "fuente-1", env=scheduled)
    assert (first.returncode, first.stdout, first.stderr) == (3, "", "")
    second = run_cli(*cli, "crawl", "fuente-2", env=scheduled)
    assert (second.returncode, second.stdout, second.stderr.strip()) == (3, "", OFFLINE)
    again = run_cli(*cli, "crawl", "fuente-1", env=scheduled)  # still offline: said already
    assert (again.returncode, again.stdout, again.stderr) == (3, "", "")


@pytest.mark.slow
def test_run_prints_each_failure_once(tmp_path: Path) -> None:
    """`make run` on an offline machine: one line per failed crawl, and the offline hint once."""
    config = _offline_config(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "run"],
                                stdout=out, stderr=subprocess.STDOUT, env=child_env(CASEWATCH_VAR_DIR=str(tmp_path)),
                                cwd=ROOT)
    try:
        def logged() -> bool:  # both results logged by the scheduler, and the hint
            text = log.read_text(encoding="utf-8")
            return "looks offline" in text and all(f"source {s}: failed" in text for s in ("fuente-1", "fuente-2"))

        wait_for(logged, proc=proc, timeout=90, what="both failures and the offline hint", log=log)
    finally:
        proc.send_signal(signal.SIGTERM)  # the process this test started
        proc.wait(timeout=30)
    text = log.read_text(encoding="utf-8")
    for source in ("fuente-1", "fuente-2"):
        mentions = [line for line in text.splitlines() if f"{source}.invalid" in line]
        assert len(mentions) == 1, text
    assert text.count("looks offline") == 1 and " sources: " not in text, text


def test_hints_name_the_command_as_the_user_can_run_it(tmp_path: Path) -> None:
    """`casewatch` lives in .venv/bin, rarely on the PATH: a hint names it so it can be pasted."""
    db = ("--db", f"sqlite:///{tmp_path / 'c.db'}")
    line = _one_line(run_cli(*db, "pin", "https://example.org/x"))
    assert line == "casewatch: no stored document with URL 'https://example.org/x' (see `.venv/bin/casewatch changes`)"
    on_path = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    line = _one_line(run_cli(*db, "pin", "https://example.org/x", env=on_path))
    assert line.endswith("(see `casewatch changes`)")
    elsewhere = _one_line(run_cli("--config", str(ROOT / "config"), *db, "pin", "https://example.org/x", cwd=tmp_path))
    assert elsewhere.endswith(f"(see `{Path(sys.executable).parent / 'casewatch'} changes`)")


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_demo_ends_with_a_command_that_runs(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, _ = demo_run
    assert result.returncode == 0, result.stderr
    [hint] = [line for line in result.stdout.splitlines() if line.strip().endswith(" changes")]
    assert re.fullmatch(r"  \.venv/bin/casewatch --config \S+ --db sqlite:///\S+ changes", hint), hint
    explored = subprocess.run(hint.split(), cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env=child_env(), check=False)
    assert explored.returncode == 0 and explored.stdout.strip(), explored.stderr


@pytest.mark.slow
def test_outbox_lease_shorter_than_a_send_is_refused_at_start(db_arg: tuple[str, str]) -> None:
    env = {"CASEWATCH_OUTBOX_LEASE": "60", "SMTP_TIMEOUT": "30"}
    expected = ("casewatch: CASEWATCH_OUTBOX_LEASE must exceed the longest SMTP send, 360 s (SMTP_TIMEOUT 30 s x "
                "12 steps): got 60 s; raise CASEWATCH_OUTBOX_LEASE or lower SMTP_TIMEOUT")
    for command in (("digest",), ("run", "--once")):
        assert _one_line(run_cli(*db_arg, *command, env=env)) == expected, command
