"""Backends: atomic .eml files, and SMTP against a real aiosmtpd server on loopback."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from alerts.message import build_message, make_message_id
from alerts.render import render_digest
from alerts.send import Sender, SendError, from_settings
from alerts.send.file import FileSender, eml_name
from alerts.send.smtp import SmtpSender
from alerts.views import DigestView
from config.settings import Settings
from tests.support.smtpd import free_port, smtp_server

TO = "Ana <ana@example.org>"


@pytest.fixture
def message(make_view: Callable[..., DigestView]) -> EmailMessage:
    return build_message(
        render_digest(make_view("es")),
        sender="casewatch <casewatch@example.org>",
        to=TO,
        message_id=make_message_id("digest:ana@example.org:2026-11-27"),
        date=datetime(2026, 11, 27, 13, 0, tzinfo=UTC),
    )


# --- files -------------------------------------------------------------------------------------


def test_file_sender_writes_parseable_eml(tmp_path: Path, message: EmailMessage) -> None:
    sender = FileSender(tmp_path / "outbox")
    assert isinstance(sender, Sender)
    sender.send(message)
    path = sender.last_path
    assert path is not None and path.parent == tmp_path / "outbox"
    assert path.name == eml_name(message["Message-ID"]) and path.suffix == ".eml"
    parsed = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left behind


def test_file_sender_retry_overwrites(tmp_path: Path, message: EmailMessage) -> None:
    sender = FileSender(tmp_path)
    sender.send(message)
    first = sender.last_path
    del message["Subject"]
    message["Subject"] = "retried"
    sender.send(message)
    assert sender.last_path == first
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # type: ignore[union-attr]
    assert b"Subject: retried" in first.read_bytes()  # type: ignore[union-attr]


def test_file_sender_is_atomic(tmp_path: Path, message: EmailMessage, monkeypatch: pytest.MonkeyPatch) -> None:
    sender = FileSender(tmp_path)
    sender.send(message)
    target = sender.last_path
    assert target is not None
    before = target.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    del message["Subject"]
    message["Subject"] = "second attempt"
    with pytest.raises(SendError, match="No space left"):
        sender.send(message)
    assert target.read_bytes() == before  # the old file is intact, never half-written
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # temp file cleaned up


def test_file_sender_names_are_safe() -> None:
    assert eml_name("<casewatch.abc@casewatch.local>") == "casewatch.abc@casewatch.local.eml"
    hostile = eml_name("<../../etc/passwd\r\n@x>")
    assert "/" not in hostile and ".." not in hostile.removesuffix(".eml") and "\n" not in hostile
    assert eml_name("<a/b@x>") != eml_name("<a_b@x>")
    assert len(eml_name("<" + "x" * 1000 + "@y>")) < 200


def test_file_sender_requires_message_id(tmp_path: Path, message: EmailMessage) -> None:
    del message["Message-ID"]
    with pytest.raises(SendError, match="Message-ID"):
        FileSender(tmp_path).send(message)


def test_file_sender_unwritable_directory(tmp_path: Path, message: EmailMessage) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SendError, match="file outbox"):
        FileSender(blocker / "outbox").send(message)


# --- SMTP --------------------------------------------------------------------------------------


def test_smtp_delivers_to_real_server(message: EmailMessage) -> None:
    with smtp_server() as server:
        SmtpSender(server.host, server.port, security="none", timeout=5, sender="bounce@example.org").send(message)
        assert len(server.messages) == 1
        received = server.messages[0]
        envelope = server.envelopes[0]
    assert envelope.mail_from == "bounce@example.org"
    assert envelope.rcpt_tos == ["ana@example.org"]
    assert received["Message-ID"] == message["Message-ID"]
    assert str(received["Subject"]) == "Fiscalía informa avance 1 en el caso Juliaca · Masacre de Juliaca · +3 más"
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Fiscalía informa avance 1 en el caso Juliaca" in text.get_content()
    assert 'href="https://www.gob.pe/institucion/mpfn/noticias/1-juliaca"' in html.get_content()


def test_smtp_server_down_names_host_and_port(message: EmailMessage) -> None:
    port = free_port()
    with pytest.raises(SendError) as info:
        SmtpSender("127.0.0.1", port, security="none", timeout=5).send(message)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "\n" not in str(info.value)


def test_smtp_server_stop_then_start(message: EmailMessage) -> None:
    with smtp_server() as server:
        sender = SmtpSender(server.host, server.port, security="none", timeout=5)
        server.stop()
        with pytest.raises(SendError, match=f"{server.host}:{server.port}"):
            sender.send(message)
        server.start()
        sender.send(message)  # the retry sends the very same message
        assert [m["Message-ID"] for m in server.messages] == [message["Message-ID"]]


def test_smtp_refused_recipient_is_failure(message: EmailMessage) -> None:
    with smtp_server(reject_rcpt=lambda address: True) as server:
        with pytest.raises(SendError) as info:
            SmtpSender(server.host, server.port, security="none", timeout=5).send(message)
        assert server.messages == []
    assert "550" in str(info.value) and f"{server.host}:{server.port}" in str(info.value)


def test_smtp_partially_refused_is_failure(message: EmailMessage) -> None:
    message["Cc"] = "otro@example.org"
    with smtp_server(reject_rcpt=lambda address: address == "otro@example.org") as server:
        with pytest.raises(SendError, match="otro@example.org"):
            SmtpSender(server.host, server.port, security="none", timeout=5).send(message)


def test_smtp_starttls_required_but_not_offered(message: EmailMessage) -> None:
    with smtp_server() as server:
        with pytest.raises(SendError, match=f"{server.host}:{server.port}"):
            SmtpSender(server.host, server.port, security="starttls", timeout=5).send(message)
        assert server.messages == []  # never downgraded to plain text


def test_smtp_rejects_unknown_security() -> None:
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        SmtpSender("127.0.0.1", 25, security="ssl3")


# --- settings ----------------------------------------------------------------------------------


def test_from_settings_chooses_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    files = from_settings(Settings(CASEWATCH_VAR_DIR=tmp_path))
    assert isinstance(files, FileSender) and files.directory == tmp_path / "outbox"
    smtp = from_settings(
        Settings(
            SMTP_HOST="mail.example.org",
            SMTP_PORT=465,
            SMTP_SECURITY="tls",
            SMTP_USER="u",
            SMTP_PASSWORD="secret",
            CASEWATCH_MAIL_FROM="casewatch <cw@example.org>",
        )
    )
    assert isinstance(smtp, SmtpSender)
    assert (smtp.host, smtp.port, smtp.security, smtp.user, smtp.password) == (
        "mail.example.org",
        465,
        "tls",
        "u",
        "secret",
    )
    assert smtp.sender == "casewatch <cw@example.org>"
