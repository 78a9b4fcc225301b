"""Run the real `casewatch` command: in this process through click's runner, or in a child process
where a real process is the point (Scrapy's reactor runs once per process; signals; the scheduler).
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from casewatch.demo_site import SUBSCRIBERS_YAML, sources_yaml

ROOT = Path(__file__).resolve().parents[2]
CASE_FILE = ROOT / "config" / "cases" / "juliaca-2023.yaml"


# Where children write the outbox and default database unless a test says otherwise: never the
# repository's own var/ (a crawl files immediate alerts there).
SCRATCH_VAR = Path(tempfile.mkdtemp(prefix="casewatch-test-var-"))


def child_env(var_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The caller's environment without SMTP_*, DATABASE_URL and CASEWATCH_* (tests set what they need)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DATABASE_URL", "CASEWATCH_"))}
    env["CASEWATCH_VAR_DIR"] = str(var_dir if var_dir is not None else SCRATCH_VAR)
    return {**env, **extra}


def wait_for(condition: Callable[[], Any], *, proc: subprocess.Popen[bytes], timeout: float, what: str,
             log: Path | None = None, interval: float = 0.1) -> Any:
    """Poll ``condition`` until truthy; fail if ``proc`` ends first or the deadline passes (log shown)."""
    def shown() -> str:
        return f":\n{log.read_text(encoding='utf-8')}" if log else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := condition()):
            return result
        if proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {what}{shown()}")
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{shown()}")


# Commands that run in a child: they start Scrapy's reactor (once per process), a scheduler with
# signal handlers, or a server. Every other command runs in the test's process (no interpreter and
# Scrapy start-up per call), with the same arguments, environment, working folder and exit codes.
IN_A_CHILD = frozenset({"crawl", "run", "try-source", "demo", "serve"})
# Of those, the ones a warm fork server may start (one reactor, then exit): no scheduler, no server.
FORKED = frozenset({"crawl", "try-source"})
# Test hooks that end or hold the process they are set for (alerts.outbox's crash after a send,
# casewatch.probe's pauses): a command run with one of them runs in a child, never in the test's process.
PROCESS_HOOKS = frozenset({"CASEWATCH_FAULT", "CASEWATCH_PROBE_DIR", "CASEWATCH_PAUSE_AT"})
COLD_ENV = "CASEWATCH_TEST_COLD_CHILDREN"  # set: every child is a new interpreter (no fork server)


def warm_child(module: str, args: list[str], *, env: dict[str, str], cwd: Path,
               timeout: float) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS`, forked from the fork server; a new interpreter if COLD_ENV is set, or
    for a scheduler's child (DIE_WITH_ENV names its parent, which must be the test's process)."""
    from casewatch.crawl import DIE_WITH_ENV

    if os.environ.get(COLD_ENV) or DIE_WITH_ENV in env:
        return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=cwd, check=False)
    from tests.support.forkserver import ForkServer

    return ForkServer.shared().run(module, args, env=env, cwd=cwd, timeout=timeout)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`casewatch ARGS`; SMTP_* and DATABASE_URL from the caller's environment are dropped."""
    from casewatch.early import command

    environment = child_env(**(env or {}))
    if command(["casewatch", *args]) in FORKED:
        return warm_child("casewatch", list(args), env=environment, cwd=cwd or ROOT, timeout=timeout)
    if command(["casewatch", *args]) in IN_A_CHILD or PROCESS_HOOKS & set(env or {}):
        return subprocess.run([sys.executable, "-m", "casewatch", *args], capture_output=True, text=True,
                              timeout=timeout, env=environment, cwd=cwd or ROOT, check=False)
    return run_in_process(list(args), environment, cwd or ROOT)


@contextmanager
def _as_a_process(environment: dict[str, str], cwd: Path) -> Iterator[None]:
    """This process made to look like a fresh `casewatch` one: its environment, working folder, no
    cached settings, the root logger of a new interpreter (warnings reach stderr through
    ``logging.lastResort``); all put back afterwards."""
    import logging

    from config.settings import get_settings

    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_factory = logging.getLogRecordFactory()
    saved_disable = logging.root.manager.disable
    saved_loggers = {name: (lg.level, lg.propagate, lg.disabled, lg.handlers[:])
                     for name, lg in logging.root.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(cwd)
    root.handlers, root.level = [], logging.WARNING
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        logging.setLogRecordFactory(saved_factory)
        root.handlers, root.level = saved_handlers, saved_level
        logging.disable(saved_disable)
        for name, lg in logging.root.manager.loggerDict.items():  # named loggers as they were (new ones: fresh)
            if isinstance(lg, logging.Logger):
                lg.level, lg.propagate, lg.disabled, lg.handlers = saved_loggers.get(
                    name, (logging.NOTSET, True, False, []))
        logging.root.manager._clear_cache()  # effective levels were cached under the run's
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv


def run_in_process(args: list[str], environment: dict[str, str], cwd: Path,
                   stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``casewatch.cli.main`` with ARGS in this process: its output, and the exit code a child would
    have had (an uncaught exception: its traceback on stderr and 1, as Python does)."""
    from click.testing import CliRunner

    from casewatch import cli

    code = 0
    with _as_a_process(environment, cwd), CliRunner().isolation(input=stdin) as (out, err, _):
        sys.argv = ["casewatch", *args]
        try:
            cli.main()
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except Exception:
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            app, cli._app = cli._app, None
            if app is not None and "db" in app.__dict__:
                app.db.dispose()
        stdout, stderr = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    return subprocess.CompletedProcess(["casewatch", *args], code, stdout.replace("\r\n", "\n"),
                                       stderr.replace("\r\n", "\n"))


def replica_config(tmp: Path, base_url: str) -> Path:
    """A config folder watching the demo replica served at ``base_url``."""
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(sources_yaml(base_url), encoding="utf-8")
    (config / "subscribers.yaml").write_text(SUBSCRIBERS_YAML, encoding="utf-8")
    return config


def outbox_messages(var: Path) -> list[email.message.EmailMessage]:
    """The emails a child filed in ``var/outbox`` (no SMTP configured), oldest name first."""
    folder = var / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))] if folder.is_dir() else []


def plain_text(message: email.message.EmailMessage) -> str:
    """The text/plain body of a filed email."""
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def rss_feed(base: str, items: list[tuple[str, str, str]], channel: str = "Diario") -> bytes:
    """An RSS feed of (slug, title, description) items linking to ``base``/slug, all published on 23 Nov 2026."""
    body = "".join(f"<item><title>{t}</title><link>{base}/{slug}</link><description>{d}</description>"
                   f"<pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate></item>" for slug, t, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{channel}</title>{body}</channel></rss>'.encode()
