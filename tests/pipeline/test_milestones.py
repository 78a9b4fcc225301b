"""Legal milestones in press-style Spanish and English sentences about the Juliaca case.

Each type has realistic sentences in both languages; the main (first) milestone must be that type.
The rest checks status (taken / announced), identifiers, actors, dates, priorities, negatives and speed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from config.schema import MILESTONE_TYPES, Actor, Case, CaseNumber, Term
from pipeline.classify.dates import find_dates
from pipeline.classify.milestones import (
    Milestone,
    RuleError,
    _compile,
    _load_table,
    find_milestones,
    labels,
    reported,
    without_outlet,
)

PUBLISHED = datetime(2025, 9, 17, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Lima

SPANISH: dict[str, list[str]] = {
    "complaint": [
        "Familiares de las víctimas de Juliaca presentaron una denuncia penal contra los policías que dispararon "
        "en el aeropuerto.",
        "Abogados de Fedepaz interpusieron una denuncia ante la Fiscalía por el homicidio calificado de 18 "
        "ciudadanos en Juliaca.",
        "La Asociación de Mártires y Víctimas del 9 de Enero denunció penalmente al exministro del Interior "
        "Víctor Rojas.",
        "Deudos presentan querella contra mandos de la Dinoes por las muertes en Juliaca.",
    ],
    "constitutional_complaint": [
        "La fiscal de la Nación presentó una denuncia constitucional contra Dina Boluarte por las muertes en Juliaca.",
        "La Subcomisión de Acusaciones Constitucionales aprobó el informe de calificación de la DC 509.",
        "Congresistas de izquierda presentan acusación constitucional contra Alberto Otárola por la masacre de "
        "Juliaca.",
    ],
    "preliminary_investigation": [
        "El Ministerio Público abrió investigación preliminar contra Dina Boluarte por genocidio, homicidio "
        "calificado y lesiones graves.",
        "La Fiscalía dispuso iniciar diligencias preliminares por la muerte de 18 personas en Juliaca.",
        "La Fiscalía Especializada en Derechos Humanos inició investigación por las muertes ocurridas en el "
        "aeropuerto de Juliaca.",
        "La Fiscalía incluyó a los ministros del Interior y de Defensa en la investigación por la masacre de Juliaca.",
    ],
    "investigation_extended": [
        "La fiscalía dispuso la ampliación excepcional del plazo de la investigación por ocho meses más.",
        "Fiscalía amplió por 120 días el plazo de las diligencias preliminares en la carpeta 023-2023.",
        "El Ministerio Público declaró compleja la investigación por las muertes en Juliaca.",
        "La Fiscalía prorrogó la investigación contra la presidenta Boluarte por los sucesos en Puno.",
    ],
    "formal_investigation": [
        "La Fiscalía formalizó investigación preparatoria contra cinco policías por la muerte de Marco Antonio "
        "Samillán.",
        "Ministerio Público formaliza investigación contra general PNP por homicidio calificado en Juliaca",
        "Tras dos años de diligencias, el caso Juliaca pasó a la etapa de investigación preparatoria.",
    ],
    "indictment": [
        "La Fiscalía presentó acusación contra los policías por la muerte de Heliot Arizaca y pide 35 años de "
        "prisión.",
        "El Ministerio Público formuló acusación fiscal contra el coronel Rojas Méndez por homicidio calificado.",
        "El fiscal solicitó 20 años de cárcel para los agentes implicados en las muertes de Juliaca.",
    ],
    "hearing": [
        "El Poder Judicial programó para el 20 de octubre la audiencia de control de acusación contra los policías.",
        "Este martes se instaló la audiencia en el juzgado de Juliaca, con presencia de los deudos.",
        "La CIDH realizó una audiencia pública sobre la situación de derechos humanos en Perú tras las protestas.",
    ],
    "trial": [
        "Comenzó el juicio oral contra los policías acusados por la muerte de Rubén Mamani Muchica.",
        "Los agentes se sentarán en el banquillo de los acusados por la masacre de Juliaca.",
        "La Sala Penal inició el juicio contra el exjefe de la Dinoes por los hechos de Juliaca.",
    ],
    "ruling": [
        "El juzgado emitió sentencia condenatoria contra el suboficial por la muerte de un manifestante.",
        "Condenan a 15 años de prisión a policía por la muerte de un manifestante en Puno.",
        "El Poder Judicial absolvió a los policías acusados por las muertes en Juliaca.",
        "La Sala Penal de Apelaciones de Puno condenó a 12 años de prisión al exjefe policial.",
    ],
    "coercive_measure": [
        "El juez dictó nueve meses de prisión preventiva contra el comandante PNP investigado por la masacre.",
        "Poder Judicial impone impedimento de salida del país a Dina Boluarte por 18 meses.",
        "La Fiscalía solicitó comparecencia con restricciones para los exministros Otárola y Rojas.",
    ],
    "archived": [
        "La Fiscalía archivó la investigación contra Dina Boluarte por las muertes en Juliaca.",
        "La Subcomisión de Acusaciones Constitucionales aprobó el archivamiento de la denuncia constitucional 509.",
        "La denuncia contra los ministros pasó al archivo tras la votación en la Comisión Permanente.",
        "Congreso archiva la DC 509 contra Dina Boluarte",
    ],
    "testimony": [
        "La presidenta Dina Boluarte acudió a declarar ante la Fiscalía por las muertes en Juliaca.",
        "El general Lara Vergara rindió su declaración ante el fiscal del caso en Puno.",
        "La Fiscalía citó a declarar a 20 policías que participaron en el operativo del aeropuerto.",
    ],
    "forensic": [
        "Los resultados de la necropsia confirman que Brayan Apaza murió por el impacto de un proyectil de arma "
        "de fuego.",
        "La pericia balística determinó que los proyectiles correspondían a fusiles de la Policía.",
        "Peritos de Medicina Legal realizaron la exhumación de los restos de una de las víctimas.",
    ],
    "report": [
        "La CIDH publicó su informe sobre la situación de derechos humanos en Perú y calificó lo ocurrido en "
        "Juliaca como masacre.",
        "La Defensoría del Pueblo presentó el Informe Defensorial N° 190 sobre los conflictos sociales.",
        "Amnistía Internacional difundió un informe que documenta el uso letal de la fuerza en el sur del país.",
    ],
    "precautionary_measure": [
        "La CIDH otorgó medidas cautelares a favor de los deudos de las víctimas de Juliaca.",
        "La Comisión Interamericana pidió al Estado adoptar medidas cautelares para proteger a los dirigentes.",
        "La Corte IDH dictó medidas provisionales a favor de las víctimas de las protestas.",
    ],
    "statement": [
        "La Coordinadora Nacional de Derechos Humanos emitió un comunicado sobre la situación de las víctimas.",
        "Deudos de Juliaca exigen justicia a dos años de la masacre.",
        "La Conferencia Episcopal se pronunció sobre las muertes en Puno y pidió diálogo.",
    ],
    "institutional": [
        "La fiscal de la Nación dispuso la desactivación del Equipo Especial de Fiscales para casos con víctimas "
        "durante las protestas.",
        "Tomás Gálvez juramentó como fiscal de la Nación interino tras la suspensión de Delia Espinoza.",
        "El Ministerio Público creó un equipo especial de fiscales para investigar las muertes en las protestas.",
        "La JNJ suspendió por seis meses a la fiscal de la Nación Delia Espinoza.",
    ],
    "legislation": [
        "El Congreso aprobó la ley de amnistía para militares y policías investigados por la lucha contra el "
        "terrorismo.",
        "El PL 13048/2025-CR propone la exención de responsabilidad penal para policías que usen sus armas.",
        "La presidenta promulgó la ley que concede amnistía a militares y policías.",
    ],
    "appeal": [
        "La defensa del coronel apeló la resolución que dictó prisión preventiva en su contra.",
        "Los deudos presentaron un recurso de queja contra la disposición de archivo.",
        "El Congreso interpuso una demanda competencial ante el Tribunal Constitucional contra el Poder Judicial.",
        "La defensa de Boluarte presentó un hábeas corpus para anular la investigación.",
    ],
}

ENGLISH: dict[str, list[str]] = {
    "complaint": [
        "Relatives of the Juliaca victims filed a criminal complaint against the police officers who opened fire.",
        "Human rights lawyers lodged a complaint with prosecutors over the deaths at the airport.",
        "The victims' association submitted a new complaint against the former interior minister.",
    ],
    "constitutional_complaint": [
        "The attorney general filed a constitutional complaint against Dina Boluarte over the Juliaca deaths.",
        "The Subcommittee on Constitutional Accusations approved the report on the complaint against the president.",
        "Lawmakers presented a constitutional accusation against former prime minister Alberto Otárola.",
    ],
    "preliminary_investigation": [
        "Peru's prosecutors opened a preliminary investigation into President Boluarte for genocide and homicide.",
        "The public prosecutor's office launched an investigation into the killings in Juliaca.",
        "The ministers are under investigation for the deaths of 18 people near the Juliaca airport.",
    ],
    "investigation_extended": [
        "Prosecutors extended the investigation into the Juliaca killings by eight months.",
        "The prosecutor's office granted an extension of the investigation deadline in the Juliaca case.",
        "The case was declared complex, which gives prosecutors more time.",
    ],
    "formal_investigation": [
        "Prosecutors formalized the investigation against five police officers over the Juliaca massacre.",
        "The case has now entered the preparatory investigation stage.",
        "The general is being formally investigated for aggravated homicide.",
    ],
    "indictment": [
        "Peru: prosecutors charge police commander over Juliaca massacre",
        "A police colonel was indicted for the killing of a protester in Juliaca.",
        "Prosecutors are seeking 35 years in prison for the officers accused of the killings.",
    ],
    "hearing": [
        "The indictment control hearing against the police officers was held on Monday.",
        "The IACHR held a public hearing on the situation of human rights in Peru.",
        "A court hearing on the case was suspended after the defense lawyer failed to appear.",
    ],
    "trial": [
        "The oral trial of the officers accused of killing Marco Antonio Samillán began in Puno.",
        "Three police officers will stand trial for the Juliaca killings.",
        "The trial against the former Dinoes commander opened in Lima.",
    ],
    "ruling": [
        "A Puno court sentenced a police officer to 15 years in prison for the death of a protester.",
        "The judge acquitted the officers accused of the Juliaca killings.",
        "The court delivered its verdict in the case of the Juliaca massacre.",
    ],
    "coercive_measure": [
        "A judge ordered nine months of pretrial detention for the police commander.",
        "The court imposed a travel ban on Dina Boluarte for 18 months.",
        "Police raided the homes of officers investigated for the killings.",
    ],
    "archived": [
        "Prosecutors archived the investigation against Dina Boluarte over the Juliaca deaths.",
        "Congress shelved the constitutional complaint against the president.",
        "The case against the ministers was dismissed by the prosecutor's office.",
    ],
    "testimony": [
        "President Boluarte testified before prosecutors about the deaths in Juliaca.",
        "Twenty police officers were summoned to testify about the airport operation.",
        "The general was questioned by prosecutors in Lima for six hours.",
    ],
    "forensic": [
        "The autopsy showed that the teenager was killed by a bullet to the chest.",
        "Ballistic tests matched the bullets to police rifles.",
        "Forensic experts carried out the exhumation of one of the victims.",
    ],
    "report": [
        "The IACHR published a report that describes the Juliaca events as a massacre.",
        "Amnesty International released a report on the lethal use of force in southern Peru.",
        "The ombudsman's office presented its final report on the social conflicts.",
    ],
    "precautionary_measure": [
        "The IACHR granted precautionary measures to the relatives of the Juliaca victims.",
        "The Inter-American Court ordered provisional measures to protect the witnesses.",
        "The commission asked Peru to adopt precautionary measures for the protest leaders.",
    ],
    "statement": [
        "The victims' association issued a statement on the second anniversary of the massacre.",
        "Human rights groups condemned the killings and called for an independent inquiry.",
        "Relatives demand justice two years after the Juliaca massacre.",
    ],
    "institutional": [
        "The attorney general dissolved the special team of prosecutors investigating the protest deaths.",
        "Tomás Gálvez was sworn in as interim attorney general.",
        "The board suspended the attorney general for six months.",
    ],
    "legislation": [
        "Congress approved an amnesty law for soldiers and police officers.",
        "The bill would exempt police officers from criminal liability when they use their weapons.",
        "President Boluarte signed the law into force on Wednesday.",
    ],
    "appeal": [
        "The colonel's defense appealed the pretrial detention ruling.",
        "Boluarte's lawyers filed a habeas corpus petition to annul the investigation.",
        "The relatives filed a motion for reconsideration of the archiving decision.",
    ],
}

CASES = [(t, s) for table in (SPANISH, ENGLISH) for t, sents in table.items() for s in sents]


def main(text: str, **kw: object) -> Milestone:
    found = find_milestones(text, "", **kw)  # type: ignore[arg-type]
    assert found, f"no milestone in {text!r}"
    return found[0]


def test_every_type_has_three_sentences_in_both_languages() -> None:
    for table in (SPANISH, ENGLISH):
        assert set(table) == set(MILESTONE_TYPES)
        assert all(len(s) >= 3 for s in table.values())


@pytest.mark.parametrize(("mtype", "sentence"), CASES)
def test_main_milestone_type(mtype: str, sentence: str) -> None:
    got = find_milestones(sentence, "", published=PUBLISHED)
    assert got and got[0].type == mtype, [(m.type, m.evidence) for m in got]
    assert got[0].evidence and got[0].evidence in sentence


@pytest.mark.parametrize(("mtype", "sentence"), CASES[::5])
def test_sentence_in_body_gives_the_same_type(mtype: str, sentence: str) -> None:
    got = find_milestones("Noticias del caso", sentence, published=PUBLISHED)
    assert got and got[0].type == mtype


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
    found = find_milestones(sentence, "", published=PUBLISHED)
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


# --- Identifiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("La Fiscalía formalizó investigación en la carpeta fiscal N° 023-2023.", [("carpeta_fiscal", "023-2023")]),
    ("Fiscalía amplía diligencias en la carpeta 023-2023", [("carpeta_fiscal", "023-2023")]),
    ("El Congreso archivó la denuncia constitucional (DC) N° 509.", [("denuncia_constitucional", "509")]),
    ("La Subcomisión archivó las DC 334 y 509.", [("denuncia_constitucional", "334"),
                                                   ("denuncia_constitucional", "509")]),
    ("El juez admitió el amparo en el expediente N° 00123-2023-0-2101-JR-PE-01.",
     [("expediente", "00123-2023-0-2101-JR-PE-01")]),
    ("Mediante la Resolución N° 790-2023-MP-FN se desactivó el equipo especial.",
     [("resolucion", "790-2023-MP-FN")]),
    ("El Congreso aprobó el proyecto de ley (PL) 13048/2025-CR.", [("proyecto_de_ley", "13048/2025-CR")]),
    ("La Defensoría publicó el Informe Defensorial N° 190.", [("informe", "190")]),
    ("La CIDH otorgó la medida cautelar MC 62-23 a favor de los deudos.", [("medida_cautelar", "62-23")]),
])
def test_identifiers(text: str, expected: list[tuple[str, str]]) -> None:
    got = [(i["kind"], i["value"]) for i in main(text).identifiers]
    assert got == expected


def test_case_numbers_and_their_aliases() -> None:
    m = main("El Pleno archivó la acusación por los hechos de Juliaca (denuncia 509/2023).", case=CASE)
    assert {"kind": "denuncia_constitucional", "value": "509"} in m.identifiers
    ids = main("Fiscalía formaliza investigación en el caso EFICAVIP-Juliaca.", case=CASE).identifiers
    assert ids == ({"kind": "carpeta_fiscal", "value": "023-2023"},)


def test_no_identifier_from_plain_numbers() -> None:
    m = main("La Fiscalía abrió investigación por 18 muertes ocurridas en 2023 y 50 heridos.")
    assert m.identifiers == ()


# --- Actors ---------------------------------------------------------------------------------------

CASE = Case(
    id="juliaca-test",
    name="Juliaca (test)",
    terms=(Term(term="Juliaca"),),
    people=(
        Actor(name="Dina Boluarte", aliases=("Boluarte", "presidenta Boluarte"), role="official"),
        Actor(name="Marco Antonio Lara Vergara", aliases=("Lara Vergara",), role="police"),
        Actor(name="Delia Espinoza", role="prosecutor"),
    ),
    institutions=(
        Actor(name="Fiscalía de la Nación", aliases=("Fiscal de la Nación",), role="prosecutor"),
        Actor(name="EFICAVIP", aliases=("Equipo Especial de Fiscales",), role="prosecutor"),
    ),
    case_numbers=(
        CaseNumber(kind="carpeta_fiscal", value="023-2023", aliases=("EFICAVIP-Juliaca",)),
        CaseNumber(kind="denuncia_constitucional", value="509", aliases=("denuncia 509/2023",)),
    ),
    event_date=date(2023, 1, 9),
)


def test_case_people_and_institutions_by_canonical_name() -> None:
    m = main("La fiscal de la Nación Delia Espinoza presentó denuncia constitucional contra la presidenta "
             "Boluarte por la masacre de Juliaca.", case=CASE)
    assert m.actors == ("Fiscalía de la Nación", "Delia Espinoza", "Dina Boluarte")


def test_actors_are_accent_and_case_insensitive_whole_words() -> None:
    m = main("EL JUEZ DICTÓ PRISIÓN PREVENTIVA CONTRA LARA VERGARA; BOLUARTES NO ES UN NOMBRE.", case=CASE)
    assert m.actors == ("Poder Judicial", "Marco Antonio Lara Vergara")


def test_generic_institutions_without_a_case() -> None:
    m = main("La Defensoría del Pueblo y la CIDH saludaron que el Poder Judicial dictara prisión preventiva "
             "a pedido de la Fiscalía.")
    assert set(m.actors) == {"Defensoría del Pueblo", "CIDH", "Poder Judicial", "Ministerio Público"}
    en = main("The IACHR said the Constitutional Court ruled against Congress.")
    assert set(en.actors) == {"CIDH", "Tribunal Constitucional", "Congreso de la República"}


def test_actors_are_those_near_the_step() -> None:
    filler = " ".join(["Las lluvias afectaron varias provincias del sur del país durante la semana."] * 10)
    m = main(f"La JNJ suspendió a Delia Espinoza. {filler} La presidenta Boluarte viajó a Brasil.", case=CASE)
    assert m.type == "institutional" and "Dina Boluarte" not in m.actors


# --- Dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "published", "expected"), [
    ("La Fiscalía formalizó investigación el 15 de marzo de 2024 contra los policías.", None, date(2024, 3, 15)),
    ("La Fiscalía formalizó investigación el 15 de marzo del 2024.", None, date(2024, 3, 15)),
    ("El juez dictó prisión preventiva el 03/04/2024 contra el coronel.", None, date(2024, 4, 3)),
    ("La Fiscalía presentó este lunes 15 de setiembre la acusación contra los policías.", PUBLISHED,
     date(2025, 9, 15)),
    ("La Fiscalía presentó el 20 de diciembre la acusación contra los policías.", PUBLISHED, date(2024, 12, 20)),
    ("La Fiscalía presentó el 20 de diciembre la acusación contra los policías.", None, None),
    ("La Fiscalía formalizó ayer la investigación contra los policías.", PUBLISHED, date(2025, 9, 16)),
    ("La Fiscalía formalizó el lunes la investigación contra los policías.", PUBLISHED, date(2025, 9, 15)),
    ("Prosecutors filed charges on March 3 against the officers.", PUBLISHED, date(2025, 3, 3)),
    ("Prosecutors filed charges on January 9, 2024 against the officers.", None, date(2024, 1, 9)),
    ("La audiencia de control de acusación será el 20 de octubre.", PUBLISHED, date(2025, 10, 20)),
    ("La Fiscalía formalizó investigación contra los policías.", PUBLISHED, None),
])
def test_step_dates(text: str, published: datetime | None, expected: date | None) -> None:
    assert main(text, published=published).date == expected


def test_event_date_and_deadlines_are_not_the_step_date() -> None:
    m = main("La Fiscalía amplió la investigación hasta el 30 de junio de 2025 por las muertes del 9 de enero "
             "de 2023.", case=CASE)
    assert m.type == "investigation_extended" and m.date is None
    m = main("Fiscalía archivó el 9 de enero de 2023 la denuncia.", case=CASE)  # the event day is never the step
    assert m.date is None


def test_dates_resolve_against_local_publication_day() -> None:
    # 02:00 UTC on 16 September is still 15 September in Lima: "ayer" is the 14th.
    m = main("La Fiscalía formalizó ayer la investigación.", published=datetime(2025, 9, 16, 2, 0, tzinfo=UTC))
    assert m.date == date(2025, 9, 14)


def test_date_finder_spans() -> None:
    text = "Desde el 9 de enero de 2023, la carpeta 023-2023; audiencia el 20 de octubre."
    found = find_dates(text)
    assert [text[d.start:d.end] for d in found] == ["9 de enero de 2023", "20 de octubre"]


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
    assert find_milestones(text, "", published=PUBLISHED) == []


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
    got = [m.type for m in find_milestones(text, "")]
    assert got[0] == winner and loser in got[1:], got


def test_title_decides_the_main_step() -> None:
    body = ("La Fiscalía formalizó la investigación contra el general. En 2023 los deudos habían presentado una "
            "denuncia penal y una denuncia constitucional.")
    got = find_milestones("Poder Judicial dicta impedimento de salida contra general PNP", body)
    assert got[0].type == "coercive_measure"
    assert {"formal_investigation", "complaint", "constitutional_complaint"} <= {m.type for m in got}


def test_one_milestone_per_type_and_status() -> None:
    got = find_milestones("Fiscalía formaliza investigación",
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
    got = find_milestones(title, "")
    assert (got[0].type, got[0].status, got[0].primary) == ("statement", "taken", True)  # the demand is the news
    assert len(got) == 2 and got[1].status == "requested"
    assert [m.type for m in reported(got)] == ["statement"]  # a requested step never reaches readers


def test_a_step_only_demanded_ranks_below_a_real_one() -> None:
    got = find_milestones("Deudos exigen prisión preventiva para los policías",
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
    assert find_milestones("¿En qué va la investigación? Las claves del caso Juliaca", body) == []
    got = find_milestones("Cronología: Fiscalía formalizó investigación del caso Juliaca", body)
    assert [m.type for m in got] == ["formal_investigation"] and got[0].evidence == "formalizó investigación"


# --- API ------------------------------------------------------------------------------------------


def test_labels_follow_the_language_and_as_dict_is_json() -> None:
    es = main("La Fiscalía formalizó investigación contra los policías el 15 de marzo de 2024.")
    en = main("La Fiscalía formalizó investigación contra los policías el 15 de marzo de 2024.", language="en")
    assert es.label == "Investigación preparatoria formalizada" and en.label == "Formal investigation"
    assert labels("fr") == labels("es") and set(labels("en")) == set(MILESTONE_TYPES)
    d = json.loads(json.dumps(es.as_dict()))
    assert d == {"type": "formal_investigation", "label": es.label, "identifiers": [], "actors": ["Ministerio Público"],
                 "date": "2024-03-15", "status": "taken", "primary": True, "evidence": "formalizó investigación"}


def test_empty_text() -> None:
    assert find_milestones("", "") == []


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("language: es\nmilestones:\n  verdict: {label: X, priority: 1}\n", "milestones.verdict: unknown milestone type"),
    ("language: es\nmilestones:\n  trial: {label: X}\n", "milestones.trial: needs a label and an integer priority"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, weaker: {9: [juicio]}}\n",
     "milestones.trial.weaker.9: must be an integer below 5"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, phrases: [\"juicio|juicio-oral\"]}\n",
     r"milestones.trial.phrases\[0\]: 'juicio-oral' is several words"),
    ("language: es\nwords: []\nmilestones: {}\n", "words: unknown field"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, requested: maybe}\n",
     "milestones.trial.requested: must be 'announced' or 'taken'"),
])
def test_rule_table_errors_name_file_and_field(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "milestones.es.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(RuleError, match=f"^milestones.es.yaml: {message}"):
        _load_table(path)


def test_rule_syntax() -> None:
    [elems] = _compile("formaliz* ...4 investigación|pesquisa", "t")
    assert [e.gap for e in elems] == [0, 4, 0] and elems[0].stems == ("formaliz",)
    assert elems[2].words == frozenset({"investigacion", "pesquisa"})
    assert len(_compile("la? denuncia", "t")) == 2  # an optional first word: with and without it
    with pytest.raises(RuleError, match="t: .*several words"):
        _compile("carpeta|023-2023", "t")
    with pytest.raises(RuleError, match="no required word"):
        _compile("de? ...", "t")


# --- Long texts ------------------------------------------------------------------------------------
# (Speed is measured by bench/classify.py, not here: a timed test fails on a busy machine.)


def test_a_long_article_reports_each_step_once() -> None:
    paragraph = (
        "La Fiscalía formalizó investigación preparatoria contra cinco policías por la muerte de 18 personas en "
        "Juliaca, según la carpeta fiscal N° 023-2023. Los deudos exigieron justicia el 9 de enero de 2024 y la "
        "defensa anunció que apelará. El juez evaluará el pedido de prisión preventiva en una audiencia. "
        "Mientras tanto, las lluvias afectaron varias provincias y el precio de la papa subió en los mercados. "
    )
    text = paragraph * (5000 // len(paragraph.split()) + 1)
    assert len(text.split()) >= 5000
    found = find_milestones("Fiscalía formaliza investigación", text, case=CASE, published=PUBLISHED)
    assert found[0].type == "formal_investigation" and found[0].primary
    pairs = [(m.type, m.status) for m in found]
    assert len(pairs) == len(set(pairs)), pairs  # 50 repetitions of the paragraph: each step once per status


# --- The step a text reports, not every step it mentions ---------------------------------


def statuses(title: str, text: str = "") -> dict[str, set[str]]:
    """type -> statuses found (a type may be taken in the lead and background further down)."""
    out: dict[str, set[str]] = {}
    for m in find_milestones(title, text, published=PUBLISHED):
        out.setdefault(m.type, set()).add(m.status)
    return out


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
    found = find_milestones(title, text, published=PUBLISHED)
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
    found = find_milestones("Deudos exigen derogar la ley de amnistía", "", published=PUBLISHED)
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
    found = find_milestones(title, text, published=PUBLISHED)
    prim = [m for m in found if m.primary]
    assert [m.type for m in prim] == [primary] and prim[0].status == "taken" and found[0] is prim[0]
    taken = [m for m in found if m.status == "taken"]
    assert all(m.type in (primary, "statement") for m in taken), taken  # later mentions are background


def test_every_status_comes_with_its_reason_and_sentence() -> None:
    found = find_milestones("Fiscalía formaliza investigación", "La Fiscalía formalizó ayer la investigación "
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


@pytest.mark.parametrize(("title", "text", "mtype", "status"), [
    # a dated participle after the step: decided before ("dictada en agosto", "imposed in September")
    ("Sala confirma impedimento de salida", "La Sala Penal de Apelaciones declaró infundado el recurso de apelación "
     "y confirmó la medida de impedimento de salida dictada en agosto.", "coercive_measure", "background"),
    # what a position welcomes is context; the position is the statement
    ("Familias saludan que el juez haya dictado impedimento de salida a los policías", "", "coercive_measure",
     "background"),
    # reported speech: a pluperfect told by "informed that" is the news
    ("Juliaca probe extended again", "Prosecutors informed the families on Monday that the preliminary "
     "investigation had been extended by eight months.", "investigation_extended", "taken"),
    # a negated step did not happen
    ("A cien días, ningún policía ha declarado ante la fiscalía", "", "testimony", "background"),
    # a step its clause dates long before publication (2025-09-17) is told again, whatever its verb
    ("Análisis: el caso Juliaca después de la vacancia", "La fiscalía abrió investigación preliminar contra la "
     "presidenta en enero de 2023 y todavía no decide si la formaliza.", "preliminary_investigation", "background"),
    ("Familias esperan fecha para el juicio", "La fiscalía presentó la acusación hace dos años y el juzgado aún "
     "no programa la audiencia.", "indictment", "background"),
    ("Prosecutors act in Juliaca case", "Prosecutors ordered new ballistic tests last week, two years after the "
     "first ones.", "forensic", "taken"),  # "last week" is no year: the step stays news
    # a court's decision reported with what it decided is that step
    ("Juez dicta impedimento de salida a cuatro policías", "El juez declaró fundado el requerimiento de "
     "impedimento de salida contra cuatro policías investigados por las muertes en Juliaca.", "ruling", "background"),
    # a long subject whose verb says the step happened
    ("Families fill a courtroom in Puno", "The trial of two police officers accused of shooting protesters near "
     "the airport began on Monday in Puno.", "trial", "taken"),
    # a participle dated this week reports what just happened; dated by a month, an earlier step
    ("Fiscalía recibe resultados en Juliaca", "La necropsia practicada ayer en Juliaca confirmó que el agente murió "
     "por traumatismo.", "forensic", "taken"),
    ("Fiscalía recibe resultados en Juliaca", "La necropsia practicada en marzo confirmó que el agente murió "
     "por traumatismo.", "forensic", "background"),
    # a present tense the lemmatizer reads as a noun, before its object, is the verb of a position
    ("Aprodeh y el caso Juliaca", "Aprodeh saluda la acusación contra los policías del caso Juliaca.", "statement",
     "taken"),
    # a relative clause with its own verb does not hold the step that follows it
    ("Juicio por Juliaca", "El perito que examinó los proyectiles declaró hoy ante el juzgado colegiado en Puno.",
     "testimony", "taken"),
    # a count of times right after a step makes it a history
    ("Fiscalía pide más plazo", "La investigación preliminar ha sido ampliada en varias ocasiones desde 2023 y "
     "sigue sin imputados.", "investigation_extended", "background"),
    # a march or sit-in held, a letter sent, a release "said today": positions taken in public
    ("Families gather in Huamanga", "Relatives of the victims held a vigil outside the court on Tuesday.",
     "statement", "taken"),
    ("Congresistas de Puno escriben a la fiscal", "Cuatro congresistas enviaron ayer un oficio a la fiscal de la "
     "Nación sobre el caso Juliaca.", "statement", "taken"),
    # appearing before a commission to answer is testifying; a new office opened is an institutional step
    ("Ministro acude al Congreso", "El ministro del Interior se presentó ayer ante la Comisión de Justicia por las "
     "muertes en Juliaca.", "testimony", "taken"),
    ("Fiscalía en Juliaca", "El equipo especial instaló ayer un despacho en Juliaca para el caso.", "institutional",
     "taken"),
    # a present in an English body is a verb before its object ("follows a complaint": no action on it)
    ("Prosecutors widen Juliaca probe", "The decision follows a criminal complaint by relatives of the victims.",
     "complaint", "background"),
    # a recap word opening the clause of a step that is its own verb
    ("Hearing still pending", "Five months after prosecutors indicted two officers, the court has not set a date.",
     "indictment", "background"),
    ("Audiencia pendiente", "Tres meses después de que la fiscalía acusara a dos policías, el juzgado no fija fecha.",
     "indictment", "background"),
    # what an appeals court upholds is the object of the appeal, which is the step
    ("Appeals court rules in Juliaca case", "The appeals chamber rejected the defence appeal and upheld the travel "
     "ban on four officers.", "coercive_measure", "background"),
    # a bill that alarms: a position on it, the bill is context
    ("UN experts alarmed by bill shielding police over protest deaths", "", "legislation", "background"),
    # the title of a work is no step: quoted, or after "titled"
    ("Se estrena 'Testimonio de Puno', documental sobre Juliaca", "", "testimony", None),
    ("Film on Juliaca premieres", "A documentary titled Testimony premiered on Wednesday in Lima.", "testimony", None),
    # a question headline heads an analysis: the body reports no step of its own
    ("¿Qué viene para el caso Juliaca?", "La carpeta pasó a una fiscalía de Lima y el plazo vence en marzo.",
     "institutional", None),
    # a relative clause inside the step's words describes who acts
    ("Fiscalía evalúa pedir prisión preventiva", "La fiscalía especializada que investiga las muertes de Huamanga "
     "evalúa nuevas diligencias.", "preliminary_investigation", "background"),
    # the subject of a future or conditional verb is announced, whatever verb stands before it
    ("Boluarte sin inmunidad", "Boluarte perdió la inmunidad y las investigaciones por las muertes podrían "
     "reactivarse.", "preliminary_investigation", "announced"),
    # "charge" in English copy over a formalized investigation is that formalization
    ("Prosecutors charge four officers over Juliaca deaths", "Prosecutors on Tuesday formally opened a preparatory "
     "investigation into four police officers.", "indictment", "background"),
    # a source's attribution is no statement; nouns whose lemma differs are no verbs ("media", "him")
    ("Judge bars officers from leaving Peru", "The judge barred four officers from leaving the country, the "
     "judiciary said in a statement.", "statement", None),
    ("Rolex probe extended", "The case was opened in March after media reports.", "report", None),
    ("Officers summoned in Juliaca case", "Prosecutors summoned four officers. They appeared on Monday. The forensic "
     "report, by contrast, was read at an earlier hearing.", "forensic", "background"),
    # a court setting the date of a hearing has set the hearing, whatever the date
    ("Juzgado programa audiencia en el caso Juliaca", "El juzgado fijó para el 26 de mayo de 2026 la audiencia de "
     "control de acusación.", "hearing", "taken"),
    ("Court sets date in Juliaca case", "The court on Thursday set 19 January 2027 as the date for the hearing.",
     "hearing", "taken"),
    # a list of demands after a colon: every "que se ..." in it is asked for
    ("Deudos entregan pliego al fiscal", "Los deudos entregaron un pliego de demandas: que se formalice la "
     "investigación y que se cite a declarar a los generales.", "testimony", "requested"),
    # what an archiving in the same sentence closes is its object
    ("Comisión Permanente archiva denuncia constitucional", "La Comisión Permanente aprobó el informe final que "
     "dispone el archivamiento de la denuncia constitucional contra la presidenta.", "constitutional_complaint",
     "background"),
    # a pluperfect told by a reporting verb right before it is the news, told in the past
    ("Lima prosecutors act", "Prosecutors in Lima said they had opened an inquiry into the death.",
     "preliminary_investigation", "taken"),
    # a phrase dated this week by its participle reports the step it names
    ("Juez dicta comparecencia", "En una audiencia virtual realizada ayer, el juez dictó comparecencia con "
     "restricciones.", "hearing", "taken"),
    # a trial that continues is under way (the guide); "denunciaron que" is a position, "la denuncia que" a noun
    ("Continúa el juicio oral por las muertes de Juliaca", "", "trial", "taken"),
    ("Deudos de Juliaca sin recursos", "Los deudos denunciaron que no tienen recursos para viajar a Lima.",
     "statement", "taken"),
    # a work's title opening the headline, in guillemets
    ("«Testimonio de Juliaca», el documental sobre la masacre", "", "testimony", None),
    # a headline's step still pending ("still without a date") is not taken; waiting for a step is no action
    ("Detention hearing in Juliaca case still without a date", "", "hearing", "announced"),
    ("Families wait for results of second autopsy in Juliaca case", "", "forensic", "background"),
    # an opinion piece heads no news of its own
    ("Opinion: Juliaca and impunity", "Congress shelved the first constitutional complaint within weeks.",
     "archived", None),
    # none of a step is no step ("cero sentencias"); what evidence finds, in the lead, is news
    ("CNDDHH: cincuenta muertes, cero sentencias", "", "ruling", "background"),
    ("Pericias confirman que las balas salieron de fusiles del Ejército", "", "forensic", "taken"),
    # resources assigned are no appeal; a march during which something happened is its time, not a position
    ("Ministerio destina recursos para la defensa de las víctimas", "", "appeal", None),
    ("Fiscalía formaliza investigación por muerte en Lima", "La fiscalía formalizó investigación contra un policía "
     "por la muerte de un hombre herido durante una marcha en Lima.", "statement", "background"),
    # testifying today without "ante": "declararon ayer"; a conviction with a day between verb and object
    ("Sobrevivientes hablan en el juicio", "Tres sobrevivientes de la balacera declararon ayer en Puno.",
     "testimony", "taken"),
    ("Corte Suprema resuelve caso", "La Corte Suprema condenó este jueves al exministro por cohecho.", "ruling",
     "taken"),
    ("Suprema resuelve recurso", "La Sala Suprema declaró no haber nulidad en la sentencia.", "appeal", "taken"),
    # the year of a shooting before a step names the events, not the step's date
    ("Puno: 2011 airport shooting trial enters final stage", "", "trial", "taken"),
    # a tally is statistics, not a step; what is still pending has not happened
    ("Fiscalía presenta balance", "En 2024 se realizaron más de 300 pericias y se recibieron 1 200 declaraciones.",
     "forensic", "background"),
    ("Equipo especial amplía plazos", "La medida responde a las pericias aún pendientes.", "forensic", "announced"),
    # done "a inicios de año" in a text of August: an earlier step
    ("Fijan fecha para audiencia", "La fiscalía presentó su acusación a inicios de año.", "indictment",
     "background"),
    # a request granted is done; "ubicación y captura", a reconstruction of the shootings
    ("Juez amplía plazo", "El juez aprobó el pedido de la fiscalía de ampliar la investigación por ocho meses.",
     "investigation_extended", "taken"),
    ("Tribunal condena a exministro", "El tribunal ordenó su ubicación y captura.", "coercive_measure", "taken"),
    # a hearing is taken when held or set for a date: held days ago, even told further down; set ahead
    ("Juez dicta impedimento de salida", "El juez dictó ayer impedimento de salida contra cuatro policías. La "
     "defensa anunció que apelará. La audiencia se realizó el lunes 15 de setiembre en Juliaca.", "hearing", "taken"),
    ("Juicio por Juliaca", "El juicio oral continuó hoy. La próxima audiencia será el 2 de octubre.", "hearing",
     "taken"),
    # a hearing the text dates this week is taken wherever it is told, "tras" included; a session set ahead too
    ("Juez rechaza prisión preventiva", "El juez rechazó ayer la prisión preventiva. La defensa celebró. El juez "
     "decidió tras una audiencia de diez horas realizada el lunes 15 de setiembre.", "hearing", "taken"),
    ("Juicio por Juliaca", "El juicio oral continuó hoy en Puno. La próxima sesión será el 30 de setiembre.",
     "hearing", "taken"),
    # a measure with its length ("nueve meses de prisión preventiva") is the measure
    ("Juez dicta medidas", "El juez dictó nueve meses de prisión preventiva contra uno de los acusados.",
     "coercive_measure", "taken"),
    # a member of Congress filing a criminal complaint files a complaint, not a constitutional one
    ("Congresista denuncia a exministro", "Una congresista presentó una denuncia penal ante la Fiscalía contra el "
     "exministro.", "complaint", "taken"),
    # expert evidence cited as the basis of something else is no step of its own
    ("Peritos declaran en el juicio", "Los peritos sostuvieron ayer las conclusiones de su pericia sobre los "
     "disparos.", "forensic", "background"),
    # a press release names the document's genre, not a position
    ("Press release: Prosecutor's Office files indictment in Juliaca case", "", "statement", None),
    # at a trial under way, the years the prosecution asks for are the charge tried, not a new indictment
    ("Se inicia juicio oral contra dos policías por muertes en Juliaca", "El juicio oral comenzó este lunes en "
     "Puno y la fiscalía pide 25 años de prisión para ambos.", "indictment", "background"),
])
def test_sentence_level_rules(title: str, text: str, mtype: str, status: str | None) -> None:
    assert statuses(title, text).get(mtype) == ({status} if status else None), statuses(title, text)


def test_a_reaction_further_down_a_story_about_another_step_is_no_step_of_its_own() -> None:
    """The guide: steps that appear only further down are background; the families' reaction in the
    third sentence of a story on a formalization is part of that story, not a statement of its own."""
    text = ("La fiscalía formalizó ayer investigación preparatoria contra cuatro policías por las muertes de "
            "Juliaca. La disposición fue notificada a las partes. Los deudos saludaron la decisión.")
    got = find_milestones("Fiscalía formaliza investigación por muertes en Juliaca", text, published=PUBLISHED)
    assert [m.type for m in reported(got)] == ["formal_investigation"]
    alone = find_milestones("Deudos de Juliaca", "Los deudos saludaron ayer la decisión de la fiscalía.",
                            published=PUBLISHED)
    assert [m.type for m in reported(alone)] == ["statement"]  # a reaction that is the news stays one


def test_an_outlet_or_a_name_reports_no_step() -> None:
    """A headline's trailing outlet ("- Peru Reports") and a capitalised name mid-sentence are no report."""
    assert without_outlet("Juliaca probe extended again - Peru Reports") == "Juliaca probe extended again"
    assert without_outlet("Fiscalía amplía investigación | La República") == "Fiscalía amplía investigación"
    assert without_outlet("Caso Juliaca - claves de la investigación fiscal por las muertes") == \
        "Caso Juliaca - claves de la investigación fiscal por las muertes"  # no outlet: too long, lower case
    got = find_milestones("Prosecutors short of staff", "Prosecutors lack staff, according to a memo seen by Peru "
                          "Reports.", language="en")
    assert "report" not in {m.type for m in got}


