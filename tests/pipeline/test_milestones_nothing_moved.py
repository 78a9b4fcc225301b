"""Texts whose news is that nothing moved, or whose step words mean something else, report no taken step.

Each sentence below was written for this test in the manner of the background-only texts that got a
taken step on the evaluation sets (a headline saying a step is still pending, money called "recursos",
a book called "Testimonios", a trial's opening statement, a headline's future "to give statements");
the step words are the same as in a real step, so each case fails if its rule is removed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.milestones import read_rules

PUBLISHED = datetime(2025, 9, 17, 15, 0, tzinfo=UTC)


def taken(title: str, text: str, language: str = "es") -> set[str]:
    return {m.type for m in read_rules(title, text, language=language, published=PUBLISHED)
            if m.status == "taken"}


@pytest.mark.parametrize(("title", "text", "language"), [
    # a headline that says the step is still pending
    ("Recurso de apelación de los deudos de Juliaca aún sin audiencia",
     "La Sala de Apelaciones de Puno no ha programado la vista de la causa, presentada en mayo.", "es"),
    ("Denuncia constitucional por las muertes de Juliaca todavía espera calificación",
     "La Subcomisión de Acusaciones Constitucionales no ha incluido el caso en su agenda.", "es"),
    ("Juliaca case: decision on charges against officers still months away",
     "The special team has not set a date to conclude its review of the evidence.", "en"),
    ("Appeal of first Juliaca verdict still has no hearing date",
     "The appeals filed against last month's verdict in the first Juliaca trial have not yet been scheduled by the "
     "Puno Superior Court, which said it has no dates before February. Both the prosecutor, who is challenging "
     "the acquittal of one officer, and the defence of the convicted officer lodged appeals.", "en"),
    # a vigil with no demand in the text is a memorial, not a position taken
    ("Twelve years on, Juliaca remembers the 2011 airport dead with a vigil",
     "Relatives lit candles in the main square on Friday night, as every year since the shooting.", "en"),
    ("Juliaca families told hearing on police officers has no date yet",
     "The prosecutor informed relatives on Tuesday that the court is still reviewing the file.", "en"),
    ("Officers' appeal in Juliaca case awaits hearing",
     "The appeal filed in August by two officers has still not been scheduled for a hearing.", "en"),
    # a quoted plan: "ir a" + infinitive is a future
    ("Raúl Samillán: 'Vamos a presentar un amparo si la fiscalía sigue sin avanzar'",
     "En diálogo con radio Pachamama, Samillán lamentó la demora.", "es"),
    # the investigation of the case named in a headline, not opened
    ("Tres años después: así van las investigaciones por las muertes en Ayacucho y Juliaca",
     "Este lunes se cumplen tres años de la matanza de Huamanga.", "es"),
    # a question after the headline's colon heads an analysis
    ("IDL: por qué ningún caso de las protestas ha llegado a juicio",
     "El abogado explica que las fiscalías formalizaron investigaciones contra policías y militares.", "es"),
    # a profile tells a life, its hearings included
    ("Perfil | Rosa, la madre que aprendió derecho penal para buscar justicia por su hijo",
     "Rosa vende comida en el mercado de Huamanga. Asistió a la audiencia en la que se prorrogó la investigación, "
     "el martes pasado.", "es"),
    # money, not an appeal
    ("Gobierno Regional de Puno aprobó recursos por 300 mil soles para los deudos de Juliaca",
     "El dinero se destinará a becas para los hijos de las víctimas.", "es"),
    ("Minjus transfirió recursos a 14 familias de víctimas de Juliaca",
     "Los pagos forman parte del apoyo económico dispuesto por el Ejecutivo.", "es"),
    ("Fiscal de Puno: «Avanzamos con pocos recursos»",
     "El fiscal reconoció que su despacho trabaja con escasos recursos y dos asistentes.", "es"),
    ("Deudos de Juliaca consiguen recursos para viajar a la CIDH",
     "La asociación obtuvo recursos de una colecta regional para el viaje de tres madres.", "es"),
    # the title of a book or a film
    ("Presentan en Puno un libro con las voces de las madres de Juliaca",
     "La autora presentó el volumen Testimonios del altiplano en la feria del libro.", "es"),
    # a family's wait, told as a profile
    ("A police officer's family in Juliaca also waiting for justice",
     "His mother keeps his uniform in the living room of their home in Juliaca.", "en"),
    # a headline's future: "to give statements", not statements given
    ("Juliaca survivors to give statements to prosecutors in Puno",
     "Investigators will travel to Juliaca next week to hear about 40 people wounded on 9 January 2023.", "en"),
])
def test_nothing_moved_is_no_taken_step(title: str, text: str, language: str) -> None:
    assert taken(title, text, language) == set()


def test_recursos_filed_or_decided_are_still_an_appeal() -> None:
    got = taken("Defensa de policías presentó recursos contra la formalización",
                "La defensa de cuatro policías presentó recursos contra la formalización de la investigación.")
    assert "appeal" in got


def test_a_trials_opening_statement_is_no_statement_but_the_trial_is_news() -> None:
    got = taken("Juliaca trial opens against five police officers",
                "The trial of five officers opened on Monday in Juliaca; the prosecutor gave the opening statement "
                "before the court.", "en")
    assert got == {"trial"}


def test_a_news_headline_before_a_question_still_reports_its_step() -> None:
    got = taken("Promulgan ley de amnistía para militares y policías: ¿qué pasa con los casos de Juliaca?",
                "El Gobierno promulgó este miércoles la ley que concede amnistía a militares y policías.")
    assert "legislation" in got


def test_the_case_investigation_named_with_a_verb_that_opens_nothing_is_no_step() -> None:
    got = taken("Delia Espinoza juramenta como fiscal de la Nación",
                "En su primer discurso prometió priorizar las investigaciones por las muertes en las protestas.")
    assert got == {"institutional"}


def test_an_investigation_that_had_already_been_opened_is_background() -> None:
    got = taken("Families of Juliaca dead file criminal complaint against Boluarte",
                "The complaint was lodged with the Attorney General's office, which on January 10 had already opened a "
                "preliminary investigation against the president.", "en")
    assert got == {"complaint"}


def test_the_sentence_an_earlier_indictment_asks_for_is_background() -> None:
    got = taken("Programan audiencia de control de acusación por muertes en Huamanga",
                "El juzgado fijó para el 12 de marzo la audiencia de control de acusación contra cinco militares. "
                "La fiscalía presentó la acusación en noviembre pasado y pide penas de hasta 25 años de prisión.")
    assert "indictment" not in got


def test_going_to_trial_is_no_trial_under_way() -> None:
    assert "trial" not in taken("Militares del caso Ayacucho irán a juicio oral", "")


def test_an_appeals_chamber_is_a_court_not_an_appeal() -> None:
    got = taken("Puno appeals chamber schedules hearing on officers' appeal in Juliaca case",
                "The Appeals Chamber set 5 November as the date of the hearing on the appeal filed by two officers.",
                "en")
    assert got == {"hearing"}


def test_an_investigation_reactivated_is_opened_again() -> None:
    got = taken("Prosecutor's Office reactivates investigation against Dina Boluarte for deaths in protests",
                "The prosecutor resumed on Tuesday the investigation against the former president.", "en")
    assert "preliminary_investigation" in got


def test_a_vigil_with_demands_is_a_statement() -> None:
    got = taken("Juliaca holds vigil for its dead",
                "Relatives held a vigil in the main square on Friday and demanded that prosecutors charge the "
                "commanders.", "en")
    assert "statement" in got


def test_a_statement_naming_a_wait_is_still_a_statement() -> None:
    """A pending cue in the headline keeps a step from being taken, never the position taken about it."""
    got = taken("Two years on, Juliaca families still waiting: statement by the national coordinator",
                "The National Human Rights Coordinator issued a statement on Monday demanding that the prosecutor "
                "charge the officers.", "en")
    assert "statement" in got
