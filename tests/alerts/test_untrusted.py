"""Scraped text is hostile: it must stay inert text in HTML and never reach a header as structure."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.policy import default as default_policy

import pytest

from alerts.message import build_message, clean_header
from alerts.render import render_digest
from alerts.views import DigestView, MilestoneView
from tests.alerts.conftest import change

INJECTION = "Fiscalía cita a declarar\r\nBcc: evil@example.com"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ENCODED = "&lt;a href=https://evil.example&gt;clic&lt;/a&gt;"
JS_URL = "javascript:alert(1)"


def hostile_view(make_view: Callable[..., DigestView], language: str = "es") -> DigestView:
    changes = (
        change(1, "new", title=INJECTION, summary=f"Resumen {SCRIPT}\r\nBcc: x@example.com"),
        change(2, "new", title=f"Titular {SCRIPT}", source_name=f"Fuente {IMG}"),
        change(3, "updated", title=IMG, url=JS_URL, diff=f"@@ -1 +1 @@\n-{SCRIPT}\n+{IMG}\n"),
        change(
            4,
            "removed",
            title=ENCODED,
            matched_terms=(SCRIPT,),
            milestones=(MilestoneView("unknown_type", f"Hito {IMG}"),),
        ),
    )
    return make_view(
        language,
        changes=changes,
        cases={"juliaca-2023": f"Masacre\r\nBcc: case@example.com {SCRIPT}"},
        subscriber_name=f"Ana {SCRIPT}",
    )


def live_tags(html: str) -> list[str]:
    """Tag names the browser would see as real elements."""
    return [m.lower() for m in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)]


@pytest.mark.parametrize("language", ["es", "en"])
def test_html_has_no_live_injected_markup(make_view: Callable[..., DigestView], language: str) -> None:
    marked = render_digest(hostile_view(make_view, language)).html
    tags = set(live_tags(marked)) - {"ins", "del"}  # our own marks of changed words in the diff
    html = re.sub(r"</?(ins|del)\b[^>]*>", "", marked)
    assert "script" not in tags
    assert "img" not in tags
    assert "onerror" not in re.sub(r"&lt;img src=x onerror=alert\(1\)&gt;", "", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # Entity-encoded markup is shown as the literal text it was, never decoded into a tag.
    assert "&amp;lt;a href=https://evil.example&amp;gt;" in html
    assert 'href="https://evil.example' not in html
    # The javascript: URL is shown as text only, never as a link.
    assert 'href="javascript' not in html.lower()
    assert JS_URL in html
    anchors = re.findall(r'<a href="([^"]*)"', html)
    assert anchors and all(a.startswith(("http://", "https://")) or re.fullmatch(r"#c\d+", a) for a in anchors)


def test_text_body_keeps_titles_on_one_line(make_view: Callable[..., DigestView]) -> None:
    text = render_digest(hostile_view(make_view)).text
    assert "\r" not in text
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    assert "* Fiscalía cita a declarar Bcc: evil@example.com" in text
    assert "javascript:alert(1)" in text  # visible, with a warning, not hidden


@pytest.mark.parametrize("language", ["es", "en"])
def test_subject_is_one_clean_line(make_view: Callable[..., DigestView], language: str) -> None:
    subject = render_digest(hostile_view(make_view, language)).subject
    assert "\r" not in subject and "\n" not in subject
    assert all(ch.isprintable() for ch in subject)
    assert len(subject) <= 200


def test_message_headers_not_injectable(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(hostile_view(make_view))
    msg = build_message(
        rendered,
        sender="casewatch <casewatch@example.org>",
        to="Ana <ana@example.org>",
        message_id="<abc@casewatch.local>\r\nBcc: evil@example.com",
        date=datetime(2026, 11, 27, 13, 0, tzinfo=UTC),
        list_unsubscribe="<mailto:unsub@example.org>\r\nBcc: evil@example.com",
    )
    raw = msg.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert parsed["Bcc"] is None
    assert not any(line.lower().startswith(b"bcc:") for line in head.splitlines())
    assert [str(a.addr_spec) for a in parsed["To"].addresses] == ["ana@example.org"]
    assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\r\nBcc: b", "a Bcc: b"),
        ("a\nb\rc", "a b c"),
        ("tab\there\x00\x1b[31m", "tab here [31m"),
        ("line\u2028sep\u2029para\x85nel", "line sep para nel"),
        ("bidi \u202eevil", "bidi evil"),
        ("  many    spaces  ", "many spaces"),
        (None, ""),
    ],
)
def test_clean_header(value: str | None, expected: str) -> None:
    assert clean_header(value) == expected


def test_clean_header_caps_length() -> None:
    assert len(clean_header("x" * 5000)) == 250
    assert clean_header("x" * 5000, max_length=10).endswith("…")
