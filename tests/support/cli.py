"""Run the real `casewatch` command in a child process (Scrapy's reactor runs once per process)."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m casewatch ARGS`; SMTP_* and DATABASE_URL from the caller's environment are dropped."""
    return subprocess.run([sys.executable, "-m", "casewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env=child_env(**(env or {})), cwd=cwd or ROOT, check=False)


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
