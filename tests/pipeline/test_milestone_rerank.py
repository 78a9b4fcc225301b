"""The learned layer over the rules' statuses (rerank.py): what it flips on real texts with the shipped weights,
how a flip explains itself, and how the primary role and the one-step-per-status contract survive a flip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from pipeline.classify.milestones import Milestone, find_milestones, reported
from pipeline.classify.milestones.rerank import WEIGHTS, Layer, features, rerank

# Two texts of the tuning sets (v16 en-s046, v11 en-a111) whose labels the layer's flip matches.
MAINTAINED = ("Juliaca case: judge holds hearing to review charges against four police officers",
              "The Preparatory Investigation Court of San Román held on Tuesday the hearing to review the indictment "
              "against four police officers accused of killing six civilians in Juliaca on 9 January 2023. Defence "
              "lawyers asked for the case to be dismissed, while the prosecutor maintained the request for 25 years in "
              "prison. The judge will announce her decision within ten days.")
CONFIRMED = ("Juliaca 2011 case: Supreme Court confirms acquittal of police officers",
             "Peru's Supreme Court confirmed the acquittal of two police officers tried for the deaths of protesters "
             "at Juliaca airport in June 2011, rejecting the appeal filed by the victims' families. The relatives said "
             "they would take the case to the Inter-American system.")
DAY = datetime(2025, 3, 5, 12)


def by_type(found: list[Milestone]) -> dict[str, list[Milestone]]:
    out: dict[str, list[Milestone]] = {}
    for m in found:
        out.setdefault(m.type, []).append(m)
    return out


def test_a_request_only_maintained_at_a_hearing_is_no_indictment_and_the_flip_says_why() -> None:
    rules = by_type(find_milestones(*MAINTAINED, language="en", published=DAY, learned=False))
    assert [m.status for m in rules["indictment"]] == ["taken", "announced"]
    found = find_milestones(*MAINTAINED, language="en", published=DAY, learned=True)
    assert found[0].type == "hearing" and found[0].primary and found[0].status == "taken"
    demoted = [m for m in by_type(found)["indictment"] if m.status == "background"]
    assert [m.primary for m in demoted] == [False]  # the demoted one stands for the type's background mention
    indictment = demoted[0]
    assert indictment.reason.startswith("learned layer: p(taken) 0.")
    assert "type|primary_type=indictment|hearing" in indictment.reason  # the feature that weighed most, named
    assert indictment.reason.endswith("the rules said taken: the request is the step: 'request'")
    assert [m.type for m in reported(found) if m.status == "taken"] == ["hearing"]
    assert len({(m.type, m.status) for m in found}) == len(found)


def test_the_layer_never_takes_a_step_the_text_dates_long_before_and_is_on_by_default() -> None:
    rules = find_milestones(*CONFIRMED, language="en", published=DAY, learned=False)
    assert [(m.type, m.status) for m in rules] == [("appeal", "taken"), ("ruling", "background")]
    assert rules[1].reason.startswith("dated 12/2011, long before publication")
    assert find_milestones(*CONFIRMED, language="en", published=DAY) == rules  # the default reads with the layer
    sure = Layer({"type=ruling": 9.0}, t_demote=0.8, t_promote=0.9)
    for reason, promoted in [("dated 12/2011, long before publication: an earlier step", False),
                             ("negated 'no' 'formalizó': no step", False), ("recalled: 'recordó que'", False),
                             ("pluperfect 'had' 'opened': an earlier step", False), ("recap: 'after'", False),
                             ("a noun phrase without a verb of action", True)]:
        steps = [step("appeal", "taken", True), replace(step("ruling", "background"), reason=reason)]
        out = rerank(*CONFIRMED, "en", steps, sure)
        assert [m.status for m in out if m.type == "ruling"] == ["taken" if promoted else "background"], reason


def test_the_default_reading_is_the_rules_with_the_layer() -> None:
    assert find_milestones(*MAINTAINED, language="en", published=DAY) == find_milestones(
        *MAINTAINED, language="en", published=DAY, learned=True) != find_milestones(
        *MAINTAINED, language="en", published=DAY, learned=False)


def step(mtype: str, status: str, primary: bool = False, sentence: str = "") -> Milestone:
    return Milestone(mtype, mtype, (), (), None, status, mtype, primary=primary, reason=f"rule for {mtype}",
                     sentence=sentence)


def test_a_demoted_primary_hands_its_role_to_the_next_taken_step_in_the_rules_order() -> None:
    steps = [step("trial", "taken", True), step("ruling", "taken"), step("hearing", "taken"),
             step("trial", "background")]
    sure = Layer({"type=trial": -9.0, "type=ruling": 9.0, "type=hearing": 9.0}, t_demote=0.85, t_promote=0.9)
    out = rerank("Title", "Text.", "en", steps, sure)
    assert [(m.type, m.status, m.primary) for m in out] == [
        ("ruling", "taken", True), ("hearing", "taken", False), ("trial", "background", False)]
    assert out[2].reason.startswith("learned layer: p(taken) 0.00 (type=trial -9.0); the rules said taken: rule")


def test_a_promoted_step_is_primary_only_when_no_taken_step_is_left() -> None:
    steps = [step("statement", "background"), step("ruling", "background"), step("ruling", "requested")]
    sure = Layer({"type=ruling": 9.0, "status=requested": -20.0}, t_demote=0.85, t_promote=0.9)
    out = rerank("Title", "Text.", "en", steps, sure)
    assert [(m.type, m.status, m.primary) for m in out] == [
        ("ruling", "taken", True), ("ruling", "requested", False), ("statement", "background", False)]
    assert "type=ruling +9.0" in out[0].reason


def test_a_layer_that_is_not_sure_changes_nothing() -> None:
    steps = [step("trial", "taken", True), step("hearing", "requested"), step("ruling", "background")]
    unsure = Layer({"type=trial": -1.0, "type=ruling": 1.0}, t_demote=0.85, t_promote=0.9)  # p 0.27 and 0.73
    assert rerank("Title", "Text.", "en", steps, unsure) == steps


def test_features_name_what_the_rules_said_and_where_the_step_stands() -> None:
    steps = [step("ruling", "taken", True, "Court rules"), step("trial", "taken", sentence="It ordered a trial.")]
    f = features("Court rules", "The court met. It ordered a trial.", "en", steps, 1)
    assert {"type|status=trial|taken", "reason=rule for trial", "pos=body1-2", "type|primary_type=trial|ruling",
            "other_taken=1", "lang=en"} <= set(f)
    assert "pos=title" in features("Court rules", "x", "en", steps, 0)


def test_the_words_of_the_step_s_sentence_are_features_when_the_layer_reads_them() -> None:
    steps = [step("hearing", "taken", True, "La audiencia, programada para ayer, fue suspendida.")]
    f = features("Juliaca", "La audiencia, programada para ayer, fue suspendida.", "es", steps, 0, words=True)
    assert {"w=audie", "w=progr", "w=suspe", "w=para"} <= set(f) and "w=fue" not in f  # three letters: none
    assert not any(n.startswith("w=") for n in features("Juliaca", "x", "es", steps, 0))
    assert json.loads(WEIGHTS.read_text(encoding="utf-8"))["sentence_words"] is True


def test_the_weights_were_learned_without_the_fresh_test_sets() -> None:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    # trained on the twelve fresh readings v12-v23; v24, the round's untouched set, is not among them
    assert data["trained_on"] == [f"v{n}" for n in range(12, 24)]
    assert 0.5 <= data["t_demote"] <= 1 and 0.5 <= data["t_promote"] <= 1
