"""Deliver through an SMTP server (STARTTLS, implicit TLS or plain for loopback relays).

Accepted means accepted for every recipient: a partial refusal is a failure so the outbox retries
rather than marking the digest sent for someone who never got it.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from alerts.send import SendError

SECURITY_MODES = ("starttls", "tls", "none")


def _one_line(value: object) -> str:
    """Server replies can be multi-line bytes; error messages must be one line."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


class SmtpSender:
    """One connection per message: digests are few, and a fresh session has no stale state."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        sender: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        security = (security or "").strip().lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, got {security!r}")
        self.host = host
        self.port = int(port)
        self.security = security
        self.user = user or None
        self.password = password
        self.timeout = timeout
        self.sender = sender
        self.ssl_context = ssl_context

    @property
    def where(self) -> str:
        """host:port, for error messages."""
        return f"{self.host}:{self.port}"

    def _envelope_from(self, message: EmailMessage) -> str | None:
        """Bounces go to the configured sender; without one smtplib uses the From header."""
        if not self.sender:
            return None
        address = parseaddr(self.sender)[1]
        return address or None

    def _connect(self) -> smtplib.SMTP:
        """Open the session, upgrade to TLS when asked (never silently downgrade), and log in."""
        context = self.ssl_context or ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            client.ehlo()
            if self.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        """Send or raise SendError naming host:port; any refused recipient is a failure."""
        try:
            client = self._connect()
            try:
                refused = client.send_message(message, from_addr=self._envelope_from(message))
            finally:
                # The message is already accepted (or not); a failing QUIT must not change that.
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    client.quit()
                client.close()
        except smtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{rcpt}: {code} {_one_line(msg)}" for rcpt, (code, msg) in exc.recipients.items())
            raise SendError(f"SMTP {self.where}: all recipients refused: {detail}") from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP {self.where}: {type(exc).__name__}: {exc.smtp_code} {_one_line(exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise SendError(f"SMTP {self.where}: {type(exc).__name__}: {_one_line(exc)}") from exc
        if refused:
            detail = "; ".join(f"{rcpt}: {code} {_one_line(msg)}" for rcpt, (code, msg) in refused.items())
            raise SendError(f"SMTP {self.where}: recipients refused: {detail}")
