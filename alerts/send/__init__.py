"""Mail backends: each only implements `send(message)` and raises SendError when not accepted.

The outbox marks a digest sent only if `send` returns, so a backend must never swallow a failure.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from config.settings import Settings


class SendError(Exception):
    """The message was not accepted; the string is one line naming where it failed."""


@runtime_checkable
class Sender(Protocol):
    """Anything that can hand one finished message to its destination."""

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` or raise SendError."""
        ...


def from_settings(settings: Settings) -> Sender:
    """SMTP when SMTP_HOST is set, otherwise .eml files in the outbox directory (safe default)."""
    if settings.smtp_host:
        from alerts.send.smtp import SmtpSender

        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=password,
            timeout=settings.smtp_timeout,
            sender=settings.mail_from,
        )
    from alerts.send.file import FileSender

    return FileSender(settings.outbox_dir)


__all__ = ["SendError", "Sender", "from_settings"]
