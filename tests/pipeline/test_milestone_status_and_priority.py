"""A milestone's status from its sentence (taken, announced, requested), and which step comes first.

Texts with no milestone at all, the specific step ahead of the generic one, the headline deciding the
main step, and a demand: a statement taken, the step it demands only requested.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.classify.milestones import (
    reported,
)
from tests.support.milestones import PUBLISHED, main, read_rules

# --- Status ----------------------------------------------------------------------------------------

ANNOUNCED = [
    "La Fiscalía pedirá prisión preventiva para el general Lara Vergara.",
    "La Fiscalía citó a declarar al general Lara Vergara para el 5 de agosto.",  # a summons: testimony to come
    "La Fiscalía anunció que presentará acusación contra los policías en las próximas semanas.",
    "El fiscal evalúa formalizar investigación preparatoria contra los mandos de la Dinoes.",
    "Los abogados de las víctimas preparan una denuncia constitucional contra Boluarte.",
    "La defensa apelará la sentencia ante la Sala Superior.",
    "El Congreso podría archivar la denuncia constitucional esta semana.",
    "Prosecutors will seek pretrial detention for the commander.",
    "The victims' lawyers plan to file a criminal complaint next month.",
    "Congress is expected to vote on the amnesty law on Thursday.",
    "Prosecutors announced they would file charges against the officers.",
]
TAKEN = [
    "La Fiscalía solicitó 35 años de prisión para los policías acusados.",  # asking for a sentence *is* the indictment
    "Deudos de Juliaca exigen justicia a dos años de la masacre.",  # a demand is a statement, made
    "El juez declaró fundado el pedido de prisión preventiva contra el coronel.",
    "La Fiscalía formalizó investigación preparatoria contra los policías.",
    "El juez dictó impedimento de salida contra cinco oficiales.",
    "El Congreso archivó la denuncia constitucional contra Boluarte.",
    "Fiscalía presenta acusación contra policías por las muertes en Juliaca",
    "La Fiscalía ya formalizó la investigación, aunque la defensa anunció que la cuestionará en otro proceso.",
    "Prosecutors filed charges against the police commander.",
    "A judge ordered pretrial detention for the officers.",
    # a hearing set for a date has been set (docs/architecture.md; every writer of v5 and v6 labels it so)
    "La audiencia de control de acusación se realizará el próximo lunes.",
]


# A request does not put anyone in prison: the measure it asks for is requested (docs/architecture.md).
REQUESTED = [
    "La Fiscalía solicitó prisión preventiva contra el general Lara Vergara.",
    "Abogados solicitan a la CIDH medidas cautelares para los testigos del 9 de enero.",
]


@pytest.mark.parametrize("sentence", REQUESTED)
def test_requested(sentence: str) -> None:
    found = read_rules(sentence, "", published=PUBLISHED)
    assert found and {m.status for m in found} == {"requested"} and not any(m.primary for m in found)
    assert reported(found) == ()


@pytest.mark.parametrize("sentence", ANNOUNCED)
def test_announced(sentence: str) -> None:
    assert main(sentence, published=PUBLISHED).status == "announced"


@pytest.mark.parametrize("sentence", TAKEN)
def test_taken(sentence: str) -> None:
    assert main(sentence, published=PUBLISHED).status == "taken"


def test_a_future_date_makes_a_step_announced() -> None:
    m = main("La audiencia de prisión preventiva, el 30 de setiembre de 2025 en Juliaca.", published=PUBLISHED)
    assert m.date == date(2025, 9, 30) and m.status == "announced"


# --- Negatives and priorities ---------------------------------------------------------------------

NO_MILESTONE = [
    "Senamhi: heladas de hasta -15 °C en Juliaca y zonas altas de Puno",
    "Binacional vence 2-1 en Juliaca y sueña con la Liga 1",
    "Precio de la papa sube en mercados de Juliaca; el dólar cerró a 3,75 soles",
    "Ojo Público publicó una investigación periodística sobre la masacre de Juliaca.",
    "Feria de la Candelaria: miles de danzantes llegan a Puno y Juliaca",
    "Juliaca: nuevo hospital abrirá sus puertas en marzo",
    "Heavy rains flood streets in Juliaca as farmers count losses",
    "Peru's central bank holds interest rate steady at 4.5%",
    "Foto: Archivo La República. Hinchas celebran el título de Binacional.",
]


@pytest.mark.parametrize("text", NO_MILESTONE)
def test_no_milestone(text: str) -> None:
    assert read_rules(text, "", published=PUBLISHED) == []


@pytest.mark.parametrize(("text", "winner", "loser"), [
    ("La Fiscalía formalizó investigación preparatoria tras dos años de investigación fiscal.",
     "formal_investigation", "preliminary_investigation"),
    ("Fiscalía presentó acusación fiscal, cinco años después de la denuncia penal de los deudos.", "indictment",
     "complaint"),
    ("El juez dictó prisión preventiva en una audiencia que duró seis horas.", "coercive_measure", "hearing"),
    ("La defensa apeló la sentencia que condenó al policía a 15 años de prisión.", "appeal", "ruling"),
    ("El Congreso archivó la denuncia constitucional contra Boluarte.", "archived", "constitutional_complaint"),
])
def test_specific_beats_generic(text: str, winner: str, loser: str) -> None:
    got = [m.type for m in read_rules(text, "")]
    assert got[0] == winner and loser in got[1:], got


def test_title_decides_the_main_step() -> None:
    body = ("La Fiscalía formalizó la investigación contra el general. En 2023 los deudos habían presentado una "
            "denuncia penal y una denuncia constitucional.")
    got = read_rules("Poder Judicial dicta impedimento de salida contra general PNP", body)
    assert got[0].type == "coercive_measure"
    assert {"formal_investigation", "complaint", "constitutional_complaint"} <= {m.type for m in got}


def test_one_milestone_per_type_and_status() -> None:
    got = read_rules("Fiscalía formaliza investigación",
                          "La Fiscalía formalizó la investigación preparatoria. La formalización fue notificada.")
    assert [(m.type, m.status) for m in got] == [("formal_investigation", "taken"),
                                                  ("formal_investigation", "background")]
    assert [m.type for m in reported(got)] == ["formal_investigation"]


@pytest.mark.parametrize("title", [
    "Deudos exigen prisión preventiva para los policías",
    "Deudos exigen la formalización de la investigación contra los responsables",
    "Relatives demand pretrial detention for the officers",
])
def test_a_demand_is_a_statement_and_the_step_demanded_is_requested(title: str) -> None:
    got = read_rules(title, "")
    assert (got[0].type, got[0].status, got[0].primary) == ("statement", "taken", True)  # the demand is the news
    assert len(got) == 2 and got[1].status == "requested"
    assert [m.type for m in reported(got)] == ["statement"]  # a requested step never reaches readers


def test_a_step_only_demanded_ranks_below_a_real_one() -> None:
    got = read_rules("Deudos exigen prisión preventiva para los policías",
                          "La Fiscalía citó a declarar a los mandos policiales la semana pasada.")
    assert [m.type for m in got] == ["statement", "testimony", "coercive_measure"]


def test_a_step_done_at_someones_request_is_taken() -> None:
    m = main("The judge imposed an 18-month travel ban at the request of prosecutors.")
    assert (m.type, m.status) == ("coercive_measure", "taken")
    m = main("El juez dictó impedimento de salida a pedido de la Fiscalía.")
    assert (m.type, m.status) == ("coercive_measure", "taken")


def test_a_verb_in_another_clause_says_nothing_about_the_step() -> None:
    m = main("La denuncia constitucional fue remitida al Congreso, que deberá decidir si levanta la inmunidad.")
    assert (m.type, m.status) == ("constitutional_complaint", "taken")


def test_a_look_back_title_reports_no_step_from_its_body() -> None:
    body = "Desde la apertura de diligencias preliminares hasta la formalización de la investigación, repasamos todo."
    assert read_rules("¿En qué va la investigación? Las claves del caso Juliaca", body) == []
    got = read_rules("Cronología: Fiscalía formalizó investigación del caso Juliaca", body)
    assert [m.type for m in got] == ["formal_investigation"] and got[0].evidence == "formalizó investigación"
