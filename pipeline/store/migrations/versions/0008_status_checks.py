"""statuses and kinds checked by the database: CHECK constraints (PostgreSQL), equivalent triggers (SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:30:00

PostgreSQL adds each CHECK in place (ALTER TABLE ... ADD CONSTRAINT, which checks the rows already
there). SQLite cannot add a CHECK to an existing table without rebuilding it, and a rebuild (batch
mode: copy, drop, rename) of a table other tables point at fails inside the migration's transaction,
where foreign keys are enforced: dropping ``changes`` cascade-deletes ``change_cases`` and leaves
``digest_items`` dangling (see 0003). So SQLite gets BEFORE INSERT / BEFORE UPDATE triggers that
refuse the same values with SQLite's own message ("CHECK constraint failed: ck_<table>_<column>"),
after checking the rows already there as PostgreSQL does.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): the values allowed, as pipeline/store/models.py declared them at this revision.
CHECKS: dict[tuple[str, str], tuple[str, ...]] = {
    ('sources', 'health'): ('healthy', 'unhealthy'),
    ('documents', 'state'): ('active', 'removed'),
    ('documents', 'relevance_override'): ('irrelevant',),
    ('changes', 'kind'): ('new', 'updated', 'reverted', 'removed', 'restored'),
    ('changes', 'review_state'): ('reviewed', 'irrelevant'),
    ('reviews', 'action'): ('reviewed', 'irrelevant', 'reopened'),
    ('crawl_runs', 'status'): ('running', 'ok', 'partial', 'failed', 'empty', 'cancelled'),
    ('health_events', 'kind'): ('unhealthy', 'recovered'),
    ('digests', 'kind'): ('digest', 'immediate', 'health', 'quiet'),
    ('digests', 'status'): ('pending', 'sending', 'sent'),
}


def _sqlite() -> bool:
    return op.get_context().dialect.name == 'sqlite'


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for (table, column), values in CHECKS.items():
        name = f'ck_{table}_{column}'
        if not _sqlite():
            op.create_check_constraint(op.f(name), table, _in(column, values))
            continue
        bad = op.get_bind().exec_driver_sql(
            f"SELECT DISTINCT {column} FROM {table} WHERE NOT ({_in(column, values)})").scalars().all()
        if bad:
            raise RuntimeError(f"{table}.{column} holds values outside {values}: {bad}; fix those rows first")
        for event, when in (('insert', 'INSERT'), ('update', f'UPDATE OF {column}')):
            op.execute(f"CREATE TRIGGER {name}_{event} BEFORE {when} ON {table} "
                       f"WHEN NOT (NEW.{_in(column, values)}) "
                       f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END")


def downgrade() -> None:
    for table, column in reversed(list(CHECKS)):
        name = f'ck_{table}_{column}'
        if not _sqlite():
            op.drop_constraint(op.f(name), table, type_='check')
            continue
        for event in ('insert', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
