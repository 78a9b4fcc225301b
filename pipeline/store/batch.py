"""Many items' writes in one transaction: one commit (one fsync) per batch instead of one per item.

Each item runs in its own SAVEPOINT, so an item that fails leaves the others of its batch as they
were (as when every item was its own transaction). A crash loses at most the uncommitted batch; its
documents were not stored, so the next crawl fetches them again. A batch that cannot be committed is
handed to ``on_lost`` with what went wrong, so the caller can report each of its items.

While a batch is open it holds SQLite's write lock, so ``Database.write()`` commits it first: no other
unit of work of this process ever waits for its own batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

LostBatch = Callable[[BaseException, list[Any]], None]


class Batch:
    """The open batch of one Database (``Database.batch()``); ``entries`` are the caller's notes per item."""

    def __init__(self, factory: Callable[[], Session], on_lost: LostBatch) -> None:
        self._factory = factory
        self.on_lost = on_lost
        self._session: Session | None = None
        self._tx: SessionTransaction | None = None
        self.entries: list[Any] = []

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def open(self) -> bool:
        return self._session is not None

    @contextmanager
    def item(self, entry: Any) -> Iterator[Session]:
        """A savepoint for one item; ``entry`` joins the batch once the item's work succeeded."""
        if self._session is None:
            self._session = self._factory()
            self._tx = self._session.begin()
        session = self._session
        savepoint = session.begin_nested()
        try:
            yield session
            savepoint.commit()
        except DBAPIError as exc:
            # The database failed, not the item: SQLite rolls the whole transaction back on a full disk
            # or an I/O error, PostgreSQL loses it with the connection. The batch is lost with it, and
            # the cause is reported (SQLAlchemy's failed savepoint rollback would hide it).
            cause = root_cause(exc)
            if isinstance(cause, IntegrityError) and _rolled_back(savepoint):
                raise  # a constraint this item alone broke (a lost race): the rest of the batch stands
            self._lose(cause)
            raise cause from None
        except BaseException:
            try:
                savepoint.rollback()
            except Exception as exc:  # the connection is gone: the batch went with it
                self._lose(root_cause(exc))
            raise
        self.entries.append(entry)

    def note(self, entry: Any) -> None:
        """Replace the last item's entry (the caller knows more once the item is done)."""
        self.entries[-1] = entry

    def commit(self) -> None:
        """Commit the open batch, if any; on failure it is rolled back and given to ``on_lost``."""
        session, tx = self._session, self._tx
        if session is None or tx is None:
            return
        entries = self.entries
        self._session, self._tx, self.entries = None, None, []
        try:
            tx.commit()
        except Exception as exc:
            _quietly(tx.rollback)
            self.on_lost(exc, entries)
        finally:
            _quietly(session.close)

    def _lose(self, exc: BaseException) -> None:
        session, tx, entries = self._session, self._tx, self.entries
        self._session, self._tx, self.entries = None, None, []
        if tx is not None:
            _quietly(tx.rollback)
        if session is not None:
            _quietly(session.close)
        if entries:
            self.on_lost(exc, entries)


def _rolled_back(savepoint: SessionTransaction) -> bool:
    try:
        savepoint.rollback()
    except Exception:
        return False
    return True


def root_cause(exc: BaseException) -> BaseException:
    """The first database error of a chain: a failed rollback raised while handling it replaces it."""
    while isinstance(exc.__context__, DBAPIError):
        exc = exc.__context__
    return exc


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # already failing: the first error is the one reported
        log.debug("ignored while abandoning a batch: %s", exc)
