"""raw_bodies (each response body once, zstd) and versions.text stored compressed (a binary column)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 08:15:00

Old rows are not rewritten: their text stays plain UTF-8 (PostgreSQL converts the column to bytea;
SQLite keeps it declared TEXT, and stores the compressed values as the BLOBs they are: rebuilding
versions would break the foreign keys from changes) and their raw body stays inline, zlib-compressed,
in versions.raw_body. The readers
(pipeline.store.packing.unpack_text, pipeline.store.bodies.raw_bytes) take both forms. The downgrade
puts every text and body back in the old form.
"""
import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'raw_bodies',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('codec', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_raw_bodies')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE versions ALTER COLUMN text TYPE bytea USING convert_to(text, 'UTF8')")


def downgrade() -> None:
    from pipeline.store.packing import unpack, unpack_text

    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    versions = sa.table('versions', sa.column('id', sa.Integer()), sa.column('text'),
                        sa.column('raw_body', sa.LargeBinary()), sa.column('raw_sha256', sa.String()),
                        sa.column('raw_pruned_at', sa.DateTime()))
    bodies = sa.table('raw_bodies', sa.column('sha256', sa.String()), sa.column('data', sa.LargeBinary()))
    last = 0
    while rows := bind.execute(  # in chunks of 500 versions: a large database is never in memory at once
            sa.select(versions.c.id, versions.c.text, versions.c.raw_body, versions.c.raw_pruned_at, bodies.c.data)
            .select_from(versions.outerjoin(bodies, bodies.c.sha256 == versions.c.raw_sha256))
            .where(versions.c.id > last).order_by(versions.c.id).limit(500)).all():
        for vid, text, raw_body, pruned_at, data in rows:
            plain = unpack_text(text)
            values: dict[str, bytes | str] = {'text': plain.encode('utf-8') if postgresql else plain}
            if not raw_body and pruned_at is None and data is not None:  # in raw_bodies: back inline, as zlib
                values['raw_body'] = zlib.compress(unpack(bytes(data)), 6)
            bind.execute(versions.update().where(versions.c.id == vid).values(**values))
        last = rows[-1][0]
    if postgresql:
        op.execute("ALTER TABLE versions ALTER COLUMN text TYPE text USING convert_from(text, 'UTF8')")
    op.drop_table('raw_bodies')
