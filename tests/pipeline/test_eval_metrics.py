"""The v2 evaluation: metric arithmetic on tiny hand-made items, the shape of every labelled item, and
the CLI's refusals. No figure of the real set is looked at here (the test split is only parsed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from eval.evalset import (
    LANGS,
    SPLIT_SETS,
    SPLITS,
    STATUSES,
    V2_DIR,
    WHOLE_TEST_SETS,
    EvalSetError,
    Item,
    Step,
    load,
    problems,
    read_raw,
    split_of,
)
from eval.import_v2 import complete_items
from eval.metrics import Found, Outcome, normalise, pair_steps, score
from eval.run import main

CASES = ["juliaca-2023", "ayacucho-2022"]


def step(mtype: str, status: str = "taken", primary: bool = False, evidence: str = "") -> Step:
    return Step(mtype, status, primary, evidence or mtype, None)


def item(n: int, steps: list[Step], cases: tuple[str, ...] = ("juliaca-2023",), text: str = "") -> Item:
    body = text or " ".join(s.evidence for s in steps)
    return Item(f"en-v2-{n:03d}", "en", "dev", "news", date(2025, 1, 1), f"title {n}", body, cases, None,
                tuple(steps))


def found(mtype: str, status: str = "taken", primary: bool = False, evidence: str = "") -> Found:
    return Found(mtype, status, primary, evidence)


def outcome(it: Item, relevant: tuple[str, ...], *steps: Found) -> Outcome:
    return Outcome(it, {c: c in relevant for c in CASES}, tuple(steps))


@dataclass(frozen=True)
class Today:
    """A milestone as the classifier returns it today: status taken|announced, no primary flag."""

    type: str
    status: str
    evidence: str = ""


@dataclass(frozen=True)
class Tomorrow(Today):
    primary: bool = False


@dataclass(frozen=True)
class NoStatus:
    type: str


def test_today_s_milestones_the_first_taken_is_primary_and_a_missing_status_is_taken() -> None:
    got = normalise([Today("hearing", "announced"), Today("ruling", "taken"), Today("appeal", "taken")])
    assert [(f.type, f.status, f.primary) for f in got] == [
        ("hearing", "announced", False), ("ruling", "taken", True), ("appeal", "taken", False)]
    assert normalise([NoStatus("complaint")]) == (Found("complaint", "taken", True, ""),)
    assert normalise([Today("trial", "announced")])[0].primary is False
    assert normalise([]) == ()


def test_an_explicit_primary_flag_and_the_four_statuses_are_used_as_given() -> None:
    got = normalise([Tomorrow("complaint", "background"), Tomorrow("archived", "taken"),
                     Tomorrow("ruling", "taken", primary=True), Tomorrow("indictment", "requested")])
    assert [(f.type, f.status, f.primary) for f in got] == [
        ("complaint", "background", False), ("archived", "taken", False), ("ruling", "taken", True),
        ("indictment", "requested", False)]
    # Background and requested steps are not taken types.
    it = item(1, [step("ruling", primary=True), step("archived")])
    assert outcome(it, (), *got).taken_types == {"archived", "ruling"}


def test_relevance_counts_every_text_case_pair() -> None:
    items = [
        outcome(item(1, [], cases=("juliaca-2023",)), ("juliaca-2023",)),  # tp, tn
        outcome(item(3, [], cases=("juliaca-2023", "ayacucho-2022")), ("juliaca-2023",)),  # tp, fn
        outcome(item(5, [], cases=()), ("ayacucho-2022",)),  # fp, tn
        outcome(item(6, [], cases=()), ()),  # tn, tn
    ]
    s = score(items, CASES)
    assert (s.relevance.tp, s.relevance.fp, s.relevance.fn) == (2, 1, 1)
    assert s.relevance.precision == pytest.approx(2 / 3) and s.relevance.recall == pytest.approx(2 / 3)
    assert [m.id for m in s.mistakes] == ["en-v2-003", "en-v2-005"]


def test_taken_types_per_type_and_micro_compare_sets_per_text() -> None:
    a = item(1, [step("formal_investigation", primary=True), step("complaint", "background"),
                 step("coercive_measure")])
    b = item(3, [step("archived", primary=True), step("constitutional_complaint", "background")])
    s = score([
        # formal_investigation and coercive_measure right; complaint (background) taken: a false positive
        outcome(a, CASES[:1], found("formal_investigation"), found("complaint"), found("coercive_measure"),
                found("formal_investigation", evidence="again")),  # a repeated type counts once
        # archived missed, constitutional_complaint taken wrongly
        outcome(b, CASES[:1], found("constitutional_complaint")),
    ], CASES)
    pt = {t: (pr.tp, pr.fp, pr.fn) for t, pr in s.per_type.items()}
    assert pt == {"formal_investigation": (1, 0, 0), "coercive_measure": (1, 0, 0), "complaint": (0, 1, 0),
                  "archived": (0, 0, 1), "constitutional_complaint": (0, 1, 0)}
    assert (s.taken.tp, s.taken.fp, s.taken.fn) == (2, 2, 1)
    assert s.taken.precision == pytest.approx(0.5) and s.taken.recall == pytest.approx(2 / 3)
    assert (s.exact_taken.right, s.exact_taken.total) == (0, 2)
    assert s.per_type["archived"].precision is None and s.per_type["archived"].recall == 0


def test_primary_accuracy_counts_texts_with_a_labelled_primary_step() -> None:
    right = item(1, [step("ruling", primary=True), step("appeal", "background")])
    wrong = item(3, [step("testimony", primary=True), step("hearing")])
    none_found = item(5, [step("report", primary=True)])
    no_primary = item(6, [step("hearing", "announced")])
    s = score([
        outcome(right, (), found("ruling", primary=True)),
        outcome(wrong, (), found("testimony"), found("hearing", primary=True)),
        outcome(none_found, ()),
        outcome(no_primary, (), found("hearing", "announced")),
    ], CASES)
    assert (s.primary.right, s.primary.total) == (1, 3)
    assert s.figures()["primary_accuracy"] == pytest.approx(1 / 3)


def test_status_confusion_pairs_steps_by_type_and_place() -> None:
    text = "The court ruled today. Earlier, a complaint had been filed. A new complaint was filed."
    it = item(1, [step("ruling", primary=True, evidence="The court ruled today"),
                  step("complaint", "background", evidence="a complaint had been filed"),
                  step("complaint", "taken", evidence="A new complaint was filed"),
                  step("appeal", "requested", evidence="filed")], text=text)
    got = (found("complaint", "taken", evidence="new complaint"),  # overlaps the taken one, not the first
           found("ruling", "announced", evidence="ruled"),
           found("trial", "taken"))
    pairs = {(g.evidence if g else None, f.type if f else None) for g, f in pair_steps(it, got)}
    assert ("A new complaint was filed", "complaint") in pairs
    assert ("a complaint had been filed", None) in pairs
    s = score([outcome(it, (), *got)], CASES)
    assert dict(s.confusion) == {("taken", "taken"): 1, ("taken", "announced"): 1, ("background", "none"): 1,
                                 ("requested", "none"): 1, ("none", "taken"): 1}
    assert (s.status_accuracy.right, s.status_accuracy.total) == (1, 2)


def test_without_overlapping_evidence_steps_pair_in_reading_order() -> None:
    text = "First a hearing was held. Then another hearing is planned."
    it = item(1, [step("hearing", "announced", evidence="another hearing is planned"),
                  step("hearing", "taken", evidence="a hearing was held")], text=text)
    pairs = pair_steps(it, (found("hearing", "announced", evidence="not in the text"),))
    assert [(g.status if g else None, f.status if f else None) for g, f in pairs] == [
        ("taken", "announced"), ("announced", None)]


def test_texts_with_only_background_announced_or_requested_steps() -> None:
    quiet = item(1, [step("formal_investigation", "background"), step("indictment", "announced")])
    noisy = item(3, [step("complaint", "background"), step("trial", "requested")])
    empty = item(5, [])
    s = score([outcome(quiet, (), found("indictment", "announced")),
               outcome(noisy, (), found("complaint")),
               outcome(empty, (), found("report"))], CASES)
    assert (s.background_only.right, s.background_only.total) == (1, 2)
    assert s.figures()["background_only_clean"] == pytest.approx(0.5)
    assert (s.no_steps.right, s.no_steps.total) == (0, 1)
    assert s.as_dict()["background_only"]["with_taken_step"] == 1


def test_figures_are_none_where_nothing_is_measured_and_targets_say_so() -> None:
    s = score([outcome(item(1, [], cases=()), ())], CASES)
    figures = s.figures()
    assert figures["relevance_precision"] is None and figures["primary_accuracy"] is None
    assert s.as_dict()["targets"]["primary_accuracy"] == {"target": 0.9, "value": None, "met": None}


def test_problems_name_what_breaks_the_format() -> None:
    good = {"id": "es-v2-007", "lang": "es", "source_kind": "news", "published": date(2024, 1, 9),
            "title": "Fiscalía archiva denuncia", "text": "La fiscalía archivó la denuncia.", "cases": [],
            "related": "other", "steps": [{"type": "archived", "status": "taken", "primary": True,
                                           "evidence": "archivó la denuncia", "event_date": None}]}
    assert problems(good, "test") == []
    assert problems(good, "dev") == ["id 'es-v2-007' belongs to the test split (k % 5 rule)"]
    bad_step = {"type": "archive", "status": "taken", "primary": True, "evidence": "nope", "event_date": None}
    bad = {**good, "steps": [bad_step, {**bad_step, "type": "complaint", "status": "background"}]}
    assert problems(bad, "test") == [
        "steps[0]: type 'archive'", "steps[0]: evidence is not a substring of title or text",
        "steps[1]: primary on a background step", "steps[1]: evidence is not a substring of title or text",
        "more than one primary step"]


def _v2_files() -> list[Path]:
    return [V2_DIR / f"{lang}.{split}.yaml" for lang in LANGS for split in SPLITS]


@pytest.mark.slow
def test_every_v2_item_is_well_formed() -> None:
    """Structure only (reads the test split without looking at its texts or scoring it)."""
    seen: set[str] = set()
    for path in _v2_files():
        split = path.stem.split(".")[1]
        raws = read_raw(path)
        assert raws, f"{path} has no items"
        for raw in raws:
            assert problems(raw, split) == [], (path.name, raw.get("id") if isinstance(raw, dict) else raw)
            assert raw["id"] not in seen, raw["id"]
            seen.add(raw["id"])
            assert all(s["status"] in STATUSES for s in raw["steps"])
    assert len(seen) >= 300  # at least 300 labelled texts
    for split in SPLITS:
        items, missing = load(split)
        assert not missing and {i.lang for i in items} == set(LANGS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WHOLE_TEST_SETS))
def test_every_held_out_item_is_well_formed(name: str) -> None:
    """Structure only: each held-out set loads whole, in both languages (its texts are never read here)."""
    items, missing = load("test", WHOLE_TEST_SETS[name])
    assert not missing and {i.lang for i in items} == set(LANGS)
    assert len(items) >= 200 and all(i.id.split("-")[1] == name for i in items)


@pytest.mark.parametrize("name", sorted(SPLIT_SETS))
def test_a_split_set_keeps_the_k_mod_5_rule(name: str) -> None:
    """Structure only: each item sits in the split its writer's number gives (k % 5 in {2, 4}: test)."""
    for split in SPLITS:
        items, missing = load(split, SPLIT_SETS[name])
        assert not missing and {i.lang for i in items} == set(LANGS)
        assert items and all(split_of(int(i.id[-3:])) == split for i in items)
    bad = {**read_raw(SPLIT_SETS[name] / "es.dev.yaml")[0], "id": f"es-{name}-v002"}
    assert any("belongs to the test split (k % 5 rule)" in p for p in problems(bad, "dev"))


