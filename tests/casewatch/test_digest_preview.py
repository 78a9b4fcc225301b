"""`casewatch digest --preview EMAIL` writes the exact HTML body the subscriber will
get. The real command writes each preview; later the scheduler's build for that period runs and the outbox
delivers to aiosmtpd on loopback; each delivered HTML body equals its preview, byte for byte, on SQLite and
PostgreSQL, for a subscriber of everything, one with ``want: milestones`` and ``source_kinds: [prosecutor]``
(in English) and a weekly one with ``source_kinds: [news]``. `digest --dry-run` applies the same filters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.digest import build_scheduled
from alerts.outbox import deliver_pending
from alerts.send.smtp import SmtpSender
from casewatch.demo_site import MPFN_1_AFTER, MPFN_1_BEFORE
from config.schema import Config, load_config
from pipeline.ingest import Snapshot, ingest
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, run_cli
from tests.support.smtpd import smtp_server

BASE = "https://casewatch.example.org"
SUBSCRIBERS = """subscribers:
  - {email: todo@example.org, name: Ana, language: es, cases: [juliaca-2023], frequency: daily, at: "07:00"}
  - {email: hitos@example.org, name: Ruth, language: en, cases: [juliaca-2023], frequency: daily, at: "07:00",
     want: milestones, source_kinds: [prosecutor]}
  - {email: semanal@example.org, language: es, cases: [juliaca-2023], frequency: weekly, source_kinds: [news]}
"""
SOURCES = """sources:
  - {id: diario, name: Diario del Sur, kind: news, spider: feed, urls: ["https://diario.example/feed"]}
  - {id: mpfn, name: Ministerio Público, kind: prosecutor, spider: gobpe,
     urls: ["https://www.gob.pe/institucion/mpfn/noticias.json"]}
"""
VIGIL = "Tres años después, las familias de la masacre de Juliaca siguen esperando"
NEWS_STEP = "Diario: la Fiscalía formalizó investigación preparatoria por la masacre de Juliaca"
RELEASE = "Fiscalía formaliza investigación por muertes en Juliaca"
RELEASE_URL = "https://www.gob.pe/institucion/mpfn/noticias/1-formaliza"


def _config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    (folder / "cases").mkdir(parents=True)
    (folder / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (folder / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    (folder / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return folder


def _ingest(db: Database, config: Config, now: datetime) -> None:
    """News without a step, news with one, the prosecutor's release and its edit ("seis" -> "nueve")."""
    cases = list(config.cases.values())
    pages = [
        ("diario", "https://diario.example/vigilia", VIGIL,
         "Familiares de las víctimas del 9 de enero recuerdan a los fallecidos en Juliaca.", 4),
        ("diario", "https://diario.example/formaliza", NEWS_STEP,
         "La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 por las muertes de "
         "Juliaca del 9 de enero de 2023.", 3),
        ("mpfn", RELEASE_URL, RELEASE, "2026-11-10T09:00:00 " + " ".join(MPFN_1_BEFORE), 2),
        ("mpfn", RELEASE_URL, RELEASE, "2026-11-10T09:00:00 " + "\n".join(MPFN_1_AFTER), 1),
    ]
    for source_id, url, title, text, hours_ago in pages:
        with db.write() as s:
            out = ingest(s, Snapshot(url=url, status=200, title=title, text=text, content_type="text/html"),
                         source_id=source_id, cases=cases, now=now - timedelta(hours=hours_ago))
            assert out.change is not None and out.change.relevant, url


def _cli(cli: tuple[str, ...], var: Path, *args: str) -> Any:
    result = run_cli(*cli, "digest", *args, env={"CASEWATCH_BASE_URL": BASE, "CASEWATCH_VAR_DIR": str(var)})
    assert result.returncode == 0, result.stderr
    assert "CASEWATCH_BASE_URL" not in result.stderr  # set: no warning
    return json.loads(result.stdout)


