"""Downloader middlewares: the address guard, conditional requests, redirect loops, and the checks that
only a whole body of a readable type reaches a spider.

The address guard: never let a source (or a redirect) point the crawler at our own network.

Scraped links and redirects are untrusted. Without this guard a feed item or a ``Location:`` header
could make the crawler fetch ``http://169.254.169.254/`` or a database admin page on the LAN (SSRF),
or read ``file:`` URLs. Redirected requests pass through ``process_request`` again, so every hop is
checked. DNS rebinding (public when checked, private when connected): the IPv4 address checked here
is pinned in Scrapy's DNS cache, which the downloader's resolver answers from, so the connection goes
to the address that was judged.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, ResponseDataLossError
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.resolver import dnscache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.threads import deferToThread

from config.redact import redact_url
from config.schema import PrivateAllowance, is_private_host, private_allowed
from crawler.contenttypes import unexpected
from crawler.extract.urls import canonical_url
from crawler.integrity import DATALOSS, RefusedResponse, incomplete
from crawler.spiders.base import ACCEPTS_META, NOT_MODIFIED_META

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES: frozenset[str] = frozenset({"http", "https"})
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}
Resolver = Callable[..., list[tuple[Any, ...]]]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class AddressGuardMiddleware:
    """Refuse non-http(s) URLs and hosts on private, loopback or link-local addresses.

    A source with ``allow_private: true`` (tests, an intranet mirror) is trusted with private hosts,
    one with a list of hosts only with those; the scheme check applies to every source.
    """

    CACHE_SIZE = 1024

    def __init__(self, crawler: Crawler | None = None, resolver: Resolver = socket.getaddrinfo):
        self.crawler = crawler
        self.resolver = resolver
        self._dns: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        # ADDRESSGUARD_RESOLVER ("module.function", getaddrinfo's signature): tests answer DNS themselves.
        resolver = crawler.settings.get("ADDRESSGUARD_RESOLVER")
        return cls(crawler, resolver=load_object(resolver)) if resolver else cls(crawler)

    def _allow_private(self) -> PrivateAllowance:
        spider = getattr(self.crawler, "spider", None)
        return getattr(getattr(spider, "source", None), "allow_private", False)

    @staticmethod
    def static_refusal(url: str, allow_private: PrivateAllowance) -> str | None:
        """Reason to refuse ``url`` without DNS (scheme, missing host, private literal), else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not allowed (only http and https)"
        host = parts.hostname
        if not host:
            return "URL has no host"
        if "\\" in parts.netloc:  # browsers read a backslash as '/': the host would be 169.254.169.254
            return "URL has a backslash in its host part"
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError:
            return "URL has an invalid port"
        if not private_allowed(allow_private, host) and is_private_host(host):
            return f"host {host} is a private, loopback or link-local address"
        return None

    def dns_refusal(self, host: str, port: int) -> str | None:
        """Reason to refuse ``host`` because it resolves to a non-global address (blocking call)."""
        return self._resolve(host, port)[0]

    def _resolve(self, host: str, port: int) -> tuple[str | None, str | None]:
        """(reason to refuse, the first IPv4 address checked) for ``host`` (blocking call)."""
        if host in self._dns:
            return self._dns[host], None
        try:
            infos = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None, None  # unresolvable: the downloader reports the DNS error itself
        reason = None
        addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
        for address in addresses:
            if is_private_host(address):
                reason = f"host {host} resolves to non-global address {address}"
                break
        if len(self._dns) >= self.CACHE_SIZE:
            self._dns.clear()
        self._dns[host] = reason
        return reason, next((a for a in addresses if "." in a and ":" not in a), None)

    def refusal(self, url: str, allow_private: PrivateAllowance) -> str | None:
        """Synchronous full check (tests and tools); the middleware resolves in a thread instead."""
        if reason := self.static_refusal(url, allow_private):
            return reason
        parts = urlsplit(url)
        host = parts.hostname or ""
        if private_allowed(allow_private, host) or _is_ip_literal(host):
            return None
        return self.dns_refusal(host, parts.port or DEFAULT_PORTS[parts.scheme.lower()])

    def _refuse(self, request: Request, reason: str) -> None:
        url = redact_url(request.url)  # a redirect target may carry user:password@
        logger.error("address guard refused %s: %s", url, reason)
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("addressguard/refused")
        raise IgnoreRequest(f"address guard refused {url}: {reason}")

    async def process_request(self, request: Request) -> None:
        allow = self._allow_private()
        if reason := self.static_refusal(request.url, allow):
            self._refuse(request, reason)
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        if private_allowed(allow, host) or _is_ip_literal(host):
            return None
        port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
        if host in self._dns:
            reason = self._dns[host]
        else:
            reason, checked = await maybe_deferred_to_future(deferToThread(self._resolve, host, port))
            if checked and not reason and dnscache.limit:
                dnscache[host] = checked  # the downloader connects where the guard looked (DNS rebinding)
        if reason:
            self._refuse(request, reason)
        return None


