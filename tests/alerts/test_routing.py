"""Who gets what, when: immediate alerts for major steps, daily/weekly digests, filters, quiet weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.digest import build_immediate, build_scheduled
from config.schema import load_config
from pipeline.ingest import Snapshot, ingest
from pipeline.store.models import Digest, DigestItem
from pipeline.store.outbox import all_digests
from pipeline.store.session import Database
from pipeline.store.sources import sync_sources
from pipeline.store.subscribers import sync_subscribers
from tests.support.cli import ROOT

TUESDAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in Lima
NEXT_MONDAY = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
SUBSCRIBERS = """subscribers:
  - {email: todo@example.org, cases: [juliaca-2023]}
  - {email: hitos@example.org, cases: [juliaca-2023], want: milestones}
  - {email: semanal@example.org, cases: [juliaca-2023], frequency: weekly, source_kinds: [prosecutor]}
  - {email: tranquilo@example.org, cases: [ayacucho-2022], quiet_weeks: true}
"""
SOURCES = """sources:
  - {id: diario, name: Diario, kind: news, spider: feed, urls: ["https://diario.example/feed"]}
  - {id: mpfn, name: Fiscalía, kind: prosecutor, spider: gobpe, urls: ["https://www.gob.pe/institucion/mpfn/noticias.json"]}
