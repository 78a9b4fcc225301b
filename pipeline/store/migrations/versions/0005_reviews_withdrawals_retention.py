"""reviews, withdrawn changes, relevance overrides, pruned raw bodies, scheduler marks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 17:40:00

Plain ADD COLUMN on both backends (SQLite adds nullable columns in place; a batch rebuild of
``changes`` would trip over the foreign keys that point at it, see 0003).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pipeline.store.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = pipeline.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('marks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('at', UTC_DATETIME, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_marks'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['changes.id'], name=op.f('fk_reviews_change_id_changes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    op.create_index(op.f('ix_reviews_change_id'), 'reviews', ['change_id'], unique=False)
    op.add_column('changes', sa.Column('review_state', sa.String(length=16), nullable=True))
    op.add_column('changes', sa.Column('withdrawn_at', UTC_DATETIME, nullable=True))
    op.add_column('changes', sa.Column('withdrawn_reason', sa.Text(), nullable=True))
    op.create_index(op.f('ix_changes_review_state'), 'changes', ['review_state'], unique=False)
    op.add_column('documents', sa.Column('relevance_override', sa.String(length=16), nullable=True))
    op.add_column('versions', sa.Column('raw_pruned_at', UTC_DATETIME, nullable=True))


def downgrade() -> None:
    op.drop_column('versions', 'raw_pruned_at')
    op.drop_column('documents', 'relevance_override')
    op.drop_index(op.f('ix_changes_review_state'), table_name='changes')
    for column in ('withdrawn_reason', 'withdrawn_at', 'review_state'):
        op.drop_column('changes', column)
    op.drop_index(op.f('ix_reviews_change_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_table('marks')
