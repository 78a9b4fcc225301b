"""Stories: five outlets on one decision group together; other steps of the same case stay apart."""

from __future__ import annotations

import itertools
import random
import tracemalloc
from datetime import datetime, timedelta

import pytest

from pipeline.classify.stories import (
    SKETCH_SIZE,
    THRESHOLD,
    Signature,
    Sketch,
    jaccard,
    same_story,
    signature,
    similarity,
)
from pipeline.store.models import Change, Document, Source
from pipeline.store.session import Database, Session
from pipeline.store.stories import stories_by_id
from pipeline.stories import assign_story, best_story
from tests.support.story_texts import (
    CONGRESS_ARCHIVES,
    CONGRESS_ARCHIVES_2,
    IACHR_HEARING,
    OTHER_EVENTS,
    POLICE_FORMALIZED,
    SAME_DECISION,
    VICTIMS_MARCH,
    Report,
)


def sig(report: Report) -> Signature:
    return signature(report.title, report.text)


def test_five_outlets_on_one_decision_are_one_story() -> None:
    scores = [similarity(sig(a), sig(b)) for a, b in itertools.combinations(SAME_DECISION, 2)]
    # Measured: 0.3685 (Infobae's paraphrase vs Los Andes' victims-first lead) .. 0.5467.
    assert min(scores) >= THRESHOLD, sorted(scores)
    assert min(scores) == pytest.approx(0.3685, abs=0.005)
    assert same_story(sig(CONGRESS_ARCHIVES), sig(CONGRESS_ARCHIVES_2))  # 0.59: another event, two outlets


def test_other_steps_of_the_case_stay_apart() -> None:
    """Same case, same names and background (Juliaca, Boluarte, 18 muertos, 9 de enero): other events."""
    everything = [*SAME_DECISION, *OTHER_EVENTS]
    scores = {(a.url, b.url): similarity(sig(a), sig(b)) for a, b in itertools.combinations(everything, 2)
              if not (a in SAME_DECISION and b in SAME_DECISION)}
    # Hardest: the same outlet on two prosecutor decisions of the case (0.2767).
    assert max(scores.values()) < THRESHOLD, max(scores.items(), key=lambda kv: kv[1])
    assert max(scores.values()) == pytest.approx(0.2767, abs=0.005)
    for event in (CONGRESS_ARCHIVES_2, POLICE_FORMALIZED, VICTIMS_MARCH, IACHR_HEARING):
        assert not any(same_story(sig(event), sig(r)) for r in SAME_DECISION)


def test_headline_alone_does_not_decide() -> None:
    """Headlines of one event may share nothing; the lead carries it."""
    wayka, comercio = SAME_DECISION[3], SAME_DECISION[1]
    assert jaccard(sig(wayka).title, sig(comercio).title) < 0.1
    assert same_story(sig(wayka), sig(comercio))


def test_teasers_are_not_compared() -> None:
    """A bare headline cannot tell two steps of one case apart: it never joins a story by itself."""
    teaser = signature(SAME_DECISION[0].title, "")
    assert not teaser.comparable
    assert not same_story(teaser, sig(SAME_DECISION[1]))
    assert best_story(teaser, [(1, sig(SAME_DECISION[1]))]) == (None, 0.0)


def test_signature_is_compact_and_round_trips() -> None:
    s = sig(SAME_DECISION[0])
    data = s.to_json()
    assert Signature.from_json(data) == s
    assert Signature.from_json({**data, "v": 99}) is None  # another algorithm: not comparable
    assert Signature.from_json(None) is None and Signature.from_json({"v": 1}) is None
    long_text = " ".join(f"w{i}" for i in range(5000))  # distinct stems (a stem is 5 characters)
    big = signature("Título", long_text, lead_words=5000)
    assert len(big.text) == SKETCH_SIZE and big.text_size > SKETCH_SIZE


def test_sketch_estimate_is_close_for_long_texts() -> None:
    """Beyond the sketch size the Jaccard is estimated; it stays near the exact value."""
    a = " ".join(f"w{i}" for i in range(0, 1200))
    b = " ".join(f"w{i}" for i in range(400, 1600))  # exact Jaccard 800 / 1600 = 0.5
    estimate = jaccard(signature("", a, 2000).text, signature("", b, 2000).text)
    assert abs(estimate - 0.5) < 0.1


def _bottom_k_jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """The estimate spelled out: of the SKETCH_SIZE smallest hashes of the union, the share both hold."""
    union = sorted(a | b)[:SKETCH_SIZE]
    return sum(1 for h in union if h in a and h in b) / len(union)