"""


def _setup(db: Database, tmp_path: Path):
    config_dir = tmp_path / "config"
    (config_dir / "cases").mkdir(parents=True)
    for name in ("juliaca-2023.yaml", "ayacucho-2022.yaml"):
        (config_dir / "cases" / name).write_bytes((ROOT / "config" / "cases" / name).read_bytes())
    (config_dir / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    (config_dir / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    config = load_config(config_dir)
    start = TUESDAY - timedelta(days=1)
    with db.write() as s:
        sync_sources(s, config.sources, start)
        sync_subscribers(s, config.subscribers, start)
    cases = list(config.cases.values())
    with db.write() as s:
        ingest(s, Snapshot(url="https://diario.example/vigilia", status=200,
                           title="Tres años después, las familias de la masacre de Juliaca siguen esperando",
                           text="Familiares de las víctimas del 9 de enero recuerdan a los fallecidos en Juliaca."),
               source_id="diario", cases=cases, now=TUESDAY - timedelta(hours=2))
        ingest(s, Snapshot(url="https://www.gob.pe/institucion/mpfn/noticias/1-formaliza", status=200,
                           title="Fiscalía formaliza investigación preparatoria por la masacre de Juliaca",
                           text="La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023."),
               source_id="mpfn", cases=cases, now=TUESDAY - timedelta(hours=1))
    return config


def _sent(db: Database) -> dict[str, list[tuple[str, str, int]]]:
    """email -> [(kind, period, number of changes)]"""
    out: dict[str, list[tuple[str, str, int]]] = {}
    with db.read() as s:
        for d in all_digests(s, limit=100):
            n = s.query(DigestItem).filter(DigestItem.digest_id == d.id).count()
            out.setdefault(d.subscriber.email, []).append((d.kind, d.period.split(":")[0], n))
    return out


@pytest.mark.slow
def test_routing_over_a_week(db: Database, tmp_path: Path) -> None:
    config = _setup(db, tmp_path)
    base = "http://127.0.0.1:8080"
    immediate = build_immediate(db, config, now=TUESDAY, base_url=base)
    assert sorted(b.subscriber for b in immediate if b.digest_id) == [
        "hitos@example.org", "semanal@example.org", "todo@example.org"]  # the formalisation, to everyone on the case
    assert all(b.changes == 1 for b in immediate if b.digest_id)
    assert build_immediate(db, config, now=TUESDAY + timedelta(minutes=30), base_url=base) == [
        b for b in build_immediate(db, config, now=TUESDAY + timedelta(minutes=31), base_url=base)]  # nothing twice
    assert not [b for b in build_immediate(db, config, now=TUESDAY + timedelta(minutes=32), base_url=base)
                if b.digest_id]

    build_scheduled(db, config, since=TUESDAY, now=TUESDAY + timedelta(hours=21), base_url=base)  # 07:00 Wed in Lima
    sent = _sent(db)
    assert sorted(sent["todo@example.org"]) == [("digest", "daily", 1), ("immediate", "immediate", 1)]
    assert sent["hitos@example.org"] == [("immediate", "immediate", 1)]  # the feature reports no step
    assert sent["semanal@example.org"] == [("immediate", "immediate", 1)]  # weekly: not on a Wednesday
    assert "tranquilo@example.org" not in sent  # quiet weeks: only on Mondays

    with db.read() as s:
        daily = next(d for d in all_digests(s) if d.subscriber.email == "todo@example.org" and d.kind == "digest")
        assert "Tres años después, las familias de la masacre de Juliaca siguen esperando" in daily.text_body
        assert daily.text_body.count("Fiscalía formaliza investigación preparatoria") == 1  # one "already sent" line
        # The case status names the step's source without linking it again: the "already sent" line does.
        assert daily.text_body.count("https://www.gob.pe/institucion/mpfn/noticias/1-formaliza") == 1
        assert daily.html_body.count('href="https://www.gob.pe/institucion/mpfn/noticias/1-formaliza"') == 1

    build_scheduled(db, config, since=TUESDAY + timedelta(hours=21), now=NEXT_MONDAY, base_url=base)
    sent = _sent(db)
    assert sent["semanal@example.org"] == [("immediate", "immediate", 1)]  # nothing from a prosecutor left
    assert sent["tranquilo@example.org"] == [("quiet", "quiet", 0)]
    with db.read() as s:
        quiet = next(d for d in all_digests(s) if d.kind == "quiet")
        assert isinstance(quiet, Digest) and "2" in quiet.subject  # "still watching 2 sources"
    build_scheduled(db, config, since=TUESDAY + timedelta(hours=21), now=NEXT_MONDAY + timedelta(hours=1),
                    base_url=base)
    assert _sent(db)["tranquilo@example.org"] == [("quiet", "quiet", 0)]  # once per week


@pytest.mark.slow
def test_a_flapping_page_is_alerted_once_even_to_immediate_subscribers(db: Database, tmp_path: Path) -> None:
    """A -> B -> A -> B with a major step in B: one immediate alert (the edit), whoever asked for everything
    immediately; the returns to stored versions are never alerts. The daily digest shows the page once."""
    config_dir = tmp_path / "config"
    (config_dir / "cases").mkdir(parents=True)
    (config_dir / "cases" / "juliaca-2023.yaml").write_bytes((ROOT / "config" / "cases" / "juliaca-2023.yaml")
                                                             .read_bytes())
    (config_dir / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: todo@example.org, cases: [juliaca-2023]}\n"
        "  - {email: ya@example.org, cases: [juliaca-2023], frequency: immediate}\n", encoding="utf-8")
    (config_dir / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    config = load_config(config_dir)
    with db.write() as s:
        sync_sources(s, config.sources, TUESDAY - timedelta(days=1))
        sync_subscribers(s, config.subscribers, TUESDAY - timedelta(days=1))
    a = "La Fiscalía recibió a las familias de las víctimas de la masacre de Juliaca del 9 de enero."
    b = "La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 por la masacre de Juliaca."
    kinds = []
    for i, text in enumerate((a, b, a, b)):
        now = TUESDAY + timedelta(hours=i)
        with db.write() as s:
            kinds.append(ingest(s, Snapshot(url="https://www.gob.pe/institucion/mpfn/noticias/7-juliaca", status=200,
                                            title="Comunicado sobre la masacre de Juliaca", text=text),
                                source_id="mpfn", cases=list(config.cases.values()), now=now).result)
        build_immediate(db, config, now=now + timedelta(minutes=1), base_url="http://127.0.0.1:8080")
    assert kinds == ["new", "updated", "reverted", "reverted"]
    sent = _sent(db)
    assert sent["todo@example.org"] == [("immediate", "immediate", 1)]  # the edit's step, once
    assert sent["ya@example.org"] == [("immediate", "immediate", 1), ("immediate", "immediate", 1)]  # new, edit

    build_scheduled(db, config, since=TUESDAY, now=TUESDAY + timedelta(hours=21), base_url="http://127.0.0.1:8080")
    with db.read() as s:
        daily = next(d for d in all_digests(s) if d.kind == "digest")
        assert daily.subscriber.email == "todo@example.org"
        assert daily.text_body.count("Alterna entre dos versiones · 3 cambios en este periodo") == 1


@pytest.mark.slow
def test_an_edit_of_an_alerted_release_is_not_alerted_again(db: Database, tmp_path: Path) -> None:
    """An edit carries the document's step marked re-published, and its alert is not sent again, even
    when the added text words the step anew; a new document with a new formalization is alerted."""
    config = _setup(db, tmp_path)
    base = "http://127.0.0.1:8080"
    assert [b.subscriber for b in build_immediate(db, config, now=TUESDAY, base_url=base)
            if b.digest_id and b.subscriber == "todo@example.org"] == ["todo@example.org"]
    cases = list(config.cases.values())
    with db.write() as s:
        out = ingest(s, Snapshot(
            url="https://www.gob.pe/institucion/mpfn/noticias/1-formaliza", status=200,
            title="Fiscalía formaliza investigación preparatoria por la masacre de Juliaca",
            text="La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023.\n"
                 "La Fiscalía formalizó investigación preparatoria contra cinco mandos policiales."),
            source_id="mpfn", cases=cases, now=TUESDAY + timedelta(hours=1))
        assert out.result == "updated" and out.change is not None
        assert [(m["type"], m.get("republished")) for m in out.change.milestones] == [("formal_investigation", True)]
    assert not [b for b in build_immediate(db, config, now=TUESDAY + timedelta(hours=2), base_url=base)
                if b.digest_id and b.subscriber == "todo@example.org"]
    with db.write() as s:
        ingest(s, Snapshot(url="https://www.gob.pe/institucion/mpfn/noticias/2-militares", status=200,
                           title="Fiscalía formaliza investigación contra militares por las muertes en Juliaca",
                           text="La Fiscalía formalizó ayer investigación preparatoria contra tres oficiales del "
                                "Ejército por las muertes del 9 de enero de 2023 en Juliaca."),
               source_id="mpfn", cases=cases, now=TUESDAY + timedelta(hours=3))
    [alert] = [b for b in build_immediate(db, config, now=TUESDAY + timedelta(hours=4), base_url=base)
               if b.digest_id and b.subscriber == "todo@example.org"]
    assert alert.changes == 1


def test_only_a_taken_primary_step_of_an_alert_type_is_major() -> None:
    """The selection reads stored milestones: announced, background, secondary and re-published steps never alert."""
    from types import SimpleNamespace

    from alerts.selection import major

    def change(**m: object) -> Any:
        return SimpleNamespace(milestones=[{"type": "formal_investigation", "status": "taken", "primary": True, **m}])

    select = major(["formal_investigation"])
    assert select(None, change(), False)
    assert not select(None, change(), True)  # held: baseline crawl, or an edit of an alerted document
    for other in ({"status": "announced"}, {"status": "background"}, {"primary": False}, {"republished": True},
                  {"type": "statement"}):
        assert not select(None, change(**other), False), other
