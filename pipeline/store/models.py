"""The stored record: SQLAlchemy 2.0 typed models for the vocabulary of docs/architecture.md.

The schema is created and changed only by the Alembic migrations next to this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text  # a column of Version is named text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from pipeline.store.packing import PackedText
from pipeline.store.vocabulary import (
    CHANGE_KINDS,
    DIGEST_KINDS,
    DIGEST_STATUSES,
    DOCUMENT_STATES,
    HEALTH_EVENT_KINDS,
    RELEVANCE_OVERRIDES,
    REVIEW_ACTIONS,
    REVIEW_STATES,
    RUN_STATUSES,
    SOURCE_HEALTH,
    one_of,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SIGNED = "story_id IS NOT NULL AND signature IS NOT NULL"  # a report with a story and a signature


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both backends (SQLite has no timezone type): stored as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A watched source, mirrored from config so runs and documents can refer to it."""

    __tablename__ = "sources"
    __table_args__ = (one_of("health", SOURCE_HEALTH),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    spider: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # healthy | unhealthy: flips after N consecutive bad runs (pipeline.health); the reason says why.
    health: Mapped[str] = mapped_column(String(16), default="healthy", server_default="healthy")
    health_reason: Mapped[str | None] = mapped_column(Text)
    health_since: Mapped[datetime | None]


class Document(Base):
    """One URL's content over time; the canonical URL is the key."""

    __tablename__ = "documents"
    __table_args__ = (one_of("state", DOCUMENT_STATES), one_of("relevance_override", RELEVANCE_OVERRIDES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_checked_at: Mapped[datetime]
    # active | removed; missing_count counts consecutive 404/410 answers.
    state: Mapped[str] = mapped_column(String(16), default="active")
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    outlet: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # An aggregator's result (Google News) that could not be resolved to the publisher's article:
    # only its headline is stored, and every reader is told so.
    headline_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Validators of the last fetch (stored or not): the next fetch asks "changed since?" with them.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    # A reviewer's verdict that outlives versions: "irrelevant" keeps this document's later changes
    # out of digests whatever the classifier says (set from the review page).
    relevance_override: Mapped[str | None] = mapped_column(String(16))

    versions: Mapped[list[Version]] = relationship(back_populates="document", order_by="Version.id")


class Version(Base):
    """One stored snapshot: the evidence of what the site said at fetch time."""

    __tablename__ = "versions"
    __table_args__ = (Index("ix_versions_document_id_id", "document_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))  # of the normalized text
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(PackedText)  # zstd-compressed in the database (text dominates its size)
    published_at: Mapped[datetime | None]
    # The response body is in raw_bodies (by raw_sha256, stored once) and this is b""; rows written
    # before migration 0009 hold it here, zlib-compressed. Read it with pipeline.store.bodies.raw_bytes.
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    raw_sha256: Mapped[str] = mapped_column(String(64))  # of the uncompressed body
    http_status: Mapped[int] = mapped_column(Integer)
    fetched_url: Mapped[str] = mapped_column(String(2048), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="")
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    # Set when housekeeping dropped the raw body of a never-relevant document under the retention
    # policy; raw_sha256 still proves what was fetched.
    raw_pruned_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship(back_populates="versions")
    raw: Mapped[RawBody | None] = relationship(primaryjoin="foreign(Version.raw_sha256) == RawBody.sha256",
                                               viewonly=True)


class RawBody(Base):
    """One response body as fetched, compressed, stored once however many versions fetched the same bytes."""

    __tablename__ = "raw_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the uncompressed body
    codec: Mapped[str] = mapped_column(String(32))  # "zstd": data is one zstd frame
    size: Mapped[int] = mapped_column(Integer)  # uncompressed bytes
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Change(Base):
    """What moved: a document appeared, changed, went back to a stored version, disappeared or came back."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_detected_at", "detected_at"), one_of("kind", CHANGE_KINDS),
                      one_of("review_state", REVIEW_STATES),  # + the story candidates alone (migration 0010):
                      Index("ix_changes_signed", "detected_at", "id", "document_id", "story_id",
                            sqlite_where=sql_text(SIGNED), postgresql_where=sql_text(SIGNED)))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # new | updated | reverted (to_version: the older version the text went back to) | removed | restored
    kind: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[datetime]
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    to_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[str | None] = mapped_column(Text)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    relevance: Mapped[float] = mapped_column(Float, default=0.0)
    matched_terms: Mapped[list[Any]] = mapped_column(default=list)
    milestones: Mapped[list[Any]] = mapped_column(default=list)
    # The story (same event, several outlets) a relevant report belongs to, and the text signature
    # (pipeline.classify.stories) later reports are compared with.
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    related_cases: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # The latest review verdict (reviewed | irrelevant; the history is in `reviews`), and a change
    # withdrawn by re-extraction (its versions no longer differ under the current rules): kept as
    # a record, left out of the change log, digests, feeds and exports.
    review_state: Mapped[str | None] = mapped_column(String(16), index=True)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship()
    from_version: Mapped[Version | None] = relationship(foreign_keys=[from_version_id])
    to_version: Mapped[Version | None] = relationship(foreign_keys=[to_version_id])
    source: Mapped[Source] = relationship()
    case_links: Mapped[list[ChangeCase]] = relationship(back_populates="change", cascade="all, delete-orphan")
    story: Mapped[Story | None] = relationship()


class Mark(Base):
    """A named moment the scheduler keeps across restarts (``digests-checked``: digest times up to
    here were handled), so a stop that spans digest times is caught up once.

    ``value``: a mark that is a stored value made once (``unsubscribe-key``: the key that signs the
    unsubscribe links when CASEWATCH_SECRET_KEY is not set, shared by ``digest``/``run`` and ``serve``).
    """

    __tablename__ = "marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime]
    value: Mapped[str | None] = mapped_column(Text)


class Review(Base):
    """One reviewer action on a change (reviewed, irrelevant), with who did it and why."""

    __tablename__ = "reviews"
    __table_args__ = (one_of("action", REVIEW_ACTIONS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # reviewed | irrelevant | reopened
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Story(Base):
    """One event as several outlets reported it: a digest shows it once, with all its sources."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")  # the first report's headline
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer, default=1)  # reports (new documents) in the story


class ChangeCase(Base):
    """A change's relevance to one case (a document may concern several cases)."""

    __tablename__ = "change_cases"

    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    matched_terms: Mapped[list[Any]] = mapped_column(default=list)

    change: Mapped[Change] = relationship(back_populates="case_links")


class CrawlRun(Base):
    """One run of one source, so a broken or silent source is visible."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_id_started_at", "source_id", "started_at"),
                      one_of("status", RUN_STATUSES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|partial|failed|empty|cancelled
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    restored: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # the first error, one line
    pid: Mapped[int | None] = mapped_column(Integer)


class HealthEvent(Base):
    """A source turned unhealthy or recovered: one maintainer alert each, never one per run."""

    __tablename__ = "health_events"
    __table_args__ = (one_of("kind", HEALTH_EVENT_KINDS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # unhealthy | recovered
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class FetchState(Base):
    """Validators of a listing or feed URL (not a document), saved after a clean run.

    ``config_sha`` ties them to the source's config: a changed filter must re-read an unchanged feed.
    """

    __tablename__ = "fetch_states"
    __table_args__ = (UniqueConstraint("source_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    config_sha: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[datetime]


class Subscriber(Base):
    """A digest recipient, mirrored from config so digests can refer to them."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="es")
    cases: Mapped[list[Any]] = mapped_column(default=list)
    frequency: Mapped[str] = mapped_column(String(16), default="daily")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Digest(Base):
    """One rendered email for one subscriber and period: the outbox row."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("subscriber_id", "period"), one_of("kind", DIGEST_KINDS),
                      one_of("status", DIGEST_STATUSES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    period: Mapped[str] = mapped_column(String(64))
    # digest (daily/weekly/manual) | immediate (major milestones, in the crawl cycle) | health | quiet
    kind: Mapped[str] = mapped_column(String(16), default="digest", server_default="digest")
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sending | sent
    # Delivery lease: a sender claims a row (claimed_at, claim_token) before talking to the server, so
    # two processes never send it at once; a lease left by a crash expires and the row is resent
    # with the same Message-ID. Failed attempts wait until next_attempt_at (exponential backoff).
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    delivered_to: Mapped[str | None] = mapped_column(Text)  # file path or "smtp://host:port"
    # The subscriber's own signed unsubscribe link, built with the body (whose footer shows it) and sent
    # as the List-Unsubscribe header; None for mail to maintainers and rows built before it existed.
    unsubscribe_url: Mapped[str | None] = mapped_column(Text)

    subscriber: Mapped[Subscriber] = relationship()
    items: Mapped[list[DigestItem]] = relationship(cascade="all, delete-orphan")


class Unsubscribe(Base):
    """A subscriber's own opt-out, made with the link in their emails: no digest is built or sent to them
    while the row exists, whatever the config says. Only the operator removes it (``digest --resubscribe``)."""

    __tablename__ = "unsubscribes"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), primary_key=True)
    created_at: Mapped[datetime]


class DigestItem(Base):
    """Which changes a digest carries; a change goes to a subscriber in one digest only."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("subscriber_id", "change_id"),)

    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
