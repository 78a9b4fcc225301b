"""How `casewatch run` learns that it must stop, without doing anything inside a signal handler.

A Python signal handler runs in the main thread between two bytecodes, possibly while that thread
holds a lock the stopping code needs (the scheduler's, the executor's, a logging handler's): stopping
from the handler can deadlock. So the handler only notes the signal, and the kernel-level wake-up
byte (``signal.set_wakeup_fd``) wakes the main thread, which stops outside any handler.
"""

from __future__ import annotations

import os
import select
import signal
from typing import Any

from casewatch import early


class Stop:
    """Set by a signal (SIGTERM, SIGINT) or by a lost lock; read by every thread, acted on by the main one."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.lost: str | None = None  # why the scheduler lock was lost
        self.hup = False  # SIGHUP: reload the config (not a stop)
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._previous: dict[int, Any] = {}
        self._previous_wakeup = -1

    def install(self) -> None:
        """From the main thread, as early as possible: from here on a signal only sets a flag."""
        self._previous_wakeup = signal.set_wakeup_fd(self._w, warn_on_full_buffer=False)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._previous[signum] = early.python_default(signum, signal.signal(signum, self._on_signal))
        for signum in early.taken():  # arrived while casewatch was still importing
            self._note(signum)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_wakeup)
        os.close(self._r)
        os.close(self._w)

    def _on_signal(self, signum: int, _frame: object) -> None:
        """Note the signal; nothing else (see the module docstring)."""
        self._note(signum)

    def _note(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            self.hup = True
        elif self.signum is None:
            self.signum = signum

    def requested(self) -> bool:
        return self.signum is not None or self.lost is not None

    def lose(self, why: str) -> None:
        """The lock is gone (from any thread): stop, and say why."""
        if self.lost is None:
            self.lost = why
        self.wake()

    def wake(self) -> None:
        try:
            os.write(self._w, b"\0")
        except OSError:  # the pipe is full of wake-ups already, or closed: the main loop is gone
            pass

    def wait(self, timeout: float) -> None:
        """Sleep until a signal, a wake-up or ``timeout`` seconds (main thread only)."""
        select.select([self._r], [], [], timeout)
        try:
            data = os.read(self._r, 512)
        except BlockingIOError:
            return
        for byte in data:  # set_wakeup_fd writes the signal number; wake() writes 0
            if byte:
                self._note(byte)

    def take_hup(self) -> bool:
        hup, self.hup = self.hup, False
        return hup
