"""documents.headline_only: an aggregator's result kept as its headline (not resolved to the article)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:00:00

Plain ADD COLUMN with a server default on both backends, as in 0005.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('documents', sa.Column('headline_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('documents', 'headline_only')
