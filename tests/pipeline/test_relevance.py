"""Relevance of real-style headlines to the default Juliaca case (weights in config/cases/juliaca-2023.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.schema import Case
from pipeline.classify.relevance import CaseMatcher
from textkit import fold

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spiders" / "feed"

RELEVANT = [
    "Fiscalía amplía investigación por la masacre de Juliaca y cita a mandos policiales",
    "Juliaca: deudos exigen justicia a dos años de las muertes en el aeropuerto",
    "Familiares de Marco Antonio Samillán piden celeridad en el caso",
    "Asociación de Mártires y Víctimas del 9 de Enero rechaza archivamiento",
    "Fiscalía formaliza investigación en la carpeta 023-2023",
    "Juliaca: Poder Judicial dicta impedimento de salida contra policías por los fallecidos del 9 de enero",
    "CIDH: Los hechos de Juliaca constituyen una masacre, concluye informe",
    "Congreso archiva la DC 509 contra Dina Boluarte",
    "Peru: prosecutors charge police commander over Juliaca massacre",
    "Protestas en Juliaca: Fiscalía abre investigación por homicidio calificado",
    "MASACRE DE JULIACA: FISCALIA CITA A JEFES POLICIALES",  # case and accents do not matter
    # the police officer who died in Juliaca the same night is part of the case, not a look-alike
    "Fiscalía acusa a cinco personas por la muerte del policía José Luis Soncco en Juliaca",
]
NOT_RELEVANT = [
    "Senamhi: heladas de hasta -15 °C en Juliaca y zonas altas de Puno",
    "Binacional vence 2-1 en Juliaca y sueña con la Liga 1",
    "Precio de la papa sube en mercados de Juliaca",
    "Keiko Fujimori anuncia alianza con Renovación Popular para el Congreso",
    "Elecciones 2026: JNE publica lista de candidatos en Puno",
    "Dina Boluarte viaja a Brasil para cumbre de mandatarios",
    "Delia Espinoza responde a la JNJ tras su suspensión",
    "Accidente en la Panamericana Sur deja 12 muertos y decenas de heridos",
    "Feria de la Candelaria: miles de danzantes llegan a Puno y Juliaca",
    "Juliaca: nuevo hospital abrirá sus puertas en marzo",
]


@pytest.fixture(scope="module")
def matcher(juliaca: Case) -> CaseMatcher:
    return CaseMatcher(juliaca)


@pytest.mark.parametrize("headline", RELEVANT)
def test_relevant(matcher: CaseMatcher, headline: str) -> None:
    rel = matcher.match(headline, "")
    assert rel.relevant, (rel.score, rel.matched_terms)
    assert rel.matched_terms


@pytest.mark.parametrize("headline", NOT_RELEVANT)
def test_not_relevant(matcher: CaseMatcher, headline: str) -> None:
    rel = matcher.match(headline, "")
    assert not rel.relevant, (rel.score, rel.matched_terms)


def test_matching_is_accent_and_case_insensitive_on_whole_words(matcher: CaseMatcher) -> None:
    assert fold("Cápac ÑUÑOA") == "capac nunoa"
    accented = matcher.match("", "samillan sanga y jhamileth aroquipa")
    assert accented.relevant and "Marco Antonio Samillán Sanga" not in accented.matched_terms
    # "Juliacano" is not "Juliaca"
    assert "Juliaca" not in matcher.match("Un juliacano en Lima", "").matched_terms


def test_real_la_republica_feed(matcher: CaseMatcher) -> None:
    """Of the four real La República items, only the interview with Milagros Samillán concerns the case."""
    items = json.loads((FIXTURES / "larepublica_politica.expected.json").read_text(encoding="utf-8"))["items"]
    verdicts = {it["title"][:30]: matcher.match(it["title"], it["text"]).relevant for it in items}
    assert verdicts == {
        "Milagros Samillán: “Queremos d": True,
        "Buen Gobierno se uniría con Re": False,
        "Gobierno de Balcázar: Minam ga": False,
        "Vocero presidencial de Javier ": False,
    }


def test_real_el_comercio_feed_is_not_about_the_case(matcher: CaseMatcher) -> None:
    items = json.loads((FIXTURES / "elcomercio_politica.expected.json").read_text(encoding="utf-8"))["items"]
    assert [matcher.match(it["title"], it["text"]).relevant for it in items] == [False] * 4


def _case(**extra: object) -> Case:
    terms = [{"term": "Juliaca", "weight": 2.5}, {"term": "masacre de Juliaca", "weight": 3},
             {"term": "muertes", "weight": 0.5}, {"term": "aeropuerto", "weight": 0.5}]
    base: dict[str, object] = {"id": "c", "name": "C", "threshold": 3.0, "terms": terms}
    return Case.model_validate({**base, **extra})


def test_near_rule_counts_only_when_the_words_are_close() -> None:
    matcher = CaseMatcher(_case(near=[{"terms": ["Juliaca", "fiscalía"], "within": 5, "weight": 0.5}]))
    close = matcher.match("La fiscalía de Juliaca abre caso", "")
    far = matcher.match("Juliaca " + "palabra " * 10 + "fiscalía", "")
    assert close.matched_terms == ("Juliaca", "Juliaca ~ fiscalía") and close.relevant
    assert far.matched_terms == ("Juliaca",) and not far.relevant


def test_related_case_is_tagged_and_needs_a_decisive_term() -> None:
    case = _case(related=[{"id": "juliaca-2011", "name": "2011", "phrases": ["junio de 2011"]}])
    matcher = CaseMatcher(case)
    look_alike = matcher.match("Recuerdan las muertes en el aeropuerto de Juliaca de junio de 2011", "")
    assert look_alike.score >= 3 and not look_alike.relevant and look_alike.related == ("juliaca-2011",)
    assert "related case juliaca-2011" in look_alike.explain()
    both = matcher.match("Como en junio de 2011, la masacre de Juliaca quedó impune", "")
    assert both.relevant and both.related == ("juliaca-2011",)


def test_related_case_with_a_lower_need_keeps_texts_naming_this_place() -> None:
    case = _case(related=[{"id": "ayacucho-2022", "name": "A", "phrases": ["Ayacucho"], "needs": 2.5}])
    text = CaseMatcher(case).match("Fiscalía investiga las muertes en Ayacucho y Juliaca", "")
    assert text.relevant and text.related == ("ayacucho-2022",)


def test_default_config_second_case_is_not_juliaca(default_config) -> None:
    from pipeline.classify.relevance import classify

    cases = [default_config.cases["juliaca-2023"], default_config.cases["ayacucho-2022"]]
    juliaca, ayacucho = classify(cases, "Masacre de Ayacucho: fiscalía cita a militares por las muertes en Huamanga",
                                 "Las protestas contra Dina Boluarte dejaron diez muertos el 15 de diciembre de 2022.")
    assert ayacucho.relevant and not juliaca.relevant and "ayacucho-2022" in juliaca.related


# Texts about both configured cases: a prosecutor's page naming one of them decisively and
# the other by its place and date, and a families' march naming both by place only.
BOTH_CASES = [
    ("Fiscalía formaliza investigación por las muertes en Ayacucho y Juliaca",
     "Nota de prensa. La Fiscalía Supraprovincial Especializada en Derechos Humanos formalizó la investigación "
     "preparatoria contra mandos militares y policiales por las muertes ocurridas en Huamanga (Ayacucho) el 15 de "
     "diciembre de 2022 y en Juliaca el 9 de enero de 2023, durante las protestas contra Dina Boluarte."),
    ("Deudos de Juliaca y Ayacucho marchan en Lima",
     "Los deudos de las víctimas de Juliaca y de Ayacucho exigieron justicia por las muertes en las protestas."),
]


@pytest.mark.parametrize(("title", "text"), BOTH_CASES)
def test_a_text_about_two_configured_cases_is_relevant_to_both(default_config, title: str, text: str) -> None:
    from pipeline.classify.decision import decide
    from pipeline.classify.relevance import classify

    cases = [default_config.cases["juliaca-2023"], default_config.cases["ayacucho-2022"]]
    assert all(r.relevant for r in classify(cases, title, text)), [r.explain() for r in classify(cases, title, text)]
    assert all(d.relevant for d in decide(cases, title, text))


@pytest.mark.parametrize(("title", "text"), [*BOTH_CASES, (
    "Masacre de Ayacucho: fiscalía cita a militares por las muertes en Huamanga",
    "Las protestas contra Dina Boluarte dejaron diez muertos el 15 de diciembre de 2022, antes que en Juliaca.")])
def test_each_case_is_decided_alone(default_config, title: str, text: str) -> None:
    """A case's answer is the same whatever else is configured, in whatever order."""
    from pipeline.classify.decision import decide, decide_case
    from pipeline.classify.relevance import classify

    cases = list(default_config.cases.values())
    alone = {c.id: CaseMatcher(c).match(title, text) for c in cases}
    assert {r.case_id: r for r in classify(cases, title, text)} == alone
    assert {r.case_id: r for r in classify(cases[::-1], title, text)} == alone
    for case in cases:
        assert decide([case], title, text) == [decide_case(case, title, text)]
        assert decide_case(case, title, text) in decide(cases, title, text)


