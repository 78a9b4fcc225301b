"""Canonical URLs: the key that says two links are the same document.

Feeds and share buttons decorate links with tracking parameters (``?ref=ecr``, ``utm_*``); keeping them
would turn one article into several documents, and re-announce it on every new decoration.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Query keys that only say how a visitor arrived, never what the page is (compared lower-case).
TRACKING_KEYS: frozenset[str] = frozenset({
    "ref", "ref_src", "ref_url", "referrer", "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid",
    "twclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "cmpid", "ocid",
    "s_cid", "__twitter_impression", "outputtype",
})
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


def _is_tracking(pair: str) -> bool:
    key, _, value = pair.partition("=")
    key = unquote_plus(key).lower()
    if key == "outputtype" and unquote_plus(value).lower() == "amp":
        # AMP variants (``?outputType=amp`` and ``/amp/`` paths) are NOT merged with the article yet:
        # merging needs a per-site rule (La República, Arc XP). Keep them distinct until then.
        return False
    return key in TRACKING_KEYS or key.startswith(TRACKING_PREFIXES)


# A crawl asks for the same URL's key four times (conditional request, its answer, claim, produce):
# remembered for the last URLs seen, so the key is computed once per page, not once per question.
@lru_cache(maxsize=4096)
def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute, normalised URL without fragment or tracking parameters; idempotent.

    Scheme and host are lower-cased (IDN hosts become punycode), default ports dropped, the path
    percent-encoded but otherwise untouched (trailing slashes differ per site and are kept), and the
    remaining query pairs sorted so that parameter order does not create new documents.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(safe_url_string(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{host}"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = parts.path or ("/" if host else "")
    pairs = sorted(p for p in parts.query.split("&") if p and not _is_tracking(p))
    return urlunsplit((scheme, netloc, path, "&".join(pairs), ""))
