"""Which URLs a source may name: http(s) only, no credentials, no private or loopback host unless allowed.

The same checks guard redirects at fetch time (crawler/middlewares.py), so they live apart from the
file models that use them at load time.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from config.errors import Loc
from config.redact import redact_url

PrivateAllowance = bool | tuple[str, ...]  # allow_private: every private host, or only these hosts


def private_allowed(allow: PrivateAllowance, host: str) -> bool:
    """Whether a source's ``allow_private`` lets it reach ``host`` (a list names exact hosts)."""
    if isinstance(allow, bool):
        return allow
    return host.strip("[]").lower() in {h.strip("[]").lower() for h in allow}


USERINFO_REFUSED = ("URL must not contain a user name or password ({url}): casewatch reads public pages, "
                    "and a URL is shown in logs, the review page and the API; remove the part before '@'")


def has_userinfo(url: str) -> bool:
    """Whether an absolute URL carries ``user@`` or ``user:password@`` before its host."""
    return "@" in urlsplit(url.strip()).netloc


def check_url(url: str, *, allow_private: PrivateAllowance = False) -> str:
    """Only http(s) URLs with a host and no credentials; no private or loopback hosts unless explicitly
    allowed. Messages show the URL without its credentials."""
    if not isinstance(url, str) or "\\" in url or any(c.isspace() for c in url.strip()):
        raise ValueError(f"invalid URL {redact_url(str(url))!r}")
    parts = urlsplit(url.strip())
    shown = redact_url(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"only http and https URLs are allowed, not {shown!r}")
    if "@" in parts.netloc:
        raise ValueError(USERINFO_REFUSED.format(url=repr(shown)))
    host = parts.hostname
    if not host:
        raise ValueError(f"URL has no host: {shown!r}")
    if not private_allowed(allow_private, host) and is_private_host(host):
        raise ValueError(
            f"URL points to a private or loopback address: {shown!r} (set allow_private: true to allow it)"
        )
    return url.strip()


def userinfo_problems(value: Any, loc: Loc, source_id: str | None) -> list[tuple[Loc, str]]:
    """``(loc, message)`` for every string under ``value`` that is a URL with credentials (params, feeds ...);
    ``source_id`` is named in the message (None under ``defaults``)."""
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in userinfo_problems(v, (*loc, k), source_id)]
    if isinstance(value, list | tuple):
        return [found for i, v in enumerate(value) for found in userinfo_problems(v, (*loc, i), source_id)]
    try:
        if isinstance(value, str) and has_userinfo(value):
            named = f"source '{source_id}': " if source_id is not None else ""
            return [(loc, f"{named}{USERINFO_REFUSED.format(url=repr(redact_url(value)))}")]
    except ValueError:  # urlsplit: an unbalanced '[' is no URL with credentials
        pass
    return []


# IPv6 prefixes whose last 32 bits are an IPv4 address (RFC 6052 NAT64, its local-use /48, RFC 6145
# IPv4-translated); ::/96 is the deprecated IPv4-compatible form (::127.0.0.1).
_EMBEDDING_PREFIXES = tuple(ipaddress.IPv6Network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96", "::/96"))


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo client), if any.

    Such an address reaches that IPv4 host (through the kernel, a NAT64 gateway or a tunnel), so it is
    judged by it: ``::ffff:127.0.0.1`` and ``64:ff9b::a9fe:a9fe`` are loopback and link-local.
    """
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]  # (server, client): the client is where the traffic goes
    if any(addr in net for net in _EMBEDDING_PREFIXES):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address, including the legacy IPv4 forms resolvers accept (127.1, 0x7f.1, 2130706433)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_private_host(host: str) -> bool:
    """True for literal private/loopback/link-local addresses (IPv4 embedded in IPv6 included) and
    localhost names."""
    host = host.strip("[]").lower().rstrip(".").split("%", 1)[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    addr = _ip_literal(host)
    if addr is None:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and (v4 := embedded_ipv4(addr)) is not None:
        return not v4.is_global
    return not addr.is_global
