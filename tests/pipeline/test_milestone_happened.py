"""Whether a step told in a text happened: a hearing called off, a trial that goes on without a date, a standing
demand, an arrest. The rules alone (tests.support.milestones.statuses)."""

from __future__ import annotations

import pytest

from tests.support.milestones import statuses


@pytest.mark.parametrize(("title", "text", "held"), [
    # a hearing dated yesterday that was called off, with no new day, was not held
    ("Caso Juliaca: tres policías esperan su audiencia", "La audiencia de control de acusación contra tres policías, "
     "programada para ayer, fue suspendida por la ausencia de un abogado. El juzgado no fijó nueva fecha.", False),
    ("Juliaca officers wait for their hearing", "The hearing on the indictment of three officers, held on Tuesday, was "
     "postponed after an hour because a lawyer was ill.", True),
    ("Juliaca officers wait", "The hearing on the indictment of three officers, due on Tuesday, was postponed because "
     "a lawyer was ill. The court has not set a new date.", False),
    ("Ayacucho hearing on army charges postponed to January", "The hearing to review the indictment against six "
     "soldiers, due on Tuesday, was suspended because a lawyer did not appear. The judge said a new date would be set "
     "in January.", False),
    ("Castillo case: hearing postponed", "The Supreme Court postponed on Wednesday a hearing in the case against a "
     "former minister. The court set a new date for 10 January.", True),
    # one that opened before it was suspended, or that the court set anew, is news
    ("Caso Juliaca: tres policías esperan su audiencia", "La audiencia de control de acusación contra tres policías se "
     "instaló ayer, pero fue suspendida por la ausencia de un abogado.", True),
])
def test_a_hearing_called_off_was_not_held(title: str, text: str, held: bool) -> None:
    assert ("taken" in statuses(title, text).get("hearing", set())) is held, statuses(title, text)


@pytest.mark.parametrize(("title", "taken"), [
    # a trial that "goes on without a date" is not under way; one that goes on with its witnesses is
    ("Caso Juliaca: el juicio contra cuatro policías sigue sin fecha, dos años después", False),
    ("Juliaca 2011: juicio contra exministro por muertes en el aeropuerto sigue sin fecha", False),
    ("Caso Juliaca: el juicio contra cuatro policías sigue con la declaración de testigos", True),
])
def test_a_trial_that_goes_on_without_a_date_is_not_under_way(title: str, taken: bool) -> None:
    assert ("taken" in statuses(title).get("trial", set())) is taken, statuses(title)


@pytest.mark.parametrize(("title", "text", "taken"), [
    # a demand made "since" an earlier event, told after the news, is a standing position; made in the lead, it is news
    ("Prosecutors will summon a former minister over Juliaca deaths, lawyer says", "Prosecutors will summon a former "
     "minister to testify, a lawyer for the families said on Wednesday. The families have demanded his questioning "
     "since the 2023 report of the IACHR.", False),
    ("Families of Juliaca demand justice", "The families have demanded his questioning since the 2023 report of the "
     "IACHR.", True),
])
def test_a_standing_demand_is_context(title: str, text: str, taken: bool) -> None:
    assert ("taken" in statuses(title, text).get("statement", set())) is taken, statuses(title, text)


@pytest.mark.parametrize(("title", "text"), [
    # an arrest carried out or ordered is a coercive measure
    ("Juliaca: detienen a dos sospechosos de la muerte de un policía", "La policía detuvo ayer en Juliaca a dos "
     "personas investigadas por la muerte del suboficial."),
    ("Juez ordena captura de exjefe policial", "El juez ordenó su captura inmediata tras declarar fundado el pedido."),
])
def test_an_arrest_is_a_coercive_measure(title: str, text: str) -> None:
    assert "taken" in statuses(title, text).get("coercive_measure", set()), statuses(title, text)

