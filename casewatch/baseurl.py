"""Links in emails (a change's review page, the unsubscribe link) are built from ``CASEWATCH_BASE_URL``.

Unset, it is ``http://127.0.0.1:8080``: links that open only on this machine, so every subscriber's
"see the full diff" and "unsubscribe" would be dead. `run` and `digest` say so in one line.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from config.settings import Settings


def loopback_host(host: str) -> bool:
    """True for a host name or address of this machine (127.0.0.0/8, [::1], localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def points_to_loopback(url: str) -> bool:
    """True for a link to this machine (127.0.0.0/8, ::1, localhost and its subdomains)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return loopback_host(host) or host.endswith(".localhost")


def loopback_warning(settings: Settings) -> str | None:
    """The one-line warning when CASEWATCH_BASE_URL is unset and the links would point to loopback."""
    if "base_url" in settings.model_fields_set or not points_to_loopback(settings.base_url):
        return None
    return (f"warning: CASEWATCH_BASE_URL is not set, so links in emails (review page, unsubscribe) point to "
            f"{settings.base_url}, which only this machine can open; set it to the public address of "
            "`casewatch serve` (README, Environment)")
