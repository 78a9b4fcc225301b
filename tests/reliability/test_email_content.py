"""Reliability catalogue, section F (digest content and email security), end to end.

A hostile feed on 127.0.0.1 is crawled for real (`casewatch crawl`), the digest goes out through
`casewatch digest` to a real SMTP server (aiosmtpd on loopback), and the tests read what the server
received. F4-F6 do not apply to casewatch (no kept HTML fragments, no operator templates): their tests
pin the reasons. F8 and F9 are in test_unsubscribe.py.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from alerts import render
from alerts.message import RenderedDigest, build_message
from alerts.subject import SUBJECT_MAX, SUBJECT_TITLE_MAX
from alerts.views import DigestView
from casewatch.web import context as web_context
from config import schema
from config.settings import Settings
from tests.alerts.conftest import change, make_view  # noqa: F401 - the make_view fixture
from tests.support.cli import run_cli
from tests.support.crawl import crawl, write_config
from tests.support.httpserver import LocalHTTPServer
from tests.support.smtpd import smtp_server

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = (ROOT / "alerts" / "templates", ROOT / "casewatch" / "web" / "templates")
# Relevant to the case but no legal step taken (a major step would go out at once as an immediate alert).
RELEVANT = ("Familiares de las víctimas de la masacre de Juliaca del 9 de enero de 2023 recordaron a los 18 "
            "fallecidos cerca del aeropuerto Inca Manco Cápac.")
SUBSCRIBER = "Asociación de Mártires y Víctimas del 9 de Enero de Juliaca — Coordinación de Familias Deudas"
INJECTED_TITLE = "Audiencia de control&#13;&#10;Bcc: intruso@evil.example&#13;&#10;X-Evil: 1"
DISPLAYED_LINK = '&lt;a href="https://evil.example/phish"&gt;Haga clic aquí&lt;/a&gt;'
LONG_TITLE = "Ñuñoa: " + "Juliaca señaló víctimas, deudos y órdenes judiciales ☂ " * 12

ITEMS = (
    (INJECTED_TITLE, f"<p>Primera nota. {RELEVANT}</p>"),
    ("Fiscalía &lt;script&gt;alert(1)&lt;/script&gt; informa",
     f"<![CDATA[<p>Segunda nota, con <script>alert(2)</script><img src=x onerror=alert(3)> "
     f"<a href=\"javascript:alert(4)\">pulsa</a> y el texto &lt;img src=x onerror=alert(5)&gt;. {RELEVANT}</p>]]>"),
    ("Cómo se ve un enlace",
     f"<![CDATA[<p>La página de la Coordinadora Nacional de Derechos Humanos muestra {DISPLAYED_LINK} junto a "
     "la lista de los deudos de la matanza de Juliaca, que piden justicia desde enero de 2023.</p>]]>"),
    (LONG_TITLE, "<p>El Congreso debatió la denuncia constitucional 509 contra Dina Boluarte por las muertes "
                 "en Juliaca y Puno durante las protestas.</p>"),
)


def feed(base: str) -> str:
    items = "".join(f"<item><title>{title}</title><link>{base}/nota/{i}</link><guid>{base}/nota/{i}</guid>"
                    f"<description>{description}</description></item>" for i, (title, description) in enumerate(ITEMS))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Diario</title>{items}'
            "</channel></rss>")


@dataclass
class Received:
    message: EmailMessage
    raw: bytes
    recipients: list[str]

    @property
    def html(self) -> str:
        return str(self.message.get_body(preferencelist=("html",)).get_content())  # type: ignore[union-attr]

    @property
    def text(self) -> str:
        return str(self.message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Received]:
    """The one digest the SMTP server received after crawling the hostile feed."""
    tmp = tmp_path_factory.mktemp("hostile-digest")
    db = f"sqlite:///{tmp / 'casewatch.db'}"
    with LocalHTTPServer() as server, smtp_server() as smtp:
        server.set_route("/feed", body=feed(server.base_url), headers={"Content-Type": "application/rss+xml"})
        config = write_config(tmp, [{"id": "diario", "spider": "feed", "follow": "never",
                                     "urls": [server.url("/feed")]}])
        (config / "subscribers.yaml").write_text(
            f'subscribers:\n  - {{email: familias@example.org, name: "{SUBSCRIBER}", language: es, '
            "cases: [juliaca-2023], frequency: daily}\n", encoding="utf-8")
        crawled = crawl(config, db)
        assert crawled.returncode == 0, crawled.stderr
        env = {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none",
               "CASEWATCH_VAR_DIR": str(tmp / "var")}
        sent = run_cli("--config", str(config), "--db", db, "digest", env=env)
        assert sent.returncode == 0, sent.stderr
        assert len(smtp.envelopes) == 1, sent.stdout
        envelope = smtp.envelopes[0]
        yield Received(smtp.messages[0], envelope.data, envelope.rcpt_tos)


def _live(html: str) -> list[tuple[str, dict[str, str]]]:
    """Elements a mail client would render, with their attributes."""
    soup = BeautifulSoup(html, "html.parser")
    return [(tag.name, {k: str(v) for k, v in tag.attrs.items()}) for tag in soup.find_all(True)]


@pytest.mark.slow
def test_F1_scraped_crlf_never_reaches_a_header(received: Received) -> None:
    """Scraped titles are not put in the Subject (it is built from the case name and counts), and they
    are cleaned at ingest; the gate every header value passes (``clean_header``) is checked directly too,
    with the title as a Subject: Python 3.11 itself does not refuse CR/LF in header values."""
    head = received.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = [line.split(b":", 1)[0].lower() for line in head.splitlines() if line[:1] not in (b" ", b"\t")]
    assert names.count(b"subject") == 1 and b"bcc" not in names and b"x-evil" not in names, names
    assert received.recipients == ["familias@example.org"]
    assert [a.addr_spec for a in received.message["To"].addresses] == ["familias@example.org"]
    # The title is still shown, on one line, in both bodies.
    assert "Audiencia de control Bcc: intruso@evil.example X-Evil: 1" in received.text
    assert not any(line.startswith(("Bcc:", "X-Evil:")) for line in received.text.splitlines())
    title = "Hearing\r\nBcc: x@evil.example\r\nX-Evil: 1"
    built = build_message(RenderedDigest(title, "texto", "<p>texto</p>"), sender="casewatch <cw@example.org>",
                          to="familias@example.org", message_id="<1@example.org>",
                          date=datetime(2026, 12, 1, tzinfo=UTC))
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert parsed.get_all("Subject") == ["Hearing Bcc: x@evil.example X-Evil: 1"]
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None


@pytest.mark.slow
def test_F2_scraped_markup_is_escaped_in_the_html_digest(received: Received) -> None:
    live = _live(received.html)
    assert not [t for t, _ in live if t in ("script", "img", "iframe", "svg", "object")], live
    assert not [a for _, a in live if any(k.startswith("on") for k in a)]
    hrefs = [a["href"] for t, a in live if t == "a"]
    # links leave only to http(s); "#c4" is the first screen's line pointing at its entry below
    assert hrefs and all(h.startswith(("http://", "https://")) or re.fullmatch(r"#c\d+", h) for h in hrefs), hrefs
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in received.html  # shown as the text it was
    assert "&lt;img src=x onerror=alert(5)&gt;" in received.html


def test_F3_displayed_markup_stays_literal_text(received: Received) -> None:
    hrefs = [a.get("href", "") for t, a in _live(received.html) if t == "a"]
    assert not any("evil.example" in h for h in hrefs), hrefs
    assert '<a href="https://evil.example/phish">Haga clic aquí</a>' in received.text
    assert "&lt;a href=&#34;https://evil.example/phish&#34;&gt;" in received.html or \
        "&lt;a href=&quot;https://evil.example/phish&quot;&gt;" in received.html


@pytest.mark.slow
def test_F10_long_and_non_ascii_headers_encoded_and_folded(received: Received) -> None:
    raw_head = received.raw.split(b"\r\n\r\n", 1)[0]
    raw_head.decode("ascii")  # RFC 2047 encoded words, nothing 8-bit
    assert all(len(line) <= 78 for line in raw_head.splitlines()), max(raw_head.splitlines(), key=len)
    assert b"=?utf-8?" in raw_head and b"\r\n Subject" not in raw_head
    subject = str(received.message["Subject"])  # decoded from its encoded words, unfolded
    assert "\n" not in subject and "\r" not in subject and len(subject) <= SUBJECT_MAX
    # The Subject says what moved: a scraped headline, on one line and cut at a word boundary,
    # then the case; in the body the long non-ASCII title is kept whole up to the title cap.
    assert " · Masacre de Juliaca (9 de enero de 2023)" in subject
    head = subject.split(" · ")[0]
    assert len(head) <= SUBJECT_TITLE_MAX
    shown = next(line for line in received.text.splitlines() if "Ñuñoa: Juliaca señaló víctimas" in line)
    assert "ví…" in shown and len(shown.split("…")[0]) <= render.TITLE_MAX + 4


def test_F4_no_scraped_html_is_kept_so_nothing_needs_sanitising() -> None:
    """Not applicable: spiders keep text only (html_to_text), and no template marks a value safe, so
    there is no HTML fragment to pass through an allowlist sanitiser."""
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.j2"):
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"\|\s*safe\b|autoescape\s+false", source), path
    for package in ("alerts", "casewatch/web", "crawler", "pipeline"):
        for path in (ROOT / package).rglob("*.py"):
            assert not re.search(r"\bMarkup\(|\|safe\b", path.read_text(encoding="utf-8")), path


def test_F5_templates_ship_in_the_package_not_in_config() -> None:
    """Not applicable: no operator-editable template. Both Jinja environments load only from the
    package's own folders, every config and settings model is free of template fields, and Jinja2
    is new enough for the sandbox fixes anyway."""
    from importlib.metadata import version

    from packaging.version import Version

    assert render.environment.loader.searchpath == [str(render.TEMPLATES_DIR)]  # type: ignore[union-attr]
    web_paths = web_context.environment().loader.searchpath  # type: ignore[union-attr]
    assert {Path(p) for p in web_paths} == {web_context.TEMPLATES, render.TEMPLATES_DIR}
    assert all(Path(p).is_relative_to(ROOT) for p in web_paths)
    models = [m for m in vars(schema).values() if isinstance(m, type) and hasattr(m, "model_fields")]
    fields = {f"{m.__name__}.{name}" for m in [*models, Settings] for name in m.model_fields}
    assert not [f for f in fields if "template" in f.lower() or "jinja" in f.lower()], fields
    assert Version(version("jinja2")) >= Version("3.1.6")


@pytest.mark.slow
def test_F6_output_is_bounded_whatever_the_scraped_size(make_view: Callable[..., DigestView]) -> None:  # noqa: F811
    """Not applicable as written (no operator templates, so no ``range(10**9)``); what the data can do is
    bounded: a 1 MB title, summary and a 100,000-line diff give a digest of a few KB per change."""
    huge = "Juliaca " * 130_000
    diff = "--- a\n+++ b\n" + "".join(f"-línea {i}\n+renglón {i}\n" for i in range(50_000))
    view = make_view("es", changes=(change(1, "new", title=huge, summary=huge),
                                    change(2, "updated", title=huge, summary=huge, diff=diff)))
    rendered = render.render_digest(view)
    assert len(rendered.html) < 100_000 and len(rendered.text) < 50_000, (len(rendered.html), len(rendered.text))
    assert len(rendered.subject) <= SUBJECT_MAX


def test_F7_no_template_uses_xmlattr() -> None:
    """Scraped data could become attribute names through ``xmlattr``: no template may use it."""
    templates = [p for folder in TEMPLATE_DIRS for p in folder.rglob("*.j2")]
    assert len(templates) > 10
    users = [p for p in templates if "xmlattr" in p.read_text(encoding="utf-8")]
    assert users == []
