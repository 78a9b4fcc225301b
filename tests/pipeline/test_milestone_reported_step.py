"""The step a text reports, not every step it mentions: background, announced and requested steps are
never taken, the primary step is the one the headline and lead report, and only taken and announced
steps reach readers; what a story tells further down (a reaction, an earlier stage) is part of it.
"""

from __future__ import annotations

import pytest

from pipeline.classify.milestones import (
    reported,
    without_outlet,
)
from tests.support.milestones import CASE, PUBLISHED, read_rules, statuses

# --- The step a text reports, not every step it mentions ---------------------------------


@pytest.mark.parametrize(("title", "text", "mtype"), [
    # noun phrases without a verb of action
    ("Deudos de Juliaca inauguran un memorial", "Las familias recordaron a sus muertos. La investigación "
     "preliminar por estas muertes sigue sin responsables.", "preliminary_investigation"),
    # a participle describing an earlier step, a relative clause about the past, a pluperfect
    ("Juez dicta impedimento de salida a cuatro policías", "El juez dictó impedimento de salida contra cuatro "
     "suboficiales. La investigación preparatoria, formalizada en julio de 2025, sigue en curso.",
     "formal_investigation"),
    ("Fiscalía formaliza investigación contra policías", "La fiscalía formalizó ayer la investigación. Es el "
     "resultado de la investigación preliminar que el despacho había abierto en 2023.", "preliminary_investigation"),
    ("Prosecutors charge two officers over Juliaca deaths", "Prosecutors filed an indictment on Monday against two "
     "officers. The preliminary investigation had been opened in January 2023.", "preliminary_investigation"),
    # a complaint mentioned in a story about its archiving
    ("Congreso archiva la denuncia constitucional contra Boluarte", "La Comisión Permanente archivó la denuncia "
     "constitucional presentada en 2023 por la fiscal de la Nación.", "constitutional_complaint"),
])
def test_background_is_never_taken(title: str, text: str, mtype: str) -> None:
    got = statuses(title, text)
    assert got.get(mtype) == {"background"}, got


@pytest.mark.parametrize(("title", "text", "mtype"), [
    ("Caso Juliaca: la fiscalía deberá decidir si acusa a los policías", "", "indictment"),
    ("Caso Juliaca", "La audiencia de control de acusación aún no tiene fecha, informó el juzgado.", "hearing"),
    ("Caso Juliaca", "La defensa de los policías apelará la sentencia ante la Sala Superior.", "appeal"),
    ("Juliaca case", "Prosecutors will file charges against the officers next month.", "complaint"),
])
def test_announced_is_never_taken(title: str, text: str, mtype: str) -> None:
    got = statuses(title, text)
    assert got.get(mtype) == {"announced"}, got


