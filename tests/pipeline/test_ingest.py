"""The change-detection loop: new, unchanged, updated, removed after two 404s, restored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.schema import Case, Term
from pipeline.ingest import Snapshot, ingest
from pipeline.store.changes import ChangeFilter, get_change, list_changes
from pipeline.store.documents import count_versions, current_version, current_versions, document_versions, get_document
from pipeline.store.models import Source
from pipeline.store.session import Database

pytestmark = pytest.mark.postgres  # storage: what ingest writes, and reads back, on both databases

CASE = Case(id="juliaca-2023", name="Juliaca", threshold=3,
            terms=(Term(term="masacre de Juliaca", weight=3), Term(term="Juliaca"), Term(term="fiscalía")))
URL = "https://example.org/noticias/1-fiscalia"


def _source(db: Database, now) -> None:
    with db.write() as s:
        s.add(Source(id="mpfn", name="MPFN", kind="prosecutor", spider="page", enabled=True,
                     created_at=now, updated_at=now))


def _ingest(db: Database, snap: Snapshot, now, patterns=()):
    with db.write() as s:
        out = ingest(s, snap, source_id="mpfn", cases=[CASE], ignore_patterns=patterns, now=now)
        return out.result, (out.change.id if out.change else None)


def page(text: str, status: int = 200, title: str = "Fiscalía y la masacre de Juliaca") -> Snapshot:
    return Snapshot(url=URL, status=status, title=title, text=text, body=text.encode(),
                    headers={"ETag": '"abc"'}, content_type="text/html")


@pytest.mark.slow
def test_lifecycle(db: Database, now) -> None:
    _source(db, now)
    assert _ingest(db, page("La fiscalía abrió investigación.\n\nVisitas: 10"), now, [r"Visitas: \d+"])[0] == "new"
    # same text, different counter -> ignored
    again = page("La fiscalía abrió investigación.\n\nVisitas: 11")
    assert _ingest(db, again, now, [r"Visitas: \d+"])[0] == "unchanged"
    kind, cid = _ingest(db, page("La fiscalía amplió la investigación."), now + timedelta(hours=1))
    assert kind == "updated"
    with db.read() as s:
        change = get_change(s, cid)
        assert change is not None
        assert "-La fiscalía abrió investigación." in (change.diff or "")
        assert "+La fiscalía amplió la investigación." in (change.diff or "")
        assert change.relevant and change.matched_terms[:2] == ["masacre de Juliaca", "Juliaca"]
        assert [link.case_id for link in change.case_links] == ["juliaca-2023"]
    # first 404: only missing; second: removed
    assert _ingest(db, page("", status=404), now + timedelta(hours=2))[0] == "missing"
    kind, cid = _ingest(db, page("", status=404), now + timedelta(hours=3))
    assert kind == "removed"
    assert _ingest(db, page("", status=410), now + timedelta(hours=4))[0] == "unchanged"
    assert _ingest(db, page("La fiscalía amplió la investigación."), now + timedelta(hours=5))[0] == "restored"
    with db.read() as s:
        assert count_versions(s) == 3
        kinds = [c.kind for c in list_changes(s, ChangeFilter())]
        assert kinds == ["restored", "removed", "updated", "new"]
        removed = get_change(s, cid)
        assert removed is not None and removed.to_version is None and removed.from_version is not None


def test_404_then_200_resets_missing_count(db: Database, now) -> None:
    _source(db, now)
    _ingest(db, page("texto"), now)
    assert _ingest(db, page("", status=404), now)[0] == "missing"
    assert _ingest(db, page("texto"), now)[0] == "unchanged"
    assert _ingest(db, page("", status=404), now)[0] == "missing"  # the count started again


def test_empty_extraction_keeps_last_version(db: Database, now) -> None:
    _source(db, now)
    _ingest(db, page("El fiscal declaró."), now)
    assert _ingest(db, page("   "), now)[0] == "empty"
    with db.read() as s:
        assert count_versions(s) == 1


def test_unrelated_document_is_stored_but_not_relevant(db: Database, now) -> None:
    _source(db, now)
    kind, cid = _ingest(db, page("El Congreso eligió su mesa directiva.", title="Mesa directiva"), now)
    with db.read() as s:
        change = get_change(s, cid)
        assert kind == "new" and change is not None and not change.relevant and change.case_links == []


def test_version_keeps_compressed_raw_body_and_validators(db: Database, now) -> None:
    from pipeline.store.bodies import raw_bytes

    _source(db, now)
    _, cid = _ingest(db, page("Cuerpo"), now)
    with db.read() as s:
        change = get_change(s, cid)
        assert change is not None and change.to_version is not None
        v = change.to_version
        assert raw_bytes(v) == b"Cuerpo" and v.etag == '"abc"' and v.http_status == 200
        assert v.fetched_at == now and len(v.sha256) == 64


def test_milestones_and_related_cases_are_stored_with_the_change(db, default_config, now) -> None:
    """The decision ingest stores is the one `casewatch classify` explains."""
    from pipeline.ingest import Snapshot, ingest
    from pipeline.store.models import Source

    cases = list(default_config.cases.values())
    with db.write() as s:
        s.add(Source(id="src", name="S", kind="news", spider="feed", enabled=True, created_at=now, updated_at=now))
    step = Snapshot(url="https://x.pe/a", status=200, title="Fiscalía amplía por ocho meses la investigación por "
                    "la masacre de Juliaca", text="La fiscalía amplió el plazo de la carpeta fiscal 023-2023.")
    look_alike = Snapshot(url="https://x.pe/b", status=200, title="Recuerdan a los muertos de junio de 2011 en el "
                          "aeropuerto de Juliaca", text="Las protestas de 2011 dejaron muertos en Juliaca.")
    with db.write() as s:
        first = ingest(s, step, source_id="src", cases=cases, now=now).change
        second = ingest(s, look_alike, source_id="src", cases=cases, now=now).change
        assert first is not None and second is not None
        assert first.relevant and [m["type"] for m in first.milestones][:1] == ["investigation_extended"]
        assert {"kind": "carpeta_fiscal", "value": "023-2023"} in first.milestones[0]["identifiers"]
        assert not second.relevant and second.milestones == [] and second.related_cases == ["juliaca-2011"]


@pytest.mark.slow
def test_return_to_a_stored_version_is_reverted_to_it_without_a_new_version(db: Database, now) -> None:
    """A -> B -> A -> B: new, updated (the one edit), reverted to v1, reverted to v2; two versions stored,
    the reverts carry no legal step (never an alert of content already seen), and the current text is
    what the site showed last, so the next identical fetch is unchanged."""
    _source(db, now)
    a = "La fiscalía abrió investigación por la masacre de Juliaca."
    b = "La Fiscalía formalizó investigación preparatoria por la masacre de Juliaca."
    seen = [_ingest(db, page(text), now + timedelta(hours=i)) for i, text in enumerate((a, b, a, b))]
    assert [kind for kind, _ in seen] == ["new", "updated", "reverted", "reverted"]
    assert _ingest(db, page(b), now + timedelta(hours=4))[0] == "unchanged"
    with db.read() as s:
        v1, v2 = document_versions(s, get_document(s, URL).id)  # type: ignore[union-attr]
        assert count_versions(s) == 2
        back_to_a, back_to_b = (get_change(s, cid) for _, cid in seen[2:])
        assert back_to_a is not None and back_to_b is not None
        assert (back_to_a.from_version_id, back_to_a.to_version_id) == (v2.id, v1.id)
        assert (back_to_b.from_version_id, back_to_b.to_version_id) == (v1.id, v2.id)
        assert back_to_a.detected_at == now + timedelta(hours=2)  # when it was seen again
        assert f"+++ version {v1.id}" in (back_to_a.diff or "")
        assert back_to_a.relevant and back_to_a.milestones == [] and back_to_b.milestones == []
        assert current_version(s, v1.document_id) == v2
    # A third text is an edit from what the site showed last (B), not from the newest row.
    assert _ingest(db, page(a), now + timedelta(hours=5))[0] == "reverted"
    kind, cid = _ingest(db, page("La fiscalía archivó el caso de Juliaca."), now + timedelta(hours=6))
    with db.read() as s:
        change = get_change(s, cid)
        assert kind == "updated" and change is not None and change.from_version_id == v1.id


def test_current_versions_of_many_urls_is_current_version_of_each(db: Database, now) -> None:
    """The batched look-up (revisits) answers what ``current_version`` answers URL by URL: the version
    the newest change points at (an older one after a revert), else the newest version."""
    _source(db, now)
    texts = {"a": ["uno"], "b": ["uno", "dos"], "c": ["uno", "dos", "uno"], "d": ["uno", "dos", "tres"]}
    for name, versions in texts.items():
        for n, text in enumerate(versions):
            snap = Snapshot(url=f"https://example.org/{name}", status=200, title=name,
                            text=f"{text} masacre de Juliaca", body=text.encode())
            _ingest(db, snap, now + timedelta(minutes=n))
    urls = [f"https://example.org/{n}" for n in ("d", "x", "c", "a", "b", "c")]
    with db.read() as s:
        batched = current_versions(s, urls)
        one_by_one = {u: (d.id, v.id) for u in urls if (d := get_document(s, u)) is not None
                      and (v := current_version(s, d.id)) is not None}
    assert list(batched) == ["https://example.org/d", "https://example.org/c", "https://example.org/a",
                             "https://example.org/b"]
    assert {u: (d.id, v.id) for u, (d, v) in batched.items()} == one_by_one
    assert batched["https://example.org/c"][1].text.startswith("uno")  # back to the first version
