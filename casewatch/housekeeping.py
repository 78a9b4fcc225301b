"""Daily housekeeping for a daemon that runs for months: retention, outbox retries, database upkeep.

Retention never touches evidence that matters: only raw bodies of documents that never had a
relevant change are dropped, after ``scheduler.raw_retention`` (default 180 days); their hashes,
texts, headers and metadata stay, so the record still proves what was fetched and when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from casewatch.app import App
from pipeline.store.documents import prune_raw_bodies

log = logging.getLogger("casewatch.housekeeping")
BATCH = 500  # versions per transaction: a long prune never holds the write lock for long


@dataclass
class Housekeeping:
    pruned: int = 0
    delivered: int = 0
    undelivered: int = 0
    vacuumed: bool = False


def housekeep(app: App, now: datetime) -> Housekeeping:
    """Prune old raw bodies, retry the outbox, then ANALYZE (and VACUUM on SQLite when it pays)."""
    from alerts.outbox import deliver_pending
    from alerts.send import from_settings

    done = Housekeeping()
    retention = app.config.scheduler.raw_retention
    if retention is not None:
        while True:
            with app.db.write() as session:
                pruned = prune_raw_bodies(session, now - retention, now, batch=BATCH)
            done.pruned += pruned
            if pruned < BATCH:
                break
    results = deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from,
                              reply_to=app.settings.reply_to)
    done.delivered = sum(r.ok for r in results)
    done.undelivered = sum(not r.ok for r in results)
    done.vacuumed = app.db.optimize()
    return done
