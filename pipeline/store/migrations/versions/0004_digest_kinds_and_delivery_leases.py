"""digest kinds and delivery leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:40:40.872364
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pipeline.store.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (no batch table rebuild): digest_items references digests, and SQLite
    # can add and drop these columns in place.
    op.add_column('digests', sa.Column('kind', sa.String(length=16), server_default='digest', nullable=False))
    op.add_column('digests', sa.Column('claimed_at', pipeline.store.models.UTCDateTime(timezone=True),
                                       nullable=True))
    op.add_column('digests', sa.Column('claim_token', sa.String(length=64), nullable=True))
    op.add_column('digests', sa.Column('next_attempt_at', pipeline.store.models.UTCDateTime(timezone=True),
                                       nullable=True))


def downgrade() -> None:
    for column in ('next_attempt_at', 'claim_token', 'claimed_at', 'kind'):
        op.drop_column('digests', column)
