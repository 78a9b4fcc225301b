"""A real SMTP server on loopback (aiosmtpd) for tests that must talk SMTP, not a mock.

with smtp_server() as server:
    SmtpSender(server.host, server.port, security="none").send(msg)
    assert server.messages[0]["Message-ID"] == ...
    server.stop()   # now connections are refused
    server.start()  # same port again
"""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (the OS picks it; tiny race accepted in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Envelope:
    """What the server saw: envelope sender, recipients and the raw DATA bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class _Handler:
    """aiosmtpd handler that stores messages and can refuse recipients on demand."""

    server: SmtpServer
    reject_rcpt: Callable[[str], bool] | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.reject_rcpt is not None and self.reject_rcpt(address):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.server.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), data))
        self.server.messages.append(email.message_from_bytes(data, policy=default_policy))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """Handle on a running aiosmtpd Controller; `messages` are parsed EmailMessage objects."""

    host: str = HOST
    port: int = field(default_factory=free_port)
    reject_rcpt: Callable[[str], bool] | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    _controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """(Re)start on the same host and port; a fresh Controller each time (they do not restart)."""
        if self._controller is not None:
            return
        controller = Controller(
            _Handler(self, self.reject_rcpt), hostname=self.host, port=self.port, ready_timeout=10.0
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; connections are refused until `start()`."""
        if self._controller is None:
            return
        controller, self._controller = self._controller, None
        controller.stop()


@contextmanager
def smtp_server(reject_rcpt: Callable[[str], bool] | None = None) -> Iterator[SmtpServer]:
    """A started server on 127.0.0.1 and a free port, stopped on exit."""
    server = SmtpServer(reject_rcpt=reject_rcpt)
    server.start()
    try:
        yield server
    finally:
        server.stop()