def test_the_cli_refuses_errors_on_a_held_out_split(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", "v10", "--split", "test", "--errors"]) == 2
    assert "--errors is refused on the held-out set v10" in capsys.readouterr().err


def test_the_cli_refuses_errors_on_the_held_out_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", "v3", "--errors"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--errors is refused on the held-out set v3" in err
    with pytest.raises(SystemExit):
        main(["--set", "v3", "--split", "dev"])
    assert "v3 is held out whole" in capsys.readouterr().err


def test_v3_ids_are_all_held_out() -> None:
    item = {"id": "es-v3-b017", "lang": "es", "source_kind": "news", "published": date(2025, 1, 9),
            "title": "Clima en Cusco", "text": "Lluvias fuertes.", "cases": [], "related": "other", "steps": []}
    assert problems(item, "test") == []
    assert problems(item, "dev") == ["id 'es-v3-b017' belongs to the test split (v3 is held out whole)"]
    assert problems({**item, "lang": "en"}, "test") == ["id 'es-v3-b017' does not match lang 'en'"]
    assert problems({**item, "id": "es-v3-17"}, "test") == [
        "id 'es-v3-17' is not <lang>-v2-NNN or <lang>-v3..v24-<writer>NNN"]
    assert problems({**item, "id": "es-v4-d003"}, "dev") == []
    assert problems({**item, "id": "es-v4-d003"}, "test") == [
        "id 'es-v4-d003' belongs to the dev split (v4 is for tuning whole)"]


@pytest.mark.slow
def test_the_cli_scores_a_partial_set_and_names_what_is_missing(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    text = ("La Fiscalía formalizó investigación preparatoria contra cuatro policías por las muertes del 9 de enero "
            "en Juliaca, durante las protestas cerca del aeropuerto Inca Manco Cápac.")
    items = [{"id": "es-v2-001", "lang": "es", "source_kind": "prosecutor", "published": date(2025, 7, 31),
              "title": "Fiscalía formaliza investigación por muertes en Juliaca", "text": text,
              "cases": ["juliaca-2023"], "related": None,
              "steps": [{"type": "formal_investigation", "status": "taken", "primary": True,
                         "evidence": "formalizó investigación preparatoria", "event_date": None}]},
             {"id": "es-v2-003", "lang": "es", "source_kind": "news", "published": date(2025, 8, 1),
              "title": "Clima en Cusco", "text": "Lluvias fuertes en Cusco esta semana.", "cases": [],
              "related": "other", "steps": []}]
    (tmp_path / "es.dev.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    assert main(["--set", "v2", "--data", str(tmp_path), "--split", "dev", "--json", "--errors"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["set"], doc["split"], doc["texts"], doc["by_lang"]) == ("v2", "dev", 2, {"es": 2, "en": 0})
    assert doc["relevance"]["tp"] + doc["relevance"]["fn"] == 1
    assert doc["primary_accuracy"]["total"] == 1 and doc["no_steps"]["total"] == 1
    assert set(doc["targets"]) >= {"relevance_precision", "taken_precision", "primary_accuracy"}
    assert "en.dev.yaml is missing" in err and "es.dev.yaml" not in err


def test_a_broken_set_file_is_one_line_naming_file_and_item(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "en.dev.yaml").write_text("- id: en-v2-001\n  lang: en\n", encoding="utf-8")
    assert main(["--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"eval: {tmp_path / 'en.dev.yaml'}: item 1 (en-v2-001): missing ")
    (tmp_path / "en.dev.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"en\.dev\.yaml: line \d+ not valid YAML"):
        load("dev", tmp_path)


def test_a_copy_caught_mid_write_keeps_the_complete_items_only() -> None:
    one = ('- id: en-v2-001\n  lang: en\n  source_kind: news\n  published: 2025-01-01\n  title: "A"\n'
           '  text: "The court ruled."\n  cases: []\n  related: other\n  steps:\n  - type: ruling\n'
           '    status: taken\n    primary: true\n    evidence: "court ruled"\n    event_date: null\n')
    half = '- id: en-v2-003\n  lang: en\n  source_kind: news\n  published: 2025-01-02\n  title: "B"\n  text: "Th'
    assert complete_items(one, "dev") == (one, None)
    kept, dropped = complete_items(one + half, "dev")
    assert kept == one and dropped is not None
    broken_first = one.replace('evidence: "court ruled"', 'evidence: "not there"')
    with pytest.raises(ValueError, match=r"item 1 \(en-v2-001\): steps\[0\]: evidence"):
        complete_items(broken_first + one.replace("en-v2-001", "en-v2-006"), "dev")


@pytest.mark.slow
def test_agreement_with_itself_is_perfect_and_a_changed_label_shows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """eval/agreement.py scores a second labelling like the classifier: the set against itself is 1.0 on every
    figure; one taken step relabelled background costs recall and nothing else."""
    from eval import agreement

    source = Path(__file__).resolve().parents[2] / "eval" / "v9" / "en.dev.yaml"
    items = yaml.safe_load(source.read_text(encoding="utf-8"))
    (tmp_path / "labels-u.yaml").write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False))
    assert agreement.main(["v9", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count(" 1.000  (target") == 6 and "status accuracy (steps found)          1.000" in out
    one = next(i for i in items if sum(s["status"] == "taken" for s in i["steps"]) >= 2)
    step = next(s for s in one["steps"] if s["status"] == "taken" and not s["primary"])
    step["status"] = "background"
    (tmp_path / "labels-u.yaml").write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False))
    assert agreement.main(["v9", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    recall = next(line for line in out.splitlines() if "taken-type recall" in line)
    precision = next(line for line in out.splitlines() if "taken-type precision" in line)
    assert "fn 1" in recall and "fp 0" in precision, out
