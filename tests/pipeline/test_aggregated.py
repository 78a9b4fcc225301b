"""An aggregator's result (Google News) is never a second copy of an article another source stores."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.digest_views import change_view
from alerts.labels import text
from pipeline.ingest import Snapshot, ingest
from pipeline.store.changes import document_changes
from pipeline.store.documents import get_document
from pipeline.store.models import Source
from pipeline.store.session import Database

ARTICLE = ("https://larepublica.pe/politica/2026/12/01/masacre-de-juliaca-fiscalia-formaliza",
           "Masacre de Juliaca: Fiscalía formaliza investigación contra cuatro jefes policiales",
           "La Fiscalía formalizó ayer investigación preparatoria contra cuatro jefes policiales por la masacre "
           "de Juliaca del 9 de enero de 2023 (carpeta fiscal 023-2023).")


def _sources(db: Database, now: datetime) -> None:
    with db.write() as s:
        s.add(Source(id="larepublica", name="La República", kind="news", spider="feed", created_at=now, updated_at=now))
        s.add(Source(id="gnews", name="Google Noticias", kind="aggregator", spider="googlenews", created_at=now,
                     updated_at=now))


def _ingest(db: Database, snap: Snapshot, source_id: str, now: datetime) -> str:
    with db.write() as s:
        return ingest(s, snap, source_id=source_id, cases=[], now=now, aggregated=source_id == "gnews").result


def test_a_result_for_a_stored_article_records_nothing(db: Database, now: datetime) -> None:
    _sources(db, now)
    url, title, body = ARTICLE
    assert _ingest(db, Snapshot(url=url, status=200, title=title, text=body), "larepublica", now) == "new"
    # The same article reached through Google, read with other text (its own extraction): not an edit.
    resolved = Snapshot(url=url, status=200, title=title, text=body + " Más texto.", outlet="La República")
    assert _ingest(db, resolved, "gnews", now + timedelta(hours=1)) == "duplicate"
    # A result Google would not resolve, with the outlet's headline (case, accents, punctuation aside).
    google = "https://news.google.com/rss/articles/AU_yqLopaque"
    teaser = Snapshot(url=google, status=200, title=title.upper().replace(":", " -"), text=f"{title} (La República)",
                      outlet="La República", headline_only=True)
    assert _ingest(db, teaser, "gnews", now + timedelta(hours=1)) == "duplicate"
    # The same headline from another outlet is another report, and so is the source's own document.
    other = Snapshot(url=google + "2", status=200, title=title, text=f"{title} (Infobae)", outlet="Infobae",
                     headline_only=True)
    assert _ingest(db, other, "gnews", now + timedelta(hours=2)) == "new"
    assert _ingest(db, Snapshot(url=url, status=200, title=title, text=body + " Más texto."), "larepublica",
                   now + timedelta(hours=3)) == "updated"
    with db.read() as s:
        assert get_document(s, google) is None
        kept = get_document(s, google + "2")
        assert kept is not None and kept.headline_only and kept.outlet == "Infobae"
        assert not get_document(s, url).headline_only  # type: ignore[union-attr]
        [change] = [c for c in document_changes(s, kept.id)]
        view = change_view(change, "es")
        assert view.title == f"{title} ({text('es', 'headline_only')})" and view.source_name == "Infobae"
        assert change_view(change, "en").title.endswith("(headline only: the article could not be opened)")
