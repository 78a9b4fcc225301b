"""Case timeline: each legal step once, with all its sources, in the order it happened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.store.models import Change, ChangeCase, Document, Source
from pipeline.store.session import Database
from pipeline.store.timeline import MilestoneRow, case_timeline, fallback_date, merge

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def milestone(type_: str, day: str | None, status: str = "taken", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "label": type_.replace("_", " "), "identifiers": extra.pop("identifiers", []),
            "actors": extra.pop("actors", []), "date": day, "status": status, "evidence": f"{type_} {day}"}


def row(change_id: int, m: dict[str, Any], *, source: str = "larepublica", detected: datetime = T0,
        published: datetime | None = None, story: int | None = None, document: int | None = None) -> MilestoneRow:
    return MilestoneRow(change_id=change_id, document_id=document or change_id, detected_at=detected,
                        published_at=published, source_id=source, source_name=source.title(),
                        url=f"https://{source}.pe/{change_id}", title=f"Nota {change_id}", story_id=story,
                        milestone=m)


def test_same_step_from_two_outlets_is_one_entry() -> None:
    entries = merge([
        row(1, milestone("investigation_extended", "2026-11-21", identifiers=[{"kind": "carpeta_fiscal",
                                                                              "value": "023-2023"}],
                     actors=["Dina Boluarte"]), source="larepublica"),
        row(2, milestone("investigation_extended", "2026-11-21", actors=["Dina Boluarte", "Alberto Otárola"]),
            source="elcomercio", detected=T0 + timedelta(hours=3)),
    ])
    [entry] = entries
    assert entry.date == date(2026, 11, 21) and entry.date_known and entry.status == "taken"
    assert [s.source_id for s in entry.sources] == ["larepublica", "elcomercio"]
    assert [s.change_id for s in entry.sources] == [1, 2]
    assert entry.identifiers == ({"kind": "carpeta_fiscal", "value": "023-2023"},)
    assert entry.actors == ("Dina Boluarte", "Alberto Otárola")
    assert entry.first_detected_at == T0


def test_ordered_by_event_date_not_detection() -> None:
    """An old step reported today comes before a recent one reported yesterday."""
    entries = merge([
        row(1, milestone("archived", "2026-11-20"), detected=T0 - timedelta(days=1)),
        row(2, milestone("constitutional_complaint", "2024-03-05"), detected=T0),
        row(3, milestone("preliminary_investigation", "2023-01-10"), detected=T0 + timedelta(days=1)),
    ])
    assert [e.type for e in entries] == ["preliminary_investigation", "constitutional_complaint", "archived"]
    same_day = merge([row(5, milestone("hearing", "2026-11-20"), detected=T0 + timedelta(hours=1)),
                      row(4, milestone("testimony", "2026-11-20"), detected=T0)])
    assert [e.type for e in same_day] == ["testimony", "hearing"]  # ties: first detected first


def test_announced_is_kept_apart_from_taken() -> None:
    entries = merge([
        row(1, milestone("formal_investigation", "2026-12-15", status="announced")),
        row(2, milestone("formal_investigation", "2026-12-15", status="taken"), source="infobae"),
        row(3, milestone("formal_investigation", "2026-12-15", status="announced"), source="wayka"),
    ])
    assert [(e.status, len(e.sources)) for e in entries] == [("announced", 2), ("taken", 1)]
    assert entries[0].announced and not entries[1].announced


def test_different_dates_or_types_are_different_steps() -> None:
    entries = merge([
        row(1, milestone("hearing", "2026-11-10")),
        row(2, milestone("hearing", "2026-11-24")),
        row(3, milestone("testimony", "2026-11-24")),
    ])
    assert [(e.type, e.date.day) for e in entries] == [("hearing", 10), ("hearing", 24), ("testimony", 24)]


CASE_023 = [{"kind": "carpeta_fiscal", "value": "023-2023"}]
CASE_031 = [{"kind": "carpeta_fiscal", "value": "031-2023"}]


def test_reports_a_day_apart_of_one_case_are_one_step_dated_as_most_say() -> None:
    """"ayer" in a story published after midnight is a day off: the same case file makes it one step."""
    entries = merge([
        row(1, milestone("formal_investigation", "2026-11-30", identifiers=CASE_023), source="mpfn"),
        row(2, milestone("formal_investigation", "2026-12-01", identifiers=CASE_023), source="larepublica"),
        row(3, milestone("formal_investigation", "2026-11-30", identifiers=[{"kind": "carpeta_fiscal",
                                                                            "value": "023 - 2023"}]),
            source="elcomercio"),
    ])
    [entry] = entries
    assert entry.date == date(2026, 11, 30) and [s.source_id for s in entry.sources] == [
        "mpfn", "larepublica", "elcomercio"]


def test_other_case_files_or_no_common_facts_are_other_steps() -> None:
    same_day = merge([row(1, milestone("formal_investigation", "2026-11-30", identifiers=CASE_023)),
                      row(2, milestone("formal_investigation", "2026-11-30", identifiers=CASE_031), source="rpp")])
    assert [(e.date.day, e.identifiers) for e in same_day] == [(30, tuple(CASE_023)), (30, tuple(CASE_031))]
    # A day apart, one shared institution is no evidence; two shared actors or the story are.
    one = ["Ministerio Público"]
    two = ["Ministerio Público", "Julio Santos Mauricio Contreras"]
    apart = merge([row(1, milestone("hearing", "2026-11-10", actors=one)),
                   row(2, milestone("hearing", "2026-11-11", actors=one), source="rpp")])
    assert [e.date.day for e in apart] == [10, 11]
    assert len(merge([row(1, milestone("hearing", "2026-11-10", actors=two)),
                      row(2, milestone("hearing", "2026-11-11", actors=two), source="rpp")])) == 1
    assert len(merge([row(1, milestone("hearing", "2026-11-10"), story=4),
                      row(2, milestone("hearing", "2026-11-11"), story=4, source="rpp")])) == 1
    # Two days apart is another step even in the same case file (two sessions of one hearing).
    assert len(merge([row(1, milestone("hearing", "2026-11-10", identifiers=CASE_023)),
                      row(2, milestone("hearing", "2026-11-12", identifiers=CASE_023), source="rpp")])) == 2


def test_an_entry_all_of_whose_reports_are_gone_is_marked() -> None:
    gone = MilestoneRow(change_id=1, document_id=1, detected_at=T0, published_at=None, source_id="mpfn",
                        source_name="MPFN", url="https://mpfn.pe/1", title="Nota 1", story_id=None,
                        milestone=milestone("archived", "2026-11-20"), removed=True)
    [alone] = merge([gone])
    assert alone.removed and alone.as_json()["removed"] is True
    [both] = merge([gone, row(2, milestone("archived", "2026-11-20"), source="rpp")])
    assert not both.removed and len(both.sources) == 2


def test_undated_steps_fall_back_to_publication_then_detection() -> None:
    published = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 24 Nov, 22:00 in Lima
    entries = merge([
        row(1, milestone("statement", None), published=published),
        row(2, milestone("report", None), detected=datetime(2026, 11, 26, 15, 0, tzinfo=UTC)),
    ])
    assert [(e.type, e.date, e.date_known) for e in entries] == [
        ("statement", date(2026, 11, 24), False), ("report", date(2026, 11, 26), False)]
    assert fallback_date(row(9, milestone("x", None), published=published)) == date(2026, 11, 24)


def test_undated_steps_merge_by_story() -> None:
    entries = merge([
        row(1, milestone("statement", None), story=7, published=datetime(2026, 11, 24, 15, tzinfo=UTC)),
        row(2, milestone("statement", None), story=7, source="wayka",
            published=datetime(2026, 11, 23, 15, tzinfo=UTC)),
        row(3, milestone("statement", None), story=8, source="rpp"),  # another event: another entry
    ])
    assert [(len(e.sources), e.date) for e in entries] == [(2, date(2026, 11, 23)), (1, date(2026, 11, 27))]


def test_undated_report_joins_the_dated_entry_of_its_story() -> None:
    entries = merge([
        row(1, milestone("investigation_extended", "2026-11-21"), story=7),
        row(2, milestone("investigation_extended", None), story=7, source="wayka"),
        row(3, milestone("investigation_extended", None), story=9, source="rpp"),  # not the same event
    ])
    assert [(e.date_known, [s.source_id for s in e.sources]) for e in entries] == [
        (True, ["larepublica", "wayka"]), (False, ["rpp"])]


def test_rows_without_type_are_ignored_and_bad_dates_are_undated() -> None:
    entries = merge([row(1, {"label": "?"}), row(2, milestone("hearing", "el martes"))])
    assert [(e.type, e.date_known) for e in entries] == [("hearing", False)]


# ------------------------------------------------------------------------------ in the database


def _change(s, n: int, source: str, milestones: list[dict[str, Any]], *, detected: datetime,
            case: str = "juliaca-2023", relevant: bool = True, kind: str = "new",
            published: datetime | None = None, document: Document | None = None) -> Change:
    if s.get(Source, source) is None:
        s.add(Source(id=source, name=source.upper(), kind="news", spider="feed", created_at=T0, updated_at=T0))
        s.flush()
    doc = document or Document(url=f"https://{source}.pe/{n}", source_id=source, title=f"Nota {n}",
                               published_at=published, first_seen_at=detected, last_checked_at=detected)
    change = Change(kind=kind, detected_at=detected, document=doc, source_id=source, title=f"Nota {n}",
                    relevant=relevant, milestones=milestones)
    if relevant:
        change.case_links.append(ChangeCase(case_id=case, score=5.0, matched_terms=["Juliaca"]))
    s.add(change)
    s.flush()
    return change


def test_case_timeline_query(db: Database) -> None:
    with db.write() as s:
        a = _change(s, 1, "larepublica", [milestone("investigation_extended", "2026-11-21"),
                                          milestone("formal_investigation", "2027-07-01", status="announced")],
                    detected=T0)
        _change(s, 2, "elcomercio", [milestone("investigation_extended", "2026-11-21")],
                detected=T0 + timedelta(hours=2))
        _change(s, 3, "rpp", [milestone("constitutional_complaint", "2024-03-05")], detected=T0 + timedelta(days=1))
        _change(s, 4, "wayka", [milestone("statement", None)], detected=T0 + timedelta(days=1),
                published=datetime(2026, 11, 26, 14, tzinfo=UTC))
        _change(s, 5, "otro", [milestone("archived", "2026-11-01")], detected=T0, case="ayacucho-2022")
        _change(s, 6, "ruido", [milestone("archived", "2026-11-02")], detected=T0, relevant=False)
        _change(s, 7, "larepublica", [milestone("investigation_extended", "2026-11-21")], detected=T0,
                kind="removed", document=a.document)
        _change(s, 8, "sinhitos", [], detected=T0)
    with db.read() as s:
        entries = case_timeline(s, "juliaca-2023")
    assert [(e.type, e.date.isoformat(), e.date_known, e.status) for e in entries] == [
        ("constitutional_complaint", "2024-03-05", True, "taken"),
        ("investigation_extended", "2026-11-21", True, "taken"),
        ("statement", "2026-11-26", False, "taken"),
        ("formal_investigation", "2027-07-01", True, "announced"),
    ]
    extended = entries[1]
    assert [(src.source_id, src.source_name, src.url) for src in extended.sources] == [
        ("larepublica", "LAREPUBLICA", "https://larepublica.pe/1"), ("elcomercio", "ELCOMERCIO", "https://elcomercio.pe/2")]
    assert extended.first_detected_at == T0
    assert not any(e.removed for e in entries)
    with db.read() as s:
        assert case_timeline(s, "ayacucho-2022")[0].type == "archived"
        assert case_timeline(s, "nadie") == []
    with db.write() as s:  # the complaint's only report is taken down: the step stays, marked
        complaint = s.query(Document).filter(Document.url == "https://rpp.pe/3").one()
        complaint.state = "removed"
    with db.read() as s:
        assert [e.type for e in case_timeline(s, "juliaca-2023") if e.removed] == ["constitutional_complaint"]


def test_default_case_timeline_from_real_texts(db, default_config, now) -> None:
    """Texts detected out of order, classified by the real rules: the timeline follows the event dates,
    and the same step reported by two outlets is one entry with both sources."""
    from datetime import date, timedelta

    from pipeline.ingest import Snapshot, ingest
    from pipeline.store.models import Source
    from pipeline.store.timeline import case_timeline

    cases = list(default_config.cases.values())
    with db.write() as s:
        for sid in ("larepublica", "infobae", "mpfn"):
            s.add(Source(id=sid, name=sid, kind="news", spider="feed", enabled=True, created_at=now, updated_at=now))
    reports = [  # (source, url, title, text) in detection order
        ("mpfn", "https://gob.pe/3", "Fiscalía formaliza investigación preparatoria por las muertes en Juliaca",
         "El 12 de marzo de 2024 la fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 "
         "por las muertes del 9 de enero de 2023 en Juliaca."),
        ("larepublica", "https://larepublica.pe/1", "Masacre de Juliaca: Fiscalía abre investigación preliminar",
         "El 10 de enero de 2023 la Fiscalía abrió investigación preliminar por las muertes en Juliaca."),
        ("infobae", "https://infobae.com/2",
         "Juliaca: Ministerio Público inicia investigación preliminar por 17 muertes",
         "El Ministerio Público inició el 10 de enero de 2023 una investigación preliminar por la masacre de Juliaca."),
    ]
    for i, (sid, url, title, text) in enumerate(reports):
        with db.write() as s:
            ingest(s, Snapshot(url=url, status=200, title=title, text=text), source_id=sid, cases=cases,
                   now=now + timedelta(hours=i))
    with db.read() as s:
        timeline = case_timeline(s, "juliaca-2023")
    steps = [(e.type, e.date, sorted(src.source_id for src in e.sources)) for e in timeline if e.date_known]
    assert steps[:2] == [
        ("preliminary_investigation", date(2023, 1, 10), ["infobae", "larepublica"]),
        ("formal_investigation", date(2024, 3, 12), ["mpfn"]),
    ], steps


def test_background_requested_and_republished_steps_are_no_entries() -> None:
    """The timeline shows steps taken (and announced, apart), never a step mentioned as context or
    asked for, nor an edit re-publishing a step it already has; rows stored before statuses count as taken."""
    legacy = milestone("hearing", "2026-11-10")
    del legacy["status"]
    entries = merge([
        row(1, {**milestone("formal_investigation", "2026-11-20"), "primary": True}),
        row(2, milestone("preliminary_investigation", "2026-11-20", "background")),
        row(3, milestone("coercive_measure", None, "requested")),
        row(4, {**milestone("formal_investigation", None), "primary": True, "republished": True}, document=1),
        row(5, milestone("indictment", None, "announced")),
        row(6, legacy),
    ])
    assert [(e.type, e.status) for e in entries] == [
        ("hearing", "taken"), ("formal_investigation", "taken"), ("indictment", "announced")]
    assert [s.change_id for s in entries[1].sources] == [1]
