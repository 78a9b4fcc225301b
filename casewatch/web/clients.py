"""Which address a request comes from, for the login throttle and the log.

The peer address, unless the peer is a reverse proxy named in ``CASEWATCH_TRUSTED_PROXIES`` (addresses or
networks, comma-separated): then ``X-Forwarded-For`` is read from the right, through the trusted proxies,
and the first address a trusted proxy vouches for that is not itself a trusted proxy is the client.
Without that setting the header is ignored: anyone can send it.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from casewatch.app import UserError

Network = IPv4Network | IPv6Network


def parse_proxies(value: str) -> tuple[Network, ...]:
    """``127.0.0.1, 10.0.0.0/8`` -> networks; a bad entry is a one-line error naming it."""
    networks = []
    for position, raw in enumerate((part.strip() for part in value.split(",")), start=1):
        if not raw:
            continue
        try:
            networks.append(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            raise UserError(f"CASEWATCH_TRUSTED_PROXIES entry {position}: {raw!r} is not an IP address or "
                            "network (like 127.0.0.1 or 10.0.0.0/8)") from None
    return tuple(networks)


def _ip(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip.version == net.version and ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The client's address: ``peer``, or what the trusted proxies in front of us say (see the module)."""
    address = peer or "?"
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(address, proxies) or _ip(hop) is None:
            break
        address = hop
    return address
