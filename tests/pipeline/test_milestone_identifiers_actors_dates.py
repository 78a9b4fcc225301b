"""What a milestone carries besides its type: identifiers (carpeta, DC, expediente, resolución...), the
actors near the step (by canonical name where the case names them) and the step's own date, read
against the local publication day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.classify.dates import find_dates
from tests.support.milestones import CASE, PUBLISHED, main

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
