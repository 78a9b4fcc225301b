"""Login throttling that slows guessing and never locks the right reviewer out.

Failed logins are counted per submitted reviewer name (names that are not reviewers share one count, so
inventing names neither spreads the count nor grows memory), per client address and over all clients,
within a sliding window. Past the allowance, every further *failed* attempt is answered 429 with a
``Retry-After`` that doubles with each failure (up to the window). Credentials are always checked first,
so the right token logs in however many failures came before it: nobody can lock a reviewer out, from
one address or from many, and a reverse proxy that makes every visitor look alike cannot either.
What stops guessing is the token's length (at least 12 random characters); the throttle makes guessing
loud (a warning in the log) and tells well-behaved clients to wait.

Pure bookkeeping: the caller passes the time (``AuthConfig.clock``), so tests need no sleeps.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from threading import Lock

FAILURES_ALLOWED = 5  # per reviewer name and per client address within the window, before slowing down
GLOBAL_FAILURES_ALLOWED = 50  # over every name and address: a spray of guesses across reviewers
WINDOW = 600.0
MAX_DELAY = 600
GLOBAL = "*"
_KEPT = 128  # failures remembered per key: enough for the delay to reach MAX_DELAY
_SWEEP_ABOVE = 4096  # keys kept before stale ones are dropped (many client addresses)


def delay_for(failures: int, allowed: int) -> int:
    """Seconds to wait after the ``failures``-th failure: none within the allowance, then 1, 2, 4, ..."""
    if failures <= allowed:
        return 0
    return min(MAX_DELAY, 2 ** min(failures - allowed - 1, 20))


class LoginThrottle:
    """Failed-login counts by key (``name:ana``, ``client:192.0.2.7``) within ``WINDOW`` seconds."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = Lock()

    def failed(self, keys: Iterable[str], now: float) -> int:
        """Record one failed login under each key (and the global count); the seconds the client should
        wait before trying again, 0 while every count is within its allowance."""
        delay = 0
        with self._lock:
            for key in (*keys, GLOBAL):
                recent = self._failures.setdefault(key, deque(maxlen=_KEPT))
                while recent and now - recent[0] >= WINDOW:
                    recent.popleft()
                recent.append(now)
                delay = max(delay, delay_for(len(recent), GLOBAL_FAILURES_ALLOWED if key == GLOBAL
                                             else FAILURES_ALLOWED))
            if len(self._failures) > _SWEEP_ABOVE:
                for key in [k for k, q in self._failures.items() if not q or now - q[-1] >= WINDOW]:
                    del self._failures[key]
        return delay
