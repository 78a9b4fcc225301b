"""unsubscribes, the unsubscribe link of each outbox row, stored values in marks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 19:40:00

Plain ADD COLUMN on both backends, as in 0005.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pipeline.store.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = pipeline.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('unsubscribes',
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'],
                            name=op.f('fk_unsubscribes_subscriber_id_subscribers')),
    sa.PrimaryKeyConstraint('subscriber_id', name=op.f('pk_unsubscribes'))
    )
    op.add_column('digests', sa.Column('unsubscribe_url', sa.Text(), nullable=True))
    op.add_column('marks', sa.Column('value', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('marks', 'value')
    op.drop_column('digests', 'unsubscribe_url')
    op.drop_table('unsubscribes')