@pytest.mark.parametrize(("title", "text", "requested"), [
    ("Deudos de Juliaca exigen que la fiscalía formalice la investigación contra los mandos", "",
     "formal_investigation"),
    ("La Defensoría recomienda a la fiscalía priorizar las investigaciones preliminares", "",
     "preliminary_investigation"),
    ("Families urged prosecutors to charge the commanders", "Relatives of the victims demanded pretrial detention "
     "for the officers.", "coercive_measure"),
])
def test_a_demand_is_a_taken_statement_with_the_step_requested(title: str, text: str, requested: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert (found[0].type, found[0].status, found[0].primary) == ("statement", "taken", True)
    assert {m.status for m in found if m.type == requested} == {"requested"}
    assert [m.type for m in reported(found)] == ["statement"]


@pytest.mark.parametrize(("title", "text", "absent"), [
    ("Gobierno regional anuncia más recursos para hospitales de Puno", "", "appeal"),
    ("Estrenan en Puno el documental “Testimonio” sobre los deudos del 9 de enero", "", "testimony"),
    ("Fiscal de la Nación interino se reúne con deudos en Juliaca", "El entonces fiscal de la Nación visitó la "
     "ciudad.", "institutional"),
])
def test_traps_are_no_taken_step(title: str, text: str, absent: str) -> None:
    assert "taken" not in statuses(title, text).get(absent, set())


def test_a_demand_to_repeal_a_law_is_a_statement() -> None:
    found = read_rules("Deudos exigen derogar la ley de amnistía", "", published=PUBLISHED)
    assert found[0].type == "statement" and found[0].status == "taken"
    assert {m.status for m in found if m.type == "legislation"} <= {"requested", "background"}


@pytest.mark.parametrize(("title", "text", "primary"), [
    ("Fiscalía formaliza investigación preparatoria contra cuatro policías por muertes en Juliaca",
     "Nota de prensa. La Fiscalía formalizó el 30 de julio la investigación preparatoria contra cuatro "
     "suboficiales. La disposición se sustenta en las pericias balísticas y en las necropsias.",
     "formal_investigation"),
    ("Sala declara infundado recurso de apelación de policías del caso Juliaca",
     "La Sala Penal de Apelaciones declaró infundado el recurso de apelación interpuesto por la defensa.", "appeal"),
    ("Judge orders pretrial detention for Juliaca commander",
     "A Puno court ordered pretrial detention for the commander on Monday. The officers had been charged in 2024.",
     "coercive_measure"),
])
def test_the_primary_step_is_the_one_the_headline_and_lead_report(title: str, text: str, primary: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    prim = [m for m in found if m.primary]
    assert [m.type for m in prim] == [primary] and prim[0].status == "taken" and found[0] is prim[0]
    taken = [m for m in found if m.status == "taken"]
    assert all(m.type in (primary, "statement") for m in taken), taken  # later mentions are background


def test_every_status_comes_with_its_reason_and_sentence() -> None:
    found = read_rules("Fiscalía formaliza investigación", "La Fiscalía formalizó ayer la investigación "
                            "preparatoria. La denuncia penal había sido presentada en 2023.", published=PUBLISHED)
    assert all(m.reason and m.sentence for m in found)
    complaint = next(m for m in found if m.type == "complaint")
    assert complaint.status == "background" and "pluperfect" in complaint.reason


def test_only_taken_and_announced_steps_reach_digests_alerts_and_the_timeline() -> None:
    """decide() is what ingest stores (Decision.milestones); the explanation keeps every step (steps)."""
    from pipeline.classify.decision import decide

    title = "Fiscalía formaliza investigación contra policías por muertes en Juliaca"
    text = ("La Fiscalía formalizó ayer la investigación preparatoria contra cuatro policías por las muertes en "
            "Juliaca. Los deudos exigieron que se dicte prisión preventiva. La denuncia penal había sido presentada "
            "en 2023. La defensa apelará la disposición.")
    [d] = decide([CASE], title, text, published=PUBLISHED)
    assert {m.status for m in d.steps} == {"taken", "requested", "background", "announced"}
    assert [(m.type, m.status, m.primary) for m in d.milestones][0] == ("formal_investigation", "taken", True)
    assert {m.status for m in d.milestones} <= {"taken", "announced"}
    assert "complaint" not in {m.type for m in d.milestones}  # background: explanation only
    assert "coercive_measure" not in {m.type for m in d.milestones}  # requested: explanation only
    stored = d.milestones[0].as_dict()
    assert set(stored) == {"type", "label", "status", "primary", "evidence", "actors", "identifiers", "date"}
    explained = d.as_dict()
    assert explained["reported"] == [m.type for m in d.milestones]
    assert all(m["reason"] for m in explained["milestones"]) and len(explained["milestones"]) == len(d.steps)


def test_a_reaction_further_down_a_story_about_another_step_is_no_step_of_its_own() -> None:
    """The guide: steps that appear only further down are background; the families' reaction in the
    third sentence of a story on a formalization is part of that story, not a statement of its own."""
    text = ("La fiscalía formalizó ayer investigación preparatoria contra cuatro policías por las muertes de "
            "Juliaca. La disposición fue notificada a las partes. Los deudos saludaron la decisión.")
    got = read_rules("Fiscalía formaliza investigación por muertes en Juliaca", text, published=PUBLISHED)
    assert [m.type for m in reported(got)] == ["formal_investigation"]
    alone = read_rules("Deudos de Juliaca", "Los deudos saludaron ayer la decisión de la fiscalía.",
                            published=PUBLISHED)
    assert [m.type for m in reported(alone)] == ["statement"]  # a reaction that is the news stays one


def test_an_outlet_or_a_name_reports_no_step() -> None:
    """A headline's trailing outlet ("- Peru Reports") and a capitalised name mid-sentence are no report."""
    assert without_outlet("Juliaca probe extended again - Peru Reports") == "Juliaca probe extended again"
    assert without_outlet("Fiscalía amplía investigación | La República") == "Fiscalía amplía investigación"
    assert without_outlet("Caso Juliaca - claves de la investigación fiscal por las muertes") == \
        "Caso Juliaca - claves de la investigación fiscal por las muertes"  # no outlet: too long, lower case
    got = read_rules("Prosecutors short of staff", "Prosecutors lack staff, according to a memo seen by Peru "
                          "Reports.", language="en")
    assert "report" not in {m.type for m in got}


def test_a_ruling_told_after_the_measure_the_lead_reports_is_that_measure() -> None:
    got = read_rules("Juez ordena impedimento de salida para cuatro policías",
                          "El juez de Puno dictó ayer impedimento de salida contra cuatro policías investigados por "
                          "las muertes en Juliaca. Así lo resolvió el juez tras una audiencia de seis horas.",
                          published=PUBLISHED)
    assert [m.type for m in reported(got)] == ["coercive_measure"]


def test_the_body_that_archives_a_complaint_names_no_complaint() -> None:
    """'La Subcomisión de Acusaciones Constitucionales archivó la denuncia': the committee's name says who
    archives; the news is the archiving (the complaint is then background, docs/architecture.md)."""
    got = read_rules("Subcomisión archiva denuncia constitucional por muertes en Juliaca",
                          "La Subcomisión de Acusaciones Constitucionales archivó la denuncia constitucional contra "
                          "la presidenta por las muertes del 9 de enero de 2023 en Juliaca.")
    assert [m.type for m in reported(got)] == ["archived"]
    acting = read_rules("", "La Subcomisión de Acusaciones Constitucionales aprobó el informe de calificación "
                                 "de la denuncia por las muertes de Juliaca.")
    assert reported(acting)[0].type == "constitutional_complaint"  # the body acting on its own step still is one


@pytest.mark.parametrize(("title", "text", "earlier"), [
    ("Fiscalía acusa a cuatro policías por las muertes de Juliaca", "La fiscalía presentó acusación contra cuatro "
     "suboficiales. En julio la fiscalía formalizó la investigación preparatoria contra ellos.",
     "formal_investigation"),
    ("Sala confirma la condena de dos policías", "La Sala de Apelaciones confirmó la condena. El fiscal acusó a "
     "ambos suboficiales por homicidio.", "indictment"),
])
def test_an_earlier_stage_of_the_proceeding_further_down_is_its_history(title: str, text: str, earlier: str) -> None:
    found = read_rules(title, text, published=PUBLISHED)
    assert found[0].primary and found[0].type != earlier
    got = {m.type: m for m in found if m.type == earlier}
    assert got[earlier].status == "background" and "earlier stage" in got[earlier].reason, got
