"""Raw response bodies, the evidence of each version: compressed, and stored once per distinct body.

A body is keyed by its SHA-256 (``Version.raw_sha256``), so a page fetched again with the same bytes, a
reverted page or two URLs answering the same document share one row of ``raw_bodies``. Versions written
before migration 0009 keep their zlib body inline in ``versions.raw_body``; ``raw_bytes`` reads both.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from zstandard import ZstdError

from pipeline.store.models import RawBody, Version
from pipeline.store.packing import pack, unpack
from pipeline.store.session import Session

CODEC = "zstd"


class DamagedBody(ValueError):
    """A stored body that does not decompress (or names a codec this version does not know)."""


@lru_cache(maxsize=4)
def _insert_new_body(dialect: str) -> Any:
    """The dialect's INSERT .. ON CONFLICT DO NOTHING of a body (both SQLite and PostgreSQL have it), built once:
    the values come as parameters (building and hashing the statement anew cost more than the insert)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(RawBody).on_conflict_do_nothing(index_elements=["sha256"])


def keep(session: Session, body: bytes, sha256: str | None = None) -> str:
    """Store ``body`` unless a body with its hash is stored already; returns the hash for ``Version.raw_sha256``.

    One INSERT .. ON CONFLICT DO NOTHING in the caller's transaction (no ORM object, no read first): two
    writers storing the same body at once both succeed, and the body commits with the version naming it."""
    sha = sha256 or hashlib.sha256(body).hexdigest()
    connection = session.connection()  # Core, on the session's transaction: this row is no ORM object, so
    # nothing pending needs flushing before it (the ORM's autoflush and bulk-insert path cost more than the insert)
    connection.execute(_insert_new_body(connection.dialect.name),
                       {"sha256": sha, "codec": CODEC, "size": len(body), "data": pack(body)})
    return sha


def raw_bytes(version: Version) -> bytes | None:
    """The response body of ``version`` exactly as fetched; None when housekeeping pruned it.

    Reads ``raw_bodies`` through the version's session (a lazy load), or the inline zlib body of rows
    written before migration 0009."""
    if version.raw_pruned_at is not None:
        return None
    try:
        if version.raw_body:
            return zlib.decompress(version.raw_body)
        raw = version.raw
        if raw is None:
            return None
        if raw.codec != CODEC:
            raise DamagedBody(f"raw body {raw.sha256}: unknown codec {raw.codec!r}")
        return unpack(bytes(raw.data))
    except (zlib.error, ZstdError) as exc:
        raise DamagedBody(f"raw body of version {version.id}: {exc}") from exc


def forget_unused(session: Session, shas: Iterable[str]) -> int:
    """Delete the stored bodies among ``shas`` that no unpruned version names any more (after pruning)."""
    wanted = sorted(set(shas))
    if not wanted:
        return 0
    in_use = select(Version.raw_sha256).where(Version.raw_pruned_at.is_(None), Version.raw_sha256.in_(wanted))
    result = session.execute(delete(RawBody).where(RawBody.sha256.in_(wanted), RawBody.sha256.not_in(in_use)))
    return int(getattr(result, "rowcount", 0) or 0)