@pytest.mark.parametrize("seed", range(5))
def test_packed_sketches_give_the_bottom_k_estimate_exactly(seed: int) -> None:
    """Small sets, sets whose union overflows the sketch, full sketches, disjoint and equal ones."""
    rnd = random.Random(seed)
    for _ in range(200):
        universe = rnd.choice((300, 600, 5000, 2**32 - 1))
        a = frozenset(sorted({rnd.randrange(universe) for _ in range(rnd.randrange(1, 400))})[:SKETCH_SIZE])
        b = frozenset(sorted({rnd.randrange(universe) for _ in range(rnd.randrange(1, 400))})[:SKETCH_SIZE])
        for x, y in ((a, b), (a, a), (a, frozenset(h + 2**31 for h in a if h < 2**31))):
            if x and y:
                assert jaccard(Sketch(x), Sketch(y)) == _bottom_k_jaccard(x, y)
    assert jaccard(Sketch(), Sketch([1])) == 0.0


def test_parsed_signatures_are_small_in_memory() -> None:
    """A crawl keeps the parsed signatures of up to 2 x MAX_CANDIDATES recent reports: four bytes a hash,
    not a Python int and a set slot (~9 KB a news report as frozensets, 17 MB for 2000)."""
    stored = [sig(r).to_json() for r in (*SAME_DECISION, CONGRESS_ARCHIVES, POLICE_FORMALIZED, IACHR_HEARING)]
    assert min(len(s["text"]) for s in stored) >= 30
    tracemalloc.start()
    try:
        parsed = [Signature.from_json(s) for s in stored * 20]
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(p is not None for p in parsed)
    per_hash = used / sum(len(s["text"]) + len(s["title"]) for s in stored * 20)
    assert per_hash < 24, per_hash  # 4 bytes packed, plus each signature's own objects (short texts here)


def test_best_story_picks_the_closest() -> None:
    s = sig(SAME_DECISION[4])
    candidates = [(1, sig(POLICE_FORMALIZED)), (2, sig(SAME_DECISION[0])), (3, sig(CONGRESS_ARCHIVES))]
    story, score = best_story(s, candidates)
    assert story == 2 and score >= THRESHOLD


# ------------------------------------------------------------------------------ in the database


def _sources(session: Session, now: datetime, reports: list[Report]) -> None:
    for sid, name in dict((r.source_id, r.source_name) for r in reports).items():
        if session.get(Source, sid) is None:
            session.add(Source(id=sid, name=name, kind="news", spider="feed", created_at=now, updated_at=now))
    session.flush()


def _report(db: Database, report: Report, now: datetime, *, kind: str = "new", relevant: bool = True,
            document: int | None = None) -> Change:
    with db.write() as s:
        _sources(s, now, [report])
        doc = s.get(Document, document) if document else None
        if doc is None:
            doc = Document(url=report.url, source_id=report.source_id, title=report.title, first_seen_at=now,
                           last_checked_at=now)
            s.add(doc)
            s.flush()
        change = Change(kind=kind, detected_at=now, document=doc, source_id=report.source_id, title=report.title,
                        relevant=relevant)
        assign_story(s, change, report.title, report.text, now)
        s.add(change)
        s.flush()
        return change


def test_assign_story_groups_outlets(db: Database, now: datetime) -> None:
    reports = [SAME_DECISION[0], CONGRESS_ARCHIVES, SAME_DECISION[1], POLICE_FORMALIZED, SAME_DECISION[2],
               CONGRESS_ARCHIVES_2, SAME_DECISION[3], VICTIMS_MARCH, SAME_DECISION[4], IACHR_HEARING]
    changes = [_report(db, r, now + timedelta(hours=i)) for i, r in enumerate(reports)]
    story_of = {r.url: c.story_id for r, c in zip(reports, changes, strict=True)}
    decision = {story_of[r.url] for r in SAME_DECISION}
    assert len(decision) == 1
    [decision_id] = decision
    assert story_of[CONGRESS_ARCHIVES.url] == story_of[CONGRESS_ARCHIVES_2.url] != decision_id
    others = {story_of[r.url] for r in (CONGRESS_ARCHIVES, POLICE_FORMALIZED, VICTIMS_MARCH, IACHR_HEARING)}
    assert len(others) == 4 and decision_id not in others
    with db.read() as s:
        info = stories_by_id(s, [decision_id])[decision_id]
        assert info.size == 5
        assert info.source_ids == ["larepublica", "elcomercio", "infobae", "wayka", "losandes"]
        assert info.title == SAME_DECISION[0].title
        assert [r.url for r in info.reports] == [r.url for r in SAME_DECISION]
        story = s.get(Change, changes[0].id).story
        assert story is not None and story.first_seen_at == now and story.last_seen_at == now + timedelta(hours=8)


