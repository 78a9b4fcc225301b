"""English wordings of an institutional change and of a law, and who asks for what (a statement or not).

Each taken case was missed (no step found) on the evaluation sets before its phrase was added; the
negative ones guard a trial from being read as a case moved between offices, and a formal application
(precautionary measures "solicitadas") from being read as a public demand.
"""

from __future__ import annotations

import pytest

from tests.support.milestones import statuses


@pytest.mark.parametrize(("title", "text", "mtype"), [
    ("Attorney general moves Juliaca and Ayacucho files to Lima special team",
     "The attorney general on Tuesday ordered the transfer of the investigations into the deaths to a team in Lima.",
     "institutional"),
    ("Board of Supreme Prosecutors appoints a supreme prosecutor as interim Attorney General",
     "The board met on Friday.", "institutional"),
    ("Human rights prosecutor's office takes over Juliaca case",
     "The office will lead the preparatory investigation from Monday.", "institutional"),
    ("El Peruano publishes law on reparations for victims of the protests",
     "The law was published today in the official gazette.", "legislation"),
    ("Congress passes law granting reparations to families of protest victims",
     "The plenary approved the law in a second vote on Thursday.", "legislation"),
    ("Juliaca case file transferred to human rights prosecutor's office",
     "The office received the file on Monday.", "institutional"),
    ("Complaint against Boluarte over Juliaca deaths sent to the archive",
     "The committee voted on Thursday.", "archived"),
    ("UN Human Rights Committee publishes concluding observations on Peru",
     "The committee met in Geneva on Friday.", "report"),
    ("Primera acusación por la masacre de Juliaca: fiscalía pide 20 años para suboficial",
     "La fiscalía presentó la primera acusación por las muertes del 9 de enero de 2023 en Juliaca.", "indictment"),
])
def test_english_wordings_of_offices_and_laws_are_taken(title: str, text: str, mtype: str) -> None:
    assert "taken" in statuses(title, text).get(mtype, set())


def test_a_request_to_have_the_case_transferred_is_no_transfer() -> None:
    found = statuses("Judge rejects request to transfer Ayacucho case to military justice",
                     "The judge declared unfounded the challenge of the defence, who sought to have the case "
                     "transferred to the military-police courts.")
    assert "taken" not in found.get("institutional", set())


def test_a_case_sent_to_trial_is_no_institutional_change() -> None:
    found = statuses("Judge admits charges, sends Juliaca police case to trial",
                     "A judge on Tuesday admitted the indictment and issued an order sending the case to trial.")
    assert "taken" not in found.get("institutional", set())


@pytest.mark.parametrize(("title", "text"), [
    ("Aprodeh pide que muertes en Puno sean investigadas por fiscalía de derechos humanos",
     "La organización envió una carta a la Fiscalía de la Nación."),
    ("Families ask attorney general to return Juliaca case to human rights prosecutors",
     "The relatives met officials in Lima on Monday."),
    ("Familias de Juliaca llegan al Congreso para exigir reparación integral",
     "Una delegación de veinte madres viajó desde Puno."),
])
def test_the_families_or_an_ngo_asking_is_a_statement(title: str, text: str) -> None:
    assert "taken" in statuses(title, text).get("statement", set())


def test_an_application_for_precautionary_measures_is_no_statement() -> None:
    found = statuses("CIDH otorga medidas cautelares a dirigentes de Juliaca",
                     "La CIDH otorgó ayer medidas cautelares a tres dirigentes. Los familiares solicitaron las medidas "
                     "en junio.")
    assert "taken" not in found.get("statement", set())


def test_a_statement_given_to_a_prosecutor_is_testimony_not_a_position() -> None:
    found = statuses("Former Juliaca police commander testifies before prosecutors",
                     "A retired police general gave his statement on Wednesday before the prosecutor investigating "
                     "the deaths.")
    assert "taken" in found["testimony"] and "taken" not in found.get("statement", set())


def test_the_month_of_march_is_no_march() -> None:
    found = statuses("IACHR holds public hearing on protests in Peru",
                     "The IACHR held on 6 March a public hearing on the social protests in Peru.")
    assert "taken" not in found.get("statement", set())
