"""Re-extraction's change recomputation (pipeline.reextract) and the withdrawn filter of the store's
queries: a withdrawn change is a record only, never news."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from config.schema import Config
from pipeline import reextract
from pipeline.ingest import Snapshot, ingest
from pipeline.store.changes import ChangeFilter, document_changes, list_changes
from pipeline.store.digests import pending_changes_for
from pipeline.store.documents import document_versions, source_document_ids
from pipeline.store.evidence import EvidenceFilter, change_ids_by_version, evidence_changes
from pipeline.store.models import Change, Source, Subscriber
from pipeline.store.session import Database
from pipeline.store.timeline import timeline_rows

URL = "https://www.gob.pe/institucion/mpfn/noticias/1-juliaca"
TITLE = "Fiscalía y la masacre de Juliaca"
OPENED = "La Fiscalía abrió investigación por la masacre de Juliaca del 9 de enero de 2023."
STEP = "La Fiscalía formalizó la investigación preparatoria contra los mandos policiales por la masacre de Juliaca."
PATTERNS = [r"Visitas: \d+"]


def _history(db: Database, config: Config, now: datetime) -> list[int]:
    """new, a counter-only edit, a real step (with a milestone), another counter edit."""
    cases = [config.cases["juliaca-2023"]]
    texts = [f"{OPENED}\nVisitas: 10", f"{OPENED}\nVisitas: 11", f"{OPENED}\n{STEP}\nVisitas: 12",
             f"{OPENED}\n{STEP}\nVisitas: 13"]
    with db.write() as s:
        s.add(Source(id="mpfn", name="MPFN", kind="prosecutor", spider="gobpe", enabled=True, created_at=now,
                     updated_at=now))
        s.add(Subscriber(email="a@example.org", cases=["juliaca-2023"], created_at=now))
    ids = []
    for hours, text in enumerate(texts):
        with db.write() as s:
            out = ingest(s, Snapshot(url=URL, status=200, title=TITLE, text=text, body=text.encode()),
                         source_id="mpfn", cases=cases, now=now + timedelta(hours=hours))
            assert out.change is not None
            ids.append(out.change.id)
    return ids


def _plan(db: Database, extracted: dict[int, tuple[str, str]], patterns: list[str],
          apply_at: datetime | None = None) -> reextract.Plan:
    with db.write() as s:
        [doc_id] = source_document_ids(s, "mpfn")
        versions, changes = document_versions(s, doc_id), document_changes(s, doc_id)
        plan = reextract.plan_document(versions, changes, extracted, patterns)
        if apply_at is not None:
            reextract.apply(plan, versions, changes, apply_at)
        return plan


def test_an_ignore_pattern_withdraws_counter_edits_and_keeps_the_step(db: Database, default_config: Config,
                                                                       now: datetime) -> None:
    new, counter, step, counter_again = _history(db, default_config, now)
    plan = _plan(db, {}, PATTERNS, apply_at=now + timedelta(days=1))
    assert sorted(plan.withdraw) == [counter, counter_again] and plan.kept == [step]
    assert "Visitas" not in plan.diffs[step] and f"+{STEP}" in plan.diffs[step]
    assert len(plan.texts) == 4 and all(t.text.endswith(("10", "11", "12", "13")) for t in plan.texts.values())

    with db.read() as s:
        log = [c.id for c in list_changes(s, ChangeFilter())]
        everything = [c.id for c in list_changes(s, ChangeFilter(include_withdrawn=True))]
        sub = s.scalars(select(Subscriber)).one()
        pending = [c.id for c in pending_changes_for(s, sub)]
        exported = [c.id for c in evidence_changes(s, EvidenceFilter(source_id="mpfn"))]
        touching = change_ids_by_version(s, [v.id for v in document_versions(s, 1)])
        withdrawn = s.get(Change, counter)
        assert withdrawn is not None and withdrawn.withdrawn_at == now + timedelta(days=1)
    assert log == [step, new] and sorted(everything) == [new, counter, step, counter_again]
    assert pending == [new, step] and exported == [new, step]
    assert sorted({cid for ids in touching.values() for cid in ids}) == [new, step]

    # Applied once, planned again: nothing more to do.
    assert _plan(db, {}, PATTERNS).empty


def test_a_withdrawn_step_leaves_the_case_timeline(db: Database, default_config: Config, now: datetime) -> None:
    """Extraction now finds the step already in the first version (say a selector hid it before): the
    change that announced it no longer differs from its predecessor and leaves the timeline."""
    new, counter, step, counter_again = _history(db, default_config, now)
    with db.read() as s:
        assert any(r.change_id == step for r in timeline_rows(s, "juliaca-2023"))
        first, second, third, fourth = (v.id for v in document_versions(s, 1))
    everywhere = f"{OPENED}\n{STEP}"
    plan = _plan(db, {v: (TITLE, everywhere) for v in (first, second, third, fourth)}, PATTERNS,
                 apply_at=now + timedelta(days=1))
    assert sorted(plan.withdraw) == [counter, step, counter_again] and plan.kept == []
    with db.read() as s:
        assert not any(r.change_id == step for r in timeline_rows(s, "juliaca-2023"))
        assert [c.id for c in list_changes(s, ChangeFilter())] == [new]


@pytest.mark.slow
def test_only_own_withdrawals_are_reinstated(db: Database, default_config: Config, now: datetime) -> None:
    _, counter, _, counter_again = _history(db, default_config, now)
    _plan(db, {}, PATTERNS, apply_at=now)
    with db.write() as s:
        other = s.get(Change, counter_again)
        assert other is not None
        other.withdrawn_reason = "withdrawn by a reviewer: duplicate"
    plan = _plan(db, {}, [], apply_at=now + timedelta(hours=1))  # the pattern taken back
    assert plan.reinstate == [counter]
    with db.read() as s:
        rows = {c.id: c for c in s.scalars(select(Change))}
    assert rows[counter].withdrawn_at is None and rows[counter].withdrawn_reason is None
    assert rows[counter_again].withdrawn_at is not None


def test_current_text_matches_ingest() -> None:
    """A re-extracted version gets exactly the fingerprint a fresh crawl of the same text would."""
    from pipeline.detect.fingerprint import fingerprint
    from pipeline.detect.normalize import clean_text, normalize

    text = "  Título\u00a0 \r\n\r\n\r\nCuerpo   del texto\nVisitas: 5 "
    fresh = reextract.current_text(" Un\ntítulo ", text, PATTERNS)
    assert fresh.title == "Un título" and fresh.text == clean_text(text)
    assert fresh.sha256 == fingerprint("Un título", normalize(clean_text(text), PATTERNS))


def test_a_return_to_a_stored_version_is_judged_like_an_edit(db: Database, default_config: Config,
                                                              now: datetime) -> None:
    """A -> B -> A: the return is kept while its versions differ (its diff recomputed, naming the version it
    went back to) and withdrawn with the edit once the current rules make the two versions equal."""
    cases = [default_config.cases["juliaca-2023"]]
    with db.write() as s:
        s.add(Source(id="mpfn", name="MPFN", kind="prosecutor", spider="gobpe", enabled=True, created_at=now,
                     updated_at=now))
    kinds, ids = [], []
    for hours, text in enumerate((f"{OPENED}\nVisitas: 1", f"{OPENED}\n{STEP}\nVisitas: 2", f"{OPENED}\nVisitas: 1")):
        with db.write() as s:
            out = ingest(s, Snapshot(url=URL, status=200, title=TITLE, text=text, body=text.encode()),
                         source_id="mpfn", cases=cases, now=now + timedelta(hours=hours))
            assert out.change is not None
            kinds.append(out.result)
            ids.append(out.change.id)
    assert kinds == ["new", "updated", "reverted"]
    with db.read() as s:
        [doc_id] = source_document_ids(s, "mpfn")
        v1, v2 = (v.id for v in document_versions(s, doc_id))
    plan = _plan(db, {}, PATTERNS)
    assert plan.kept == [ids[1], ids[2]] and f"+++ version {v1}" in plan.diffs[ids[2]]
    assert f"-{STEP}" in plan.diffs[ids[2]] and f"+{OPENED}" not in plan.diffs[ids[2]]
    same = _plan(db, {v2: (TITLE, f"{OPENED}\nVisitas: 2")}, PATTERNS)  # the step no longer extracted from B
    assert same.withdraw.keys() == {ids[1], ids[2]} and f"versions {v2} and {v1}" in same.withdraw[ids[2]]