def test_a_look_alike_named_in_the_headline_takes_the_text() -> None:
    """Macusani's news that recalls "the killings in Juliaca" (decisive) is Macusani's, not this case's;
    a headline naming this case as well keeps it."""
    matcher = CaseMatcher(_case(terms=[{"term": "Juliaca", "weight": 2.5}, {"term": "killings in Juliaca", "weight": 3},
                                       {"term": "killed", "weight": 0.5}],
                                related=[{"id": "macusani-2023", "name": "M", "phrases": ["Macusani"]}]))
    body = "Two protesters were killed in Macusani nine days after the killings in Juliaca."
    look_alike = matcher.match("Prosecutors exhume bodies of protesters killed in Macusani", body)
    assert look_alike.score >= 3 and look_alike.decisive and not look_alike.relevant
    assert look_alike.explain().endswith("about the related case macusani-2023: the headline names it and no term "
                                         "of this case weighing 3)")
    both = matcher.match("Killings in Juliaca and Macusani: prosecutors exhume bodies", body)
    assert both.relevant and both.explain().endswith("; also names the related case macusani-2023)")
    in_body_only = matcher.match("Prosecutors exhume bodies of protesters", body)
    assert in_body_only.relevant


def test_default_config_special_team_and_macusani(default_config) -> None:
    """The prosecutors' special team for the protest deaths concerns both cases; the Macusani deaths
    (Puno, not Juliaca: case-vocabulary.md) are a look-alike even when their story recalls Juliaca."""
    from pipeline.classify.relevance import classify

    cases = [default_config.cases["juliaca-2023"], default_config.cases["ayacucho-2022"]]
    team = classify(cases, "Desactivan el Equipo Especial de Fiscales para casos con víctimas durante las protestas "
                    "sociales", "Tenía a su cargo las investigaciones por los fallecidos en Apurímac, Ayacucho y Puno.")
    assert all(r.relevant for r in team), [r.explain() for r in team]
    juliaca, ayacucho = classify(cases, "Prosecutors exhume bodies of two protesters killed in Macusani",
                                 "The deaths came nine days after the killings in Juliaca, investigated separately.")
    assert not juliaca.relevant and "macusani-2023" in juliaca.related and not ayacucho.relevant


def test_explain_says_why() -> None:
    r = CaseMatcher(_case()).match("Juliaca: heladas", "")
    assert r.explain() == "c: not relevant (score 2.5 of 3: Juliaca)"