def test_updates_keep_their_story_and_irrelevant_reports_get_none(db: Database, now: datetime) -> None:
    first = _report(db, SAME_DECISION[0], now)
    second = _report(db, SAME_DECISION[1], now)
    assert first.story_id == second.story_id is not None
    edited = Report(**{**SAME_DECISION[1].__dict__, "text": "Nada que ver: " + POLICE_FORMALIZED.text})
    update = _report(db, edited, now + timedelta(hours=1), kind="updated", document=second.document_id)
    assert update.story_id == first.story_id and update.signature is None  # not re-compared
    irrelevant = _report(db, SAME_DECISION[2], now, relevant=False)
    assert irrelevant.story_id is None and irrelevant.signature is None
    with db.read() as s:
        assert stories_by_id(s, [first.story_id])[first.story_id].size == 2  # an update is not a new report


def test_reports_of_one_batch_are_signed_with_their_source_name_read_once(db: Database, now: datetime) -> None:
    """Two relevant reports of one source in one transaction (a crawl's batch): each signature names
    the source's outlet; the source's row is read once for the batch, not once per report."""
    from sqlalchemy import event

    first = SAME_DECISION[0]
    second = Report(**{**SAME_DECISION[1].__dict__, "source_id": first.source_id, "source_name": first.source_name})
    with db.write() as s:
        _sources(s, now, [first])
    reads: list[str] = []
    listener = lambda conn, cursor, statement, *rest: reads.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.write() as s:
            signatures = []
            for report in (first, second):
                doc = Document(url=report.url, source_id=report.source_id, title=report.title, first_seen_at=now,
                               last_checked_at=now)
                change = Change(kind="new", detected_at=now, document=doc, source_id=report.source_id,
                                title=report.title, relevant=True)
                s.add(doc)
                assign_story(s, change, report.title, report.text, now)
                s.add(change)
                s.flush()
                signatures.append(change.signature)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    outlet = signature(first.title, first.text, outlet=first.source_name).outlet  # "La República", folded
    assert outlet and all(signed is not None and signed["outlet"] == outlet for signed in signatures)
    assert sum("FROM sources" in statement for statement in reads) == 1


def test_old_reports_are_not_candidates(db: Database, now: datetime) -> None:
    old = _report(db, SAME_DECISION[0], now - timedelta(days=20))
    fresh = _report(db, SAME_DECISION[1], now)
    assert old.story_id != fresh.story_id


def test_migration_0003_keeps_changes_and_their_links(db_url: str) -> None:
    """Adding the story columns must not rebuild ``changes`` on SQLite (its links would fail or be
    cascade-deleted); down and up again keep every row too."""
    from alembic import command
    from sqlalchemy import text

    from pipeline.store.session import alembic_config

    db = Database(db_url)

    def migrate(target: str, down: bool = False) -> None:
        with db.engine.begin() as conn:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, target)

    def counts() -> tuple[int, int, int]:
        with db.engine.connect() as conn:
            return tuple(conn.execute(text(f"select count(*) from {t}")).scalar_one()  # type: ignore[return-value]
                         for t in ("changes", "change_cases", "digest_items"))

    migrate("0002")
    day = "2026-11-27 12:00:00"
    with db.engine.begin() as conn:
        for sql in (
            "insert into sources (id, name, kind, spider, enabled, created_at, updated_at) "
            f"values ('s', 'S', 'news', 'feed', true, '{day}', '{day}')",
            "insert into documents (id, url, source_id, title, first_seen_at, last_checked_at, state, missing_count, "
            f"pinned) values (1, 'https://x.pe/1', 's', 'T', '{day}', '{day}', 'active', 0, false)",
            "insert into changes (id, kind, detected_at, document_id, source_id, title, summary, relevant, relevance, "
            f"matched_terms, milestones) values (1, 'new', '{day}', 1, 's', 'T', '', true, 1, '[]', '[]')",
            "insert into change_cases (change_id, case_id, score, matched_terms) values (1, 'c', 1, '[]')",
            "insert into subscribers (id, email, name, language, cases, frequency, active, created_at) "
            f"values (1, 'a@x.pe', 'A', 'es', '[]', 'daily', true, '{day}')",
            "insert into digests (id, subscriber_id, period, created_at, status, message_id, subject, text_body, "
            f"html_body, attempts) values (1, 1, 'p', '{day}', 'sent', '<m@x>', 's', 't', 'h', 1)",
            "insert into digest_items (digest_id, change_id, subscriber_id) values (1, 1, 1)",
        ):
            conn.execute(text(sql))
    migrate("head")
    assert counts() == (1, 1, 1)
    with db.read() as s:
        change = s.get(Change, 1)
        assert change is not None and change.related_cases == [] and change.story_id is None
    migrate("0002", down=True)
    assert counts() == (1, 1, 1)
    migrate("head")
    assert counts() == (1, 1, 1)
    db.dispose()
