"""Words that look like something else: a noun shaped like a participle, a year before a colon."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.classify.milestones.text import PARTICIPLE, Doc
from tests.support.milestones import read_rules


def test_salida_in_impedimento_de_salida_is_a_noun_not_a_participle() -> None:
    doc = Doc.read("", "La Sala confirmó el impedimento de salida. Los deudos ya habían salido del local.")
    forms = {doc.toks[p]: doc.form(p) for p in range(len(doc.toks))}
    assert forms["salida"] is None
    assert forms["salido"] == PARTICIPLE  # the verb itself is still read


def test_a_year_before_a_colon_is_no_count_of_the_step_after_it() -> None:
    found = read_rules("Catorce años del 'aeropuertazo' de 2011: Sala de Puno confirma condena a dos policías",
                            "La Sala Penal de Apelaciones confirmó ayer la condena a dos policías.",
                            published=datetime(2025, 4, 10, 15, tzinfo=UTC))
    assert not any(m.reason.startswith("a count") for m in found)
    assert any(m.status == "taken" for m in found)


def test_a_word_after_a_possessive_is_a_noun_not_a_verb() -> None:
    doc = Doc.read("Juliaca case: hearing on police officers' appeal still has no date", "The court’s ruling stands.")
    forms = {doc.raw[p]: doc.form(p) for p in range(len(doc.raw))}
    assert forms["appeal"] is None and forms["ruling"] is None
    found = read_rules("Juliaca case: hearing on police officers' appeal still has no date",
                            "Lawyers for the families said the court has yet to set a date for the hearing.",
                            language="en", published=datetime(2025, 4, 10, 15, tzinfo=UTC))
    assert not any(m.status == "taken" for m in found)


def test_an_institutions_report_before_a_colon_is_the_news_not_a_kicker() -> None:
    found = read_rules("Ombudsman's report: most protest-death investigations remain at the preliminary stage",
                            "The Ombudsman's Office presented today a report on the investigations into the deaths.",
                            language="en", published=datetime(2025, 4, 10, 15, tzinfo=UTC))
    assert any(m.type == "report" and m.status == "taken" for m in found)


def test_a_present_ending_in_ada_is_no_participle() -> None:
    doc = Doc.read("", "La fiscal traslada las carpetas y pide que el juez decida; la carpeta trasladada llegó.")
    forms = {doc.toks[p]: doc.form(p) for p in range(len(doc.toks))}
    assert forms["traslada"] != PARTICIPLE and forms["decida"] != PARTICIPLE
    assert forms["trasladada"] == PARTICIPLE


def test_cases_moved_to_another_office_are_an_institutional_step() -> None:
    found = read_rules("Fiscalía traslada a Lima las investigaciones por las muertes de Juliaca",
                            "La Fiscalía de la Nación dispuso que las carpetas por las muertes del 9 de enero pasen de "
                            "la fiscalía de Puno a una fiscalía supraprovincial con sede en Lima.",
                            published=datetime(2023, 5, 25, 15, tzinfo=UTC))
    taken = {m.type for m in found if m.status == "taken"}
    assert taken == {"institutional"}