def test_a_ruling_told_after_the_measure_the_lead_reports_is_that_measure() -> None:
    got = find_milestones("Juez ordena impedimento de salida para cuatro policías",
                          "El juez de Puno dictó ayer impedimento de salida contra cuatro policías investigados por "
                          "las muertes en Juliaca. Así lo resolvió el juez tras una audiencia de seis horas.",
                          published=PUBLISHED)
    assert [m.type for m in reported(got)] == ["coercive_measure"]


def test_the_body_that_archives_a_complaint_names_no_complaint() -> None:
    """'La Subcomisión de Acusaciones Constitucionales archivó la denuncia': the committee's name says who
    archives; the news is the archiving (the complaint is then background, docs/architecture.md)."""
    got = find_milestones("Subcomisión archiva denuncia constitucional por muertes en Juliaca",
                          "La Subcomisión de Acusaciones Constitucionales archivó la denuncia constitucional contra "
                          "la presidenta por las muertes del 9 de enero de 2023 en Juliaca.")
    assert [m.type for m in reported(got)] == ["archived"]
    acting = find_milestones("", "La Subcomisión de Acusaciones Constitucionales aprobó el informe de calificación "
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
    found = find_milestones(title, text, published=PUBLISHED)
    assert found[0].primary and found[0].type != earlier
    got = {m.type: m for m in found if m.type == earlier}
    assert got[earlier].status == "background" and "earlier stage" in got[earlier].reason, got


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # what a speaker recalls is history; a verb coordinated after the recalled clause is a new main clause
    ("Defensoría recomienda formalizar investigaciones por Juliaca", "La Defensoría recomendó al Ministerio "
     "Público formalizar las investigaciones. La institución recordó que en 2023 publicó un informe sobre los "
     "fallecidos.", "report", "background", "recalled"),
    ("Illariy demands formalisation of charges", "The institute issued a communiqué demanding charges. The "
     "communiqué recalls that the IACHR granted precautionary measures to the families.", "precautionary_measure",
     "background", "recalled"),
    ("ONU pide a Perú no aplicar la amnistía", "El Alto Comisionado pidió a Perú no aplicar la ley. Su portavoz "
     "recordó que el derecho internacional prohíbe las amnistías y exhortó a los jueces a ejercer control.",
     "statement", "taken", "the request is the step"),
    # the Congress report that carries the archiving
    ("Congress committee archives constitutional complaint 509 against Boluarte", "The Permanent Committee on "
     "Wednesday approved the final report recommending the archiving of constitutional complaint 509.", "report",
     "background", "carries the step"),
    # a demand's or a report's body: the other steps it tells after the lead are its context
    ("Macusani families demand justice", "Relatives protested on Monday outside the prosecutor's office and "
     "demanded charges. The prosecutor's office opened its inquiry into the deaths.",
     "preliminary_investigation", "background", "context of the statement"),
    # a step dated by a bare month before the month of publication, below the lead, is told again
    ("Macusani families demand justice", "Relatives protested on Monday outside the prosecutor's office and "
     "demanded charges. The prosecutor's office opened its inquiry into the deaths in January.",
     "preliminary_investigation", "background", "before the month of publication"),
    ("Former police commander testifies", "A former colonel testified on Tuesday before the judges. The trial "
     "opened in January.", "trial", "background", "before the month of publication"),
    # an investigation that goes on is no new step
    ("Four Juliaca police officers testify as preparatory investigation continues", "Four officers gave statements "
     "on Monday before the prosecutor.", "formal_investigation", "background", "under way"),
    # a report that recommends: its call is part of it
    ("Ombudsman publishes report on protest deaths, recommends reparations", "The Ombudsman's Office on Tuesday "
     "presented a report on the protests.", "statement", "background", "the call of the report"),
])
def test_voices_recalls_and_vehicles(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in find_milestones(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found


@pytest.mark.parametrize(("title", "text", "primary"), [
    ("Juliaca preparatory investigation extended by seven months", "A judge granted the request to extend by seven "
     "months the preparatory investigation against four officers.", "investigation_extended"),
    ("Prosecutor's Office formalises investigation against army officers", "The prosecutor formalised the "
     "preparatory investigation against three officers.", "formal_investigation"),
    ("Police search home of former general in Juliaca killings probe", "Prosecutors and police on Monday searched "
     "the home of a retired general.", "coercive_measure"),
    ("Ombudsman publishes report on protest deaths, recommends reparations", "The Ombudsman's Office on Tuesday "
     "presented a report on the protests.", "report"),
    ("Carpetas del caso Juliaca pasan a la fiscalía de derechos humanos de Puno", "La Fiscalía de la Nación "
     "dispuso el martes que las carpetas sean asumidas por la fiscalía de Puno.", "institutional"),
])
def test_primary_step_wordings(title: str, text: str, primary: str) -> None:
    found = find_milestones(title, text, published=PUBLISHED)
    assert found and found[0].primary and found[0].type == primary, found


@pytest.mark.parametrize(("title", "text", "absent"), [
    ("Ombudsman's Office reports 17 deaths in Juliaca, urges prompt investigation", "The Ombudsman's Office "
     "reported that 17 civilians died and called for an investigation.", "report"),
    ("Ministerio Público presenta estadísticas", "El Ministerio Público presentó su reporte sobre las 49 "
     "investigaciones abiertas por muertes de civiles y 230 declaraciones testimoniales.", "testimony"),
    ("CIDH otorga medidas cautelares a deudos de Juliaca", "La CIDH otorgó medidas cautelares a los familiares. "
     "La Comisión realizó una visita in loco, durante la cual recogió testimonios en Puno.", "testimony"),
    ("Juez dicta auto de enjuiciamiento contra policías", "El juzgado dictó auto de enjuiciamiento contra tres "
     "suboficiales y remitió el expediente al Juzgado Penal Colegiado.", "institutional"),
    ("Court orders trial of army officers over Andahuaylas deaths", "A court on Wednesday ordered that army "
     "officers stand trial over the deaths.", "trial"),
    ("IDL: el juicio por Juliaca es un paso, pero faltan los mandos", "El Instituto de Defensa Legal saluda el "
     "inicio del juicio oral contra tres policías.", "trial"),
])
def test_wordings_that_report_no_such_step(title: str, text: str, absent: str) -> None:
    found = find_milestones(title, text, published=PUBLISHED)
    assert not [m for m in found if m.type == absent and m.status == "taken"], found


def test_no_number_placeholder_is_lost_to_a_yaml_comment() -> None:
    """An unquoted phrase ending in " #" (a number) loses it to a YAML comment and then matches every time
    its words occur ("reports|reported #" became "reports|reported"): such phrases must be quoted."""
    rules = Path(__file__).resolve().parents[2] / "pipeline" / "classify" / "rules"
    for path in sorted(rules.glob("milestones.*.yaml")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            item = line.strip()
            assert not (item.startswith("- ") and item[2:3] not in "\"'" and item.endswith(" #")), (path.name, n)


@pytest.mark.parametrize(("title", "text", "mtype", "status"), [
    ("Prosecutors file new constitutional complaint against Boluarte", "The Attorney General's Office on Wednesday "
     "filed a new constitutional complaint. Congress archived an earlier complaint over the same deaths in May.",
     "archived", "background"),
    ("Analysis: Can Peru's protest cases survive the amnesty era?", "With an amnesty law already in force, lawyers "
     "fear the cases may stall.", "legislation", "background"),
    ("Families still without autopsy reports", "Aprodeh demanded on Thursday that Legal Medicine hand over the "
     "necropsy protocols.", "report", None),
    ("ONU insta al Perú a garantizar la participación de las víctimas", "Un grupo de relatores instó hoy al Perú "
     "a garantizar la participación de las familias en el juicio.", "statement", "taken"),
    ("CNDDHH denuncia hostigamiento a familias de heridos", "La Coordinadora denunció hostigamiento policial a las "
     "familias de los heridos.", "statement", "taken"),
])
def test_earlier_objects_look_back_kickers_and_calls(title: str, text: str, mtype: str, status: str | None) -> None:
    """status None: the type is not found at all; background: found, if at all, never taken."""
    got = statuses(title, text)
    if status is None:
        assert mtype not in got, got
    elif status == "background":
        assert "taken" not in got.get(mtype, set()), got
    else:
        assert status in got.get(mtype, set()), got


def test_a_hearing_set_in_a_demands_body_is_still_news() -> None:
    """A voice's body tells context after the lead, except a hearing a court set or held (docs/architecture.md)."""
    text = ("La CIDH pidió al Estado peruano investigar las muertes de Juliaca. El juzgado programó la audiencia "
            "para el 4 de diciembre. La fiscalía abrió investigación preliminar en enero.")
    got = statuses("CIDH sigue el caso Juliaca", text)
    assert got["statement"] == {"taken"} and "taken" in got["hearing"], got
    assert "taken" not in got.get("preliminary_investigation", set()), got


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # the defence asking for a dismissal asks for it
    ("Audiencia de control de acusación en el caso Juliaca", "El juzgado realizó ayer la audiencia. Durante la "
     "sesión, las defensas plantearon el sobreseimiento del caso.", "archived", "requested", "asked for"),
    # a dismissal worded as a rejection is the archiving itself
    ("Judge dismisses case against protesters", "A judge in Juliaca on Monday dismissed the case against eleven "
     "protesters.", "archived", "taken", "the rejection is the step"),
    # a verdict welcomed is what the statement is about, not a new ruling
    ("UN rights office welcomes Juliaca verdict", "The office called it an important step against impunity.",
     "ruling", "background", "a position on it"),
    # a headline's step that the body tells as asked for
    ("Prosecutors ask court to bar former president from leaving Peru", "Prosecutors on Wednesday requested an "
     "18-month travel ban for the former president.", "coercive_measure", "requested", "told in the body"),
    # a report of autopsies delivered is expert evidence
    ("Peritos entregan informe de las necropsias", "Medicina Legal entregó a la fiscalía el documento.",
     "forensic", "taken", "the report of"),
    # a court declaring a charge admissible rules on it
    ("Juez declara procedente acusación contra cuatro policías y los envía a juicio", "El juzgado dictó el auto "
     "de enjuiciamiento.", "indictment", "background", "what the court admitted"),
    # a verb charge beside a constitutional complaint filed is that complaint
    ("Prosecutors accuse former minister over 2020 deaths", "Prosecutors filed a constitutional complaint on "
     "Tuesday against the former minister.", "indictment", "background", "constitutional complaint"),
    # what an earlier indictment asks for is background
    ("Poder Judicial programa audiencia de control de acusación", "El juzgado programó la audiencia para el 18 "
     "de mayo. La acusación fiscal, presentada en marzo, solicita penas de 25 años de prisión.",
     "indictment", "background", ""),
])
def test_steps_told_through_other_words(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in find_milestones(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found
    assert status == "taken" or all(m.status != "taken" for m in found), found


def test_according_to_a_statement_names_a_source() -> None:
    found = find_milestones("Prosecutors formalize investigation against four officers", "The officers are "
                            "suspected of homicide, according to a statement.", published=PUBLISHED)
    assert [m.type for m in found if m.status == "taken"] == ["formal_investigation"], found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    ("Juicio por Juliaca", "En la sesión de ayer declararon dos peritos de balística ante el colegiado.", "testimony"),
    ("Caso Juliaca", "La fiscalía recabó las primeras declaraciones de heridos el lunes.", "testimony"),
    ("Former minister questioned", "The former minister appeared before prosecutors on Tuesday.", "testimony"),
    ("Peru opens probe", "Prosecutors opened preliminary proceedings against army officers on Monday.",
     "preliminary_investigation"),
    ("Fiscal de la Nación", "El fiscal de la Nación ratificó ayer al equipo especial que investiga las muertes.",
     "institutional"),
])
def test_wordings_of_a_step_taken(title: str, text: str, mtype: str) -> None:
    found = find_milestones(title, text, published=PUBLISHED)
    assert any(m.type == mtype and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    # the investigation as the subject of what is ordered is no investigation opened
    ("Caso Juliaca pasa a la Fiscalía de Derechos Humanos", "La Fiscalía de la Nación dispuso que la investigación "
     "por las muertes sea trasladada a la fiscalía supraprovincial.", "preliminary_investigation"),
    # the prosecution restating at trial the sentence it asks for is the charge, not a public position
    ("Arranca el juicio oral por las muertes de Juliaca", "El colegiado dio inicio ayer al juicio oral. En la "
     "primera sesión, la fiscalía reiteró el pedido de hasta 35 años de prisión.", "statement"),
])
def test_words_that_report_no_step_of_that_type(title: str, text: str, mtype: str) -> None:
    found = find_milestones(title, text, published=PUBLISHED)
    assert not any(m.type == mtype and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype", "status", "why"), [
    # going to the prosecutor to testify is testifying
    ("Exministro acude a la Fiscalía", "El exministro acudió ayer a la sede de la Fiscalía de la Nación para rendir "
     "su declaración en la investigación por las muertes.", "testimony", "taken", "went to testify"),
    # the witnesses' own verb is the testimony
    ("Testigos declaran en juicio por muertes en Juliaca", "La sesión se realizó en San Román.", "testimony",
     "taken", "the witnesses testify"),
    # what happened at the place just named goes on with the story
    ("Exjefe policial ante la fiscalía", "El exjefe de la Región Policial Puno acudió ayer a la sede del Equipo "
     "Especial de Fiscales, donde declaró durante cinco horas como investigado.", "testimony", "taken", ""),
    # the investigation extended is what the extension acts on
    ("Prosecutors extend Juliaca investigation by eight months", "The special team has extended the preparatory "
     "investigation by eight months.", "formal_investigation", "background", "extends"),
])
def test_status_read_from_the_sentence(title: str, text: str, mtype: str, status: str, why: str) -> None:
    found = [m for m in find_milestones(title, text, published=PUBLISHED) if m.type == mtype]
    assert found and found[0].status == status and why in found[0].reason, found


def test_lost_immunity_is_no_constitutional_complaint() -> None:
    found = find_milestones("Judge bars former president from leaving Peru", "A judge on Tuesday barred the former "
                            "president from leaving Peru. She was removed by Congress and lost presidential immunity.",
                            published=PUBLISHED)
    assert not any(m.type == "constitutional_complaint" and m.status == "taken" for m in found), found


@pytest.mark.parametrize(("title", "text", "mtype"), [
    # a recap word opening the clause of the verb that acts on the step
    ("Families say threats continue", "Two years after the IACHR granted precautionary measures to leaders of the "
     "association, the families say threats have not stopped.", "precautionary_measure"),
    # an English headline's "to be" / "to travel" tells what is coming
    ("Boluarte to be questioned by prosecutors next month", "The former president will answer questions.",
     "testimony"),
    ("Ayacucho families to travel to Washington for IACHR hearing", "Relatives will take part next month.",
     "hearing"),
])
def test_recaps_and_headline_futures_report_no_step(title: str, text: str, mtype: str) -> None:
    found = find_milestones(title, text, published=PUBLISHED)
    assert not any(m.type == mtype and m.status == "taken" for m in found), found
