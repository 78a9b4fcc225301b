"""The words a status or kind column may hold, and the CHECK constraint that holds it to them.

Kept apart from the tables (models.py) so the migrations, the models and the tests name one list.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint

# CHECK constraints in the schema (migration 0008): a misspelt status written by any code path is refused
# by the database, not stored.
SOURCE_HEALTH = ("healthy", "unhealthy")
DOCUMENT_STATES = ("active", "removed")
RELEVANCE_OVERRIDES = ("irrelevant",)  # a reviewer's verdict that outlives versions
CHANGE_KINDS = ("new", "updated", "reverted", "removed", "restored")
REVIEW_STATES = ("reviewed", "irrelevant")  # the latest review verdict of a change (null: not reviewed)
REVIEW_ACTIONS = ("reviewed", "irrelevant", "reopened")
RUN_STATUSES = ("running", "ok", "partial", "failed", "empty", "cancelled")
HEALTH_EVENT_KINDS = ("unhealthy", "recovered")
DIGEST_KINDS = ("digest", "immediate", "health", "quiet")
DIGEST_STATUSES = ("pending", "sending", "sent")


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """CHECK that ``column`` holds one of ``values`` (a null passes: nullable columns stay nullable).
    Named ``ck_<table>_<column>`` by the naming convention."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=column)