@pytest.mark.slow
def test_preview_is_the_delivered_body(db_url: str, tmp_path: Path) -> None:
    folder = _config(tmp_path)
    cli = ("--config", str(folder), "--db", db_url)
    var = tmp_path / "var"
    assert run_cli(*cli, "init", env={"CASEWATCH_VAR_DIR": str(var)}).returncode == 0
    config = load_config(folder)
    db = Database(db_url)
    try:
        _ingest(db, config, datetime.now(UTC))

        previews = {email: _cli(cli, var, "--preview", email, "--json")
                    for email in ("todo@example.org", "hitos@example.org", "semanal@example.org")}
        # --dry-run: the same filters (want, source_kinds), so the same number of changes per subscriber
        dry = {d["to"]: d["changes"] for d in _cli(cli, var, "--dry-run", "--json")}
        assert dry == {email: p["changes"] for email, p in previews.items()} == {
            "todo@example.org": 4, "hitos@example.org": 2, "semanal@example.org": 2}
        plain = run_cli(*cli, "digest", "--preview", "hitos@example.org",
                        env={"CASEWATCH_BASE_URL": BASE, "CASEWATCH_VAR_DIR": str(var)})
        assert plain.returncode == 0 and plain.stdout == previews["hitos@example.org"]["path"] + "\n"
        assert previews["todo@example.org"]["period"].startswith("daily:")
        assert previews["semanal@example.org"]["period"].startswith("weekly:")

        with smtp_server() as smtp:  # later: the scheduler's build at each delivery time, then the outbox
            for at in sorted({datetime.fromisoformat(p["at"]) for p in previews.values()}):
                build_scheduled(db, config, since=at - timedelta(minutes=1), now=at, base_url=BASE)
            results = deliver_pending(db, SmtpSender(smtp.host, smtp.port, security="none", timeout=5),
                                      mail_from="casewatch <casewatch@example.org>")
            assert len(results) == 3 and all(r.ok for r in results)
            delivered = {str(m["To"]): m for m in smtp.messages}
        assert set(delivered) == set(previews)
        for email, p in previews.items():
            html = delivered[email].get_body(preferencelist=("html",)).get_content()
            # SMTP carries lines ending in CRLF (RFC 5321); the text of every line is the same
            assert html.replace("\r\n", "\n") == Path(p["path"]).read_text(encoding="utf-8"), email
            assert delivered[email]["Subject"] == p["subject"]
    finally:
        db.dispose()

    todo, hitos, weekly = (Path(previews[e]["path"]).read_text(encoding="utf-8")
                           for e in ("todo@example.org", "hitos@example.org", "semanal@example.org"))
    case = config.cases["juliaca-2023"].name
    # the prosecutor's release leads (official, a formal investigation), then the case, then the 3 other entries
    assert previews["todo@example.org"]["subject"] == f"{RELEASE} · {case} · +3 más"
    assert VIGIL in todo and NEWS_STEP in todo and ">seis</del>" in todo and ">nueve</ins>" in todo
    # the release's summary is a clean sentence (the stored text, shown in the diff, starts with a timestamp)
    assert 'white-space:pre-line;">La Fiscalía Penal Supraprovincial' in todo
    assert 'white-space:pre-line;">2026-11-10T09:00:00' not in todo
    assert RELEASE in hitos and VIGIL not in hitos and NEWS_STEP not in hitos  # milestones, prosecutor only
    assert 'lang="en"' in hitos and "New legal steps" in hitos
    assert RELEASE not in weekly and VIGIL in weekly and NEWS_STEP in weekly  # news only
    assert f"{BASE}/unsubscribe/" in todo  # the footer that is sent, with the subscriber's own link


@pytest.mark.slow
def test_base_url_warning(tmp_path: Path) -> None:
    """Unset, `digest` says in one line that links would point to loopback; set, it says nothing."""
    folder = _config(tmp_path)
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    cli = ("--config", str(folder), "--db", db)
    unset = run_cli(*cli, "digest", "--dry-run")
    assert unset.returncode == 0
    [line] = [ln for ln in unset.stderr.splitlines() if "CASEWATCH_BASE_URL" in ln]
    assert "http://127.0.0.1:8080" in line and "Traceback" not in unset.stderr
    given = run_cli(*cli, "digest", "--dry-run", env={"CASEWATCH_BASE_URL": BASE})
    assert given.returncode == 0 and "CASEWATCH_BASE_URL" not in given.stderr
    unknown = run_cli(*cli, "digest", "--preview", "nadie@example.org")
    assert unknown.returncode == 1 and "unknown subscriber 'nadie@example.org'" in unknown.stderr


@pytest.mark.slow
def test_loopback_links_are_named_only_when_the_base_url_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `run` logs and `digest` prints: only for the default, which points to this machine."""
    from casewatch.baseurl import loopback_warning, points_to_loopback
    from config.settings import Settings

    monkeypatch.delenv("CASEWATCH_BASE_URL", raising=False)
    unset = loopback_warning(Settings())
    assert unset is not None and "CASEWATCH_BASE_URL is not set" in unset and "\n" not in unset
    assert loopback_warning(Settings(CASEWATCH_BASE_URL=BASE)) is None
    assert loopback_warning(Settings(CASEWATCH_BASE_URL="http://localhost:8080")) is None  # chosen, not default
    assert [points_to_loopback(u) for u in ("http://127.0.0.2:1/", "http://[::1]:8080", "http://localhost",
                                            "https://casewatch.example.org", "http://10.0.0.5")] == [
        True, True, True, False, False]
