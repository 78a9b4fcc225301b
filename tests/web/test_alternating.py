"""A page going back and forth between stored versions is one row of the change log, on both databases:
"alternating between two versions" with how many changes it stands for; the API still lists every record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from casewatch.app import App
from pipeline.store.documents import get_document
from tests.web.conftest import FORMALIZED, T0, seed, store

URL = "https://www.gob.pe/institucion/mpfn/noticias/2002-juliaca"
TITLE = "Comunicado sobre la masacre de Juliaca"
A = "La Fiscalía recibió la denuncia de las familias por la masacre de Juliaca del 9 de enero de 2023."


def _rows(client: TestClient, query: str) -> list[BeautifulSoup]:
    response = client.get(f"/changes{query}")
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser").select("table.log tbody tr")


@pytest.mark.slow
def test_alternating_document_is_one_row_of_the_change_log(cw: App, client: TestClient) -> None:
    seeded = seed(cw)
    ids = [store(cw, URL, title=TITLE, text=text, now=T0 + timedelta(days=4 + i))
           for i, text in enumerate((A, FORMALIZED, A, FORMALIZED))]
    assert None not in ids
    rows = _rows(client, "")
    flapping = [r for r in rows if TITLE in r.get_text()]
    assert len(flapping) == 1
    cell = flapping[0].get_text(" ", strip=True)
    assert "Alternating between two versions" in cell and "4 changes in this period" in cell
    assert flapping[0].select_one("a")["href"] == f"/changes/{ids[-1]}"  # the newest of them
    assert len(rows) == 5 + 1  # the seeded changes stay one row each
    assert "6 changes" in client.get("/changes").text  # the total counts rows, so pages stay exact
    # In Spanish, and filtered to the reverts only: still once.
    only = _rows(client, "?kind=reverted&lang=es")
    assert len(only) == 1 and "Alterna entre dos versiones" in only[0].get_text()
    # The period decides: before the first return the edit is shown as itself; from it on, alternating.
    day = [(T0 + timedelta(days=4 + i)).date().isoformat() for i in range(4)]
    assert [r.get("data-kind") for r in _rows(client, f"?from={day[0]}&to={day[1]}")] == ["updated", "new"]
    [row] = _rows(client, f"?from={day[1]}&to={day[2]}&lang=en")
    assert "2 changes in this period" in row.get_text()
    # Each return is its own record on its page and in the document's history.
    page = client.get(f"/changes/{ids[2]}?lang=en")
    assert page.status_code == 200 and "Back to an earlier version" in page.text
    with cw.db.read() as session:
        document = get_document(session, URL)
        assert document is not None
        document_id = document.id
    record = client.get(f"/api/documents/{document_id}").json()
    assert len(record["versions"]) == 2  # A and B, each stored once
    assert [(c["kind"], c["to_version"]) for c in record["changes"]][2:] == [
        ("reverted", record["versions"][0]["id"]), ("reverted", record["versions"][1]["id"])]
    assert client.get(f"/documents/{document_id}?lang=en").text.count("Back to an earlier version") == 2
    # The API is the record: every change, each with its kind.
    api = client.get("/api/changes", params={"per_page": "50"}).json()
    assert [c["kind"] for c in api if c["url"] == URL] == ["reverted", "reverted", "updated", "new"]
    assert seeded.updated in {c["id"] for c in api}
