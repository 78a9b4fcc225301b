"""A trial session told as news: the trial goes on under a long subject, and the people heard in it testify.

Written for this test in the manner of trial coverage that lost its steps on the evaluation sets: "El
juicio oral contra <a long description of the accused> continuó ayer con la declaración de ...".
"""

from __future__ import annotations

import pytest

from tests.support.milestones import PUBLISHED, read_rules, statuses


@pytest.mark.parametrize("text", [
    # a long subject before "continuó"
    "El juicio oral contra un suboficial de la PNP por la muerte de un joven el 9 de enero de 2023 en Juliaca "
    "continuó este martes en la sede de la Corte Superior.",
    # a participle after "contra" describes the accused, not the trial
    "El juicio oral contra el suboficial acusado por la muerte del adolescente continuó ayer.",
])
def test_a_trial_that_goes_on_is_taken(text: str) -> None:
    assert "taken" in statuses("Caso Juliaca: nuevas sesiones en Puno", text)["trial"]


def test_someone_heard_in_the_session_the_sentence_reports_testifies() -> None:
    es = statuses("Juicio por las muertes de Juliaca se reanuda",
                  "El juicio oral contra tres policías continuó ayer en Juliaca con la declaración de dos testigos.")
    assert "taken" in es["testimony"]
    en = statuses("Juliaca police trial resumes",
                  "The trial of three police officers resumed on Tuesday in Juliaca with the testimony of a forensic "
                  "expert.")
    assert "taken" in en["testimony"]


def test_con_la_declaracion_without_a_session_taken_is_no_testimony() -> None:
    found = statuses("Aniversario en Juliaca",
                     "Los deudos recordaron el juicio de 2011, que empezó en 2016 con la declaración de dos testigos.")
    assert "taken" not in found.get("testimony", set())


def test_a_case_sent_to_trial_is_a_ruling_and_the_trial_has_not_opened() -> None:
    es = statuses("Caso Juliaca pasa a juicio: juez dicta auto de enjuiciamiento contra seis policías",
                  "El juzgado emitió ayer el auto de enjuiciamiento contra seis efectivos de la Policía.")
    assert "taken" in es["ruling"] and "taken" not in es.get("trial", set())
    assert "taken" not in es.get("institutional", set())
    en = statuses("Judge sends five police officers to trial over Juliaca killings",
                  "The court on Wednesday issued an order sending five police officers to trial for the homicide of "
                  "protesters in Juliaca.")
    assert "taken" in en["ruling"] and "taken" not in en.get("trial", set())


def test_the_start_of_a_trial_set_for_a_date_is_a_hearing_set_not_a_trial_under_way() -> None:
    found = statuses("Caso Inti y Bryan: Poder Judicial programa juicio contra exministro del Interior",
                     "El Poder Judicial programó para el 12 de enero el inicio del juicio oral contra un exministro "
                     "del Interior.")
    assert "taken" in found["hearing"] and "taken" not in found.get("trial", set())


def test_a_session_of_the_trial_in_the_lead_is_the_trial_under_way_and_the_testimony_the_news() -> None:
    found = read_rules("Juicio por Juliaca: declaran los primeros testigos y peritos",
                            "En la tercera sesión del juicio oral por las muertes del 9 de enero de 2023, declararon "
                            "ayer dos testigos presenciales y el médico legista.", published=PUBLISHED)
    taken = {m.type: m for m in found if m.status == "taken"}
    assert "trial" in taken and "testimony" in taken
    assert taken["testimony"].primary and not taken["trial"].primary
