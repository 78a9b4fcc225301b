"""ix_changes_signed: the signed reports by detection time, a partial covering index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:15:00

Every relevant new report reads the keys of the signed reports of the last two weeks (its story's
candidates, pipeline.store.stories.candidate_keys). Through ix_changes_detected_at that read visits
every change of the window, relevant or not, each a row of several KB (summary, milestones,
signature), so a first crawl paid for it once per relevant page over all the pages before it: 70 ms
a read at 10,000 changes. This index holds only the signed reports and the four columns read, so the
read touches only them (2 ms at 10,000). Same rows, same order.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNED = sa.text('story_id IS NOT NULL AND signature IS NOT NULL')


def upgrade() -> None:
    op.create_index('ix_changes_signed', 'changes', ['detected_at', 'id', 'document_id', 'story_id'],
                    sqlite_where=SIGNED, postgresql_where=SIGNED)


def downgrade() -> None:
    op.drop_index('ix_changes_signed', table_name='changes')
