"""HTTPS with verified certificates, and a source's private CA trusted for that source's hosts only.

Scrapy does not verify certificates unless ``DOWNLOAD_VERIFY_CERTIFICATES`` is on; then it checks the
chain against the system's CAs and the host name (Twisted's ``optionsForClientTLS``). Our settings
turn it on and this handler refuses to run without it, so there is no way to fetch unverified. A
site whose certificate comes from a private CA (a ministry's intranet mirror) gets a ``tls_ca``
bundle in its source entry: the runner passes it as ``CASEWATCH_TLS_CA`` with the hosts of the
source's URLs (``CASEWATCH_TLS_CA_HOSTS``), and connections to those hosts trust that bundle
instead of the system store; the host name is still checked. Other hosts keep the system store.

A certificate that fails verification is one ERROR line for the source (not a retry, not Scrapy's
and robots.txt's tracebacks): see CertificateErrorMiddleware.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from OpenSSL import SSL
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from service_identity import VerificationError
from twisted.internet.ssl import Certificate, optionsForClientTLS, trustRootFromCertificates
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from crawler.integrity import RefusedResponse
from crawler.stackless import import_without_stack_context

if TYPE_CHECKING:
    from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
else:  # the handler pulls in Scrapy's TLS modules, whose import walks the stack (crawler/stackless.py)
    HTTP11DownloadHandler = import_without_stack_context("scrapy.core.downloader.handlers.http11").HTTP11DownloadHandler

TLS_CA_SETTING = "CASEWATCH_TLS_CA"
TLS_CA_HOSTS_SETTING = "CASEWATCH_TLS_CA_HOSTS"
PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def load_bundle(path: Path) -> list[Certificate]:
    """The certificates of a PEM bundle (ValueError if it holds none)."""
    blocks = PEM_CERTIFICATE.findall(path.read_bytes())
    if not blocks:
        raise ValueError(f"{path}: no PEM certificate found")
    return [Certificate.loadPEM(block) for block in blocks]


def host_key(host: str) -> bytes:
    """A host as Twisted's agent names it to the TLS policy (IDNA, lower case)."""
    return host.strip("[]").lower().encode("idna")


@implementer(IPolicyForHTTPS)
class PrivateCAPolicy:
    """Verify ``hosts`` against ``bundle`` (chain and host name); other hosts go to ``fallback``."""

    def __init__(self, fallback: IPolicyForHTTPS, bundle: Path, hosts: Iterable[str]):
        self.fallback = fallback
        self.trust = trustRootFromCertificates(load_bundle(bundle))
        self.hosts = frozenset(host_key(h) for h in hosts)

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        if hostname.lower() not in self.hosts:
            return self.fallback.creatorForNetloc(hostname, port)
        return optionsForClientTLS(hostname.decode("ascii"), trustRoot=self.trust)


class VerifiedHTTPSDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler for https that only ever runs with certificate verification on."""

    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"):
            raise NotConfigured("casewatch fetches https only with DOWNLOAD_VERIFY_CERTIFICATES = True; "
                                "for a private CA set the source's tls_ca")
        super().__init__(crawler)
        if bundle := crawler.settings.get(TLS_CA_SETTING):
            self._contextFactory = PrivateCAPolicy(self._contextFactory, Path(bundle),
                                                   crawler.settings.getlist(TLS_CA_HOSTS_SETTING))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and the failures Twisted lists in ``reasons`` (ResponseNeverReceived ...)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        for reason in getattr(current, "reasons", None) or ():
            if isinstance(getattr(reason, "value", None), BaseException):
                todo.append(reason.value)


def certificate_problem(exc: BaseException, host: str) -> str | None:
    """One line saying why the server's certificate was refused, or None if ``exc`` is no such failure."""
    for cause in _causes(exc):
        if isinstance(cause, VerificationError):
            return f"TLS certificate refused: it is not valid for {host}"
        if isinstance(cause, SSL.Error) and "certificate verify failed" in str(cause):
            return ("TLS certificate refused: not signed by a trusted CA (self-signed, expired or from a "
                    "private CA; for a private CA set the source's tls_ca)")
    return None


class CertificateErrorMiddleware:
    """Turn a failed certificate check into RefusedResponse before RetryMiddleware (550) retries it.

    The page's errback then logs it once; robots.txt requests are silenced (IgnoreRequest), so the
    page's own error line is the one the run shows.
    """

    def process_exception(self, request: Request, exception: Exception) -> None:
        if reason := certificate_problem(exception, urlsplit(request.url).hostname or "?"):
            raise RefusedResponse(reason)
