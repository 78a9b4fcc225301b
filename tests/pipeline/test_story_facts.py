"""Stories decided by more than words: the primary step, its event date, case numbers, actors, outlet and headline."""

from __future__ import annotations

from typing import Any

from pipeline.classify.stories import THRESHOLD, Signature, conflict, decide, same_story, signature, similarity
from tests.support.story_texts import CONGRESS_ARCHIVES, CONGRESS_ARCHIVES_2, POLICE_FORMALIZED, SAME_DECISION, Report


def _step(type_: str, day: str | None, ids: tuple[str, ...] = ("023-2023",), actors: tuple[str, ...] = (),
          status: str = "taken", primary: bool = True) -> dict[str, Any]:
    return {"type": type_, "status": status, "primary": primary, "date": day,
            "identifiers": [{"kind": "carpeta_fiscal", "value": v} for v in ids], "actors": list(actors)}


def sig(report: Report, *steps: dict[str, Any], outlet: str = "") -> Signature:
    return signature(report.title, report.text, milestones=steps, outlet=outlet or report.source_name)


def test_an_archiving_and_a_formalization_of_the_same_day_are_two_stories() -> None:
    # Two outlets on one Congress vote are one story by their words alone (0.59) ...
    assert similarity(sig(CONGRESS_ARCHIVES), sig(CONGRESS_ARCHIVES_2)) > THRESHOLD
    archived = sig(CONGRESS_ARCHIVES, _step("archived", "2026-11-30"))
    assert same_story(archived, sig(CONGRESS_ARCHIVES_2, _step("archived", "2026-11-30")))
    # ... but when the classifier read different primary steps, the facts keep them apart.
    formalized = sig(CONGRESS_ARCHIVES_2, _step("formal_investigation", "2026-11-30"))
    assert conflict(archived, formalized) == "different steps" and decide(archived, formalized) == 0.0
    # A step the classifier reads differently from one outlet to the next does not split an event: a
    # statement, or another stage of the same investigation, leaves it to the words.
    for soft in ("statement", "preliminary_investigation"):
        assert conflict(sig(SAME_DECISION[0], _step("investigation_extended", None)),
                        sig(SAME_DECISION[1], _step(soft, None))) is None


def test_steps_days_apart_or_with_other_case_numbers_are_other_events() -> None:
    a = sig(CONGRESS_ARCHIVES, _step("archived", "2026-11-30"))
    later = sig(CONGRESS_ARCHIVES_2, _step("archived", "2026-12-09"))
    assert conflict(a, later) == "steps on different days" and not same_story(a, later)
    close = sig(CONGRESS_ARCHIVES_2, _step("archived", "2026-12-01"))  # "ayer" in a story of the next day
    assert conflict(a, close) is None and same_story(a, close)
    other_case = sig(CONGRESS_ARCHIVES_2, _step("archived", "2026-11-30", ids=("031-2023",)))
    assert conflict(a, other_case) == "different case numbers" and not same_story(a, other_case)


def test_the_same_step_day_and_case_number_carry_a_loosely_worded_report() -> None:
    # Worded differently enough to stay apart on text (0.27 < THRESHOLD) ...
    lead, rewrite = SAME_DECISION[0], POLICE_FORMALIZED
    assert 0.2 < similarity(sig(lead), sig(rewrite)) < THRESHOLD
    assert not same_story(sig(lead), sig(rewrite))
    # ... the same step on the same day in the same case file is the same event,
    step = _step("formal_investigation", "2026-11-30")
    assert same_story(sig(lead, step), sig(rewrite, _step("formal_investigation", "2026-11-29")))
    # not without a shared case number (one institution named by both is no evidence) ...
    alone = _step("formal_investigation", "2026-11-30", ids=(), actors=("Ministerio Público",))
    assert not same_story(sig(lead, alone), sig(rewrite, alone))
    # ... and background steps lend it no case numbers.
    background = _step("complaint", "2023-02-01", status="background", primary=False)
    undated = _step("formal_investigation", "2026-11-30", ids=())
    assert not same_story(sig(lead, undated, background), sig(rewrite, undated, background))


def test_one_outlets_headline_reached_twice_is_one_report() -> None:
    feed = sig(SAME_DECISION[1], outlet="El Comercio")
    teaser = signature(SAME_DECISION[1].title, "", outlet="El  comercio")  # an aggregator's headline only
    assert not teaser.comparable and decide(feed, teaser) == 1.0
    other_outlet = signature(SAME_DECISION[1].title, "", outlet="Infobae")
    assert decide(feed, other_outlet) == 0.0


def test_facts_round_trip_and_old_signatures_still_compare() -> None:
    s = sig(SAME_DECISION[0], _step("investigation_extended", "2026-11-21", actors=("Dina Boluarte",)),
            outlet="La República")
    data = s.to_json()
    assert data["step"] == ["investigation_extended", "2026-11-21"] and data["ids"] == ["023-2023"]
    assert data["actors"] == ["dina boluarte"] and data["outlet"] == "larepublica"
    assert Signature.from_json(data) == s
    old = {k: v for k, v in data.items() if k in ("v", "title", "text", "n")}  # stored before facts
    restored = Signature.from_json(old)
    assert restored is not None and restored.step == "" and decide(restored, sig(SAME_DECISION[1])) >= THRESHOLD
