"""`casewatch try-source`: what a source extracts, from the live site, another URL or a saved file.

Nothing is stored. With ``--file`` the file is served once on 127.0.0.1 and nothing else is fetched
(a feed is read without following its links), so a maintainer can check a saved page offline.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from casewatch.app import UserError
from casewatch.localsite import LocalSite
from config.schema import Source, check_url
from crawler.items import golden_dict
from crawler.runner import Collected, collect_items

CONTENT_TYPES = {".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
                 ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".json": "application/json"}


@contextmanager
def serve_file(path: Path) -> Iterator[str]:
    """Serve one file's bytes at http://127.0.0.1:<port>/<name>; yields that URL."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    ctype = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "text/html"
    with LocalSite({f"/{path.name}": (200, ctype, body)}) as site:
        yield f"{site.base}/{path.name}"


def try_source(source: Source, *, file: Path | None = None, url: str | None = None) -> Collected:
    """Run the source's spider once and return what it extracted."""
    if file is not None:
        with serve_file(file) as local:
            local_source = source.model_copy(update={"urls": (local,), "allow_private": True, "follow": "never"})
            return collect_items(source.spider, local_source,
                                 settings={"ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0, "RETRY_ENABLED": False})
    if url is not None:
        try:
            check_url(url, allow_private=source.allow_private)
        except ValueError as exc:
            raise UserError(f"--url: {exc}") from None
        source = source.model_copy(update={"urls": (url,)})
    return collect_items(source.spider, source)


def item_json(item: Any) -> dict[str, Any]:
    data = golden_dict(item)
    return {k: data[k] for k in ("url", "title", "published_at", "text", "status", "summary", "authors", "tags")
            if k in data}


def incomplete_items(items: list[dict[str, Any]]) -> list[str]:
    """One warning per missing field (title, text, date) naming how many items lack it and the first
    one's URL: a spider whose links did not resolve "extracts" items that carry nothing."""
    warnings = []
    for key, what in (("title", "no title"), ("text", "no text"), ("published_at", "no date")):
        lacking = [it for it in items if not str(it.get(key) or "").strip()]
        if lacking:
            warnings.append(f"{len(lacking)} of {len(items)} items have {what} (first: {lacking[0].get('url') or '?'})")
    return warnings
