"""Message building: multipart/alternative, stable ids, dates, headers."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta, timezone
from email.policy import default as default_policy

import pytest

from alerts.message import RenderedDigest, build_message, make_message_id

RENDERED = RenderedDigest(
    subject="casewatch · Masacre de Juliaca: 1 nuevo · 27 nov 2026",
    text="Hola Ana:\nFiscalía formaliza investigación.\n",
    html="<p>Hola Ana:</p><p>Fiscalía formaliza investigación.</p>",
    language="es",
)


def build(**kw: object) -> email.message.EmailMessage:
    args: dict[str, object] = {
        "sender": "casewatch <casewatch@example.org>",
        "to": "Ana Pérez <ana@example.org>",
        "message_id": make_message_id("digest:ana@example.org:2026-11-27"),
        "date": datetime(2026, 11, 27, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
    }
    args.update(kw)
    return build_message(RENDERED, **args)  # type: ignore[arg-type]


def test_multipart_alternative_text_then_html() -> None:
    parsed = email.message_from_bytes(build().as_bytes(), policy=default_policy)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content() == RENDERED.text
    assert parts[1].get_content().rstrip("\n") == RENDERED.html
    assert str(parsed["Subject"]) == RENDERED.subject
    assert parsed["Date"] == "Fri, 27 Nov 2026 08:00:00 -0500"
    assert parsed["Content-Language"] == "es"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["List-Unsubscribe"] is None


def test_wire_form_is_seven_bit() -> None:
    raw = build().as_bytes()
    assert all(b < 128 for b in raw)


def test_message_id_kept_and_stable() -> None:
    mid = make_message_id("digest:ana@example.org:2026-11-27")
    assert mid == make_message_id("digest:ana@example.org:2026-11-27")
    assert mid != make_message_id("digest:ana@example.org:2026-11-28")
    assert mid.startswith("<") and mid.endswith("@casewatch.local>")
    assert make_message_id("k", domain="news.example.org\r\n").endswith("@news.example.org>")
    assert build(message_id=mid)["Message-ID"] == mid
    assert build(message_id="plain@host")["Message-ID"] == "<plain@host>"


def test_naive_date_is_utc_and_unsubscribe_header() -> None:
    msg = build(date=datetime(2026, 11, 27, 13, 0), list_unsubscribe="<mailto:baja@example.org>")
    assert msg["Date"] == "Fri, 27 Nov 2026 13:00:00 +0000"
    assert msg["List-Unsubscribe"] == "<mailto:baja@example.org>"
    aware = build(date=datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    assert aware["Date"].endswith("+0000")


@pytest.mark.parametrize("to", ["a@example.org, b@example.org", "not an address", ""])
def test_to_must_be_one_address(to: str) -> None:
    with pytest.raises(ValueError):
        build(to=to)