class ConditionalRequestMiddleware:
    """Make re-crawls of unchanged sources almost free.

    Requests for URLs fetched before carry ``If-None-Match`` / ``If-Modified-Since`` from the
    spider's ``known`` validators; a 304, or a 200 whose body hashes to the last one (most news sites
    send no validators), is flagged in ``request.meta`` so the spider skips extraction and the
    pipeline writes nothing. Validators of every 200 are kept in ``spider.fetched`` for the run
    recorder to save. Spiders without ``known`` (golden tests, try-source) are unaffected.
    """

    def __init__(self, crawler: Crawler | None = None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def _spider(self) -> Any:
        return getattr(self.crawler, "spider", None)

    def process_request(self, request: Request) -> None:
        known = getattr(self._spider(), "known", None)
        if not known or request.url.endswith("/robots.txt"):
            return None
        validators = known.get(canonical_url(request.url))
        if validators is None:
            return None
        etag, last_modified, _sha = validators
        if etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = etag.encode("latin-1", "replace")
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = last_modified.encode("latin-1", "replace")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        spider = self._spider()
        fetched = getattr(spider, "fetched", None)
        if fetched is None or request.url.endswith("/robots.txt"):
            return response
        key = canonical_url(request.url)
        known = (getattr(spider, "known", None) or {}).get(key)
        if response.status == 304:
            if known is not None:
                request.meta[NOT_MODIFIED_META] = "304"
                fetched[key] = known
            return response
        if response.status != 200:
            return response
        sha = hashlib.sha256(response.body).hexdigest()
        etag = response.headers.get(b"ETag")
        last_modified = response.headers.get(b"Last-Modified")
        fetched[key] = (etag.decode("latin-1") if etag else None,
                        last_modified.decode("latin-1") if last_modified else None, sha)
        if known is not None and known[2] == sha:
            request.meta[NOT_MODIFIED_META] = "checksum"
        return response


class RedirectLoopMiddleware:
    """Turn a redirect loop into a clear error.

    Scrapy's duplicate filter silently drops the hop that returns to an already-fetched URL, so a
    page redirecting in a circle would vanish from the run without a word. Runs before
    RedirectMiddleware sees the response (higher priority number).
    """

    REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in self.REDIRECT_STATUSES or not location:
            return response
        target = canonical_url(urljoin(request.url, location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {canonical_url(u) for u in chain}:
            path = " -> ".join([*chain, target])
            raise IgnoreRequest(f"redirect loop: {path}")
        return response


class BodyIntegrityMiddleware:
    """Refuse incomplete bodies before HttpCompressionMiddleware (590) turns a cut stream into a prefix.

    An unframed response closed by the server (``partial``), a short body (``dataloss`` flag, or
    Scrapy's ResponseDataLossError) and a compressed stream that does not end properly are retried
    like any network failure (RETRY_TIMES); the last attempt raises RefusedResponse, whose errback
    logs one ERROR line (URL and cause) that the run counts. Nothing is stored.
    """

    def __init__(self, crawler: Crawler | None = None):
        self.crawler = crawler
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE") if crawler is not None else 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyIntegrityMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.callback is NO_CALLBACK:  # robots.txt: Scrapy's own business
            return response
        if reason := incomplete(response, request.meta.get("download_maxsize", self.max_size)):
            return self._retry_or_refuse(request, reason)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        """Scrapy's data-loss error has no message: give it one (before RetryMiddleware, 550)."""
        if isinstance(exception, ResponseDataLossError) and request.callback is not NO_CALLBACK:
            return self._retry_or_refuse(request, DATALOSS)
        return None

    def _retry_or_refuse(self, request: Request, reason: str) -> Request:
        spider = getattr(self.crawler, "spider", None)
        if spider is not None and not request.meta.get("dont_retry") and self.crawler is not None \
                and self.crawler.settings.getbool("RETRY_ENABLED"):
            # giving up is reported once, by the errback, not a second time by the retry helper
            retry = get_retry_request(request, spider=spider, reason=reason, give_up_log_level=logging.DEBUG)
            if retry is not None:
                return retry
        _count(self.crawler, "casewatch/refused/incomplete")
        raise RefusedResponse(reason)


class ContentTypeMiddleware:
    """Refuse a 2xx answer the requesting spider cannot read (``ACCEPTS_META``, else ``spider.accepts``).

    Runs after decompression and before ConditionalRequestMiddleware (580), so a refused body is
    neither parsed nor remembered as the page's last state.
    """

    def __init__(self, crawler: Crawler | None = None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentTypeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.callback is NO_CALLBACK or not 200 <= response.status < 300 or response.status == 204:
            return response
        accepted = request.meta.get(ACCEPTS_META) or getattr(getattr(self.crawler, "spider", None), "accepts", None)
        if not accepted:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if reason := unexpected(content_type, response.body, accepted):
            _count(self.crawler, "casewatch/refused/content_type")
            raise RefusedResponse(reason)
        return response


def _count(crawler: Crawler | None, key: str) -> None:
    if crawler is not None and crawler.stats is not None:
        crawler.stats.inc_value(key)
