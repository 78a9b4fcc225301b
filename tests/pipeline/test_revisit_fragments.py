"""Which stored versions are fragments of another response (pipeline.revisit.read_from_elsewhere):
those are re-checked for presence only, never compared with their page."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest

from pipeline.revisit import read_from_elsewhere
from pipeline.store.models import Version

URL = "https://larepublica.pe/politica/2026/11/23/formaliza"
FEED = "https://larepublica.pe/rss/politica.xml"


def version(fetched_url: str, body: bytes, content_type: str = "text/html", pruned: bool = False) -> Version:
    return Version(fetched_url=fetched_url, raw_body=b"" if pruned else zlib.compress(body),
                   content_type=content_type, raw_pruned_at=datetime(2026, 11, 1, tzinfo=UTC) if pruned else None)


@pytest.mark.parametrize(("v", "fragment"), [
    (version(FEED, b"<item><title>Fiscal\xc3\xada formaliza</title></item>", "application/rss+xml"), True),
    (version("https://rpp.pe/puno", b'<article class="news"><h2>Fiscal\xc3\xada</h2></article>'), True),  # a card
    (version(URL, b"<html><body>...</body></html>"), False),  # the article's own page
    (version(URL + "?ref=rss", b"\xef\xbb\xbf\n<!DOCTYPE html><html></html>"), False),  # redirected/tracked page
    (version("https://example.org/r.pdf", b"%PDF-1.7 ..."), False),
    (version(FEED, b"", "application/rss+xml", pruned=True), True),  # evidence pruned: the type decides
    (version("https://rpp.pe/puno", b"", "text/html", pruned=True), False),
])
def test_fragments_are_told_from_pages(v: Version, fragment: bool) -> None:
    assert read_from_elsewhere(URL, v) is fragment
