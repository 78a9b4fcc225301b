"""The parts of the distributed crawl one at a time, on the real Redis and PostgreSQL: shared per-site
politeness, the per-cycle dupefilter, a run's busy set, and two writers storing the same document."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from scrapy import Request
from sqlalchemy import func, select, text

from crawler.distributed import SharedPolitenessMiddleware
from crawler.redis_run import CLAIM, POP, REDIS_ERRORS, SEED, Leases, RunJob, release
from crawler.shared_queue import CycleDupeFilter
from pipeline.ingest import Snapshot, ingest
from pipeline.store.models import Change, Document, Source, Version
from pipeline.store.session import Database
from pipeline.store.shared import lock_document
from tests.support.distributed import SHARED_REDIS, wait_until
from tests.support.smtpd import free_port


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    server = redis.Redis.from_url(SHARED_REDIS)
    prefix = f"cwtest-{uuid.uuid4().hex[:10]}"
    server.casewatch_prefix = prefix  # type: ignore[attr-defined]
    yield server
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def _keys(client: redis.Redis, host: str) -> list[str]:
    prefix = client.casewatch_prefix  # type: ignore[attr-defined]
    return [f"{prefix}:polite:{host}:next", f"{prefix}:polite:{host}:slots"]


def test_a_sites_delay_holds_across_workers(client: redis.Redis) -> None:
    """Two workers (two middlewares): the second request to a site waits for the delay the first
    started, whichever worker sends it; another site does not wait."""
    one, two = (SharedPolitenessMiddleware(client, delay=60.0, concurrency=2, lease_ms=90_000) for _ in range(2))
    site = _keys(client, "diario.example")
    assert one._acquire(keys=site, args=[60_000, 2, "a", 90_000]) == 0
    waited = two._acquire(keys=site, args=[60_000, 2, "b", 90_000])
    assert 50_000 < waited <= 60_000  # about a minute, by Redis's own clock
    assert two._acquire(keys=_keys(client, "otro.example"), args=[60_000, 2, "c", 90_000]) == 0


def test_a_sites_concurrency_is_shared_and_released(client: redis.Redis) -> None:
    mw = SharedPolitenessMiddleware(client, delay=0.0, concurrency=2, lease_ms=90_000)
    site = _keys(client, "diario.example")
    assert [mw._acquire(keys=site, args=[0, 2, slot, 90_000]) for slot in ("a", "b")] == [0, 0]
    assert mw._acquire(keys=site, args=[0, 2, "c", 90_000]) > 0  # two under way, by any workers: wait
    request = Request("http://diario.example/nota/1", meta={"casewatch_polite": (site[1], "a")})
    mw.process_exception(request, TimeoutError())  # a failed download frees its slot too
    assert mw._acquire(keys=site, args=[0, 2, "c", 90_000]) == 0


def test_a_killed_workers_slot_frees_itself(client: redis.Redis) -> None:
    """A slot is leased: one its worker never released (killed) stops counting when the lease ends."""
    mw = SharedPolitenessMiddleware(client, delay=0.0, concurrency=1, lease_ms=0)
    site = _keys(client, "diario.example")
    assert mw._acquire(keys=site, args=[0, 1, "held", 90_000]) == 0
    assert mw._acquire(keys=site, args=[0, 1, "waits", 90_000]) > 0  # the one slot is taken
    client.zadd(site[1], {"held": 0})  # its lease ran out (the worker died and never released it)
    assert mw._acquire(keys=site, args=[0, 1, "next", 90_000]) == 0


def test_a_live_workers_holds_are_renewed_and_a_missed_release_is_sent_later(client: redis.Redis) -> None:
    """A worker's holds (a slot, its member in a run's busy set) last one lease, renewed while it holds
    them, and only those (a released one is not brought back); a release Redis did not get (it was
    away) is sent with the next renewal, and kept owed while Redis still does not answer."""
    site = _keys(client, "diario.example")
    client.zadd(site[1], {"under-way": 1, "released": 1})  # leases about to run out
    held = Leases()
    held.hold(site[1], "under-way")
    held.hold(site[1], "released")
    held.drop(site[1], "released")
    held.hold(site[1], "gone")  # its request ended and Redis removed it: renewing must not add it back
    now_ms = client.time()[0] * 1000
    client.zadd(site[1], {"released-while-away": now_ms + 30_000})
    held.owe(site[1], "released-while-away")
    with pytest.raises(REDIS_ERRORS):
        held.renew(redis.Redis(port=free_port(), socket_connect_timeout=1), 30_000)  # Redis away: still owed
    assert held.renew(client, 30_000) == 1
    assert client.zscore(site[1], "under-way") > now_ms + 20_000  # good for another lease
    assert client.zscore(site[1], "released") == 1 and client.zscore(site[1], "gone") is None
    assert client.zscore(site[1], "released-while-away") is None


def test_the_dupefilter_is_per_cycle_and_expires(client: redis.Redis) -> None:
    prefix = client.casewatch_prefix  # type: ignore[attr-defined]
    first = CycleDupeFilter(client, key=f"{prefix}:cycle:1:seen")
    first.ttl_ms = 3_600_000
    article = Request("http://diario.example/nota/1?utm=x")
    assert first.request_seen(article) is False
    assert first.request_seen(Request("http://diario.example/nota/1?utm=x")) is True  # another source, same cycle
    assert 0 < client.pttl(f"{prefix}:cycle:1:seen") <= 3_600_000
    second = CycleDupeFilter(client, key=f"{prefix}:cycle:2:seen")
    second.ttl_ms = 3_600_000
    assert second.request_seen(article) is False  # the next cycle fetches it again


def test_popping_a_request_marks_the_worker_busy_in_the_same_step(client: redis.Redis) -> None:
    """No moment where the queue is empty and nobody holds the request: the scheduler's 'done' test."""
    prefix = client.casewatch_prefix  # type: ignore[attr-defined]
    queue, busy = f"{prefix}:run:1:queue", f"{prefix}:run:1:busy"
    client.zadd(queue, {b"request": 0})
    client.zadd(busy, {SEED: float("inf")})
    take = client.register_script(CLAIM)
    assert take(keys=[busy], args=[SEED, "w1", 30_000]) == 1
    assert take(keys=[busy], args=[SEED, "w2", 30_000]) == 0  # one worker seeds the run
    pop = client.register_script(POP)
    assert pop(keys=[queue, busy], args=["w2", 30_000, 3_600_000]) == b"request"
    assert client.zcard(queue) == 0 and {m for m in client.zrange(busy, 0, -1)} == {b"w1", b"w2"}
    assert pop(keys=[queue, busy], args=["w2", 30_000, 3_600_000]) is None


def test_an_abandoned_crawl_gives_back_what_it_held(client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's crawl that ended while its run goes on (Redis went away as it started): the seed it
    claimed and the requests it queued in memory go back to the run, for any worker; its hold goes
    too, unless it took requests from the queue (then its lease runs out: the run says it lost them).
    A run no longer active is left alone (no key recreated for it)."""
    import crawler.redis_run as redis_run

    prefix = client.casewatch_prefix  # type: ignore[attr-defined]
    monkeypatch.setattr(redis_run, "PREFIX", prefix)
    monkeypatch.setattr(redis_run, "ACTIVE", f"{prefix}:runs")
    job = RunJob(run_id=7, source_id="a", cycle="c", worker="w1", lease_ms=30_000, ttl_ms=3_600_000)
    client.hset(f"{prefix}:runs", "7", "{}")
    client.zadd(job.busy, {SEED: float("inf")})
    assert client.register_script(CLAIM)(keys=[job.busy], args=[SEED, "w1", 30_000]) == 1
    job.token, job.unsent = SEED, [(-1.0, b"request-1"), (0.0, b"request-2")]
    assert release(client, job) is True
    assert client.zrange(job.busy, 0, -1) == [SEED.encode()]  # seedable again, by any worker
    assert client.zrange(job.queue, 0, -1) == [b"request-1", b"request-2"]
    assert job.token is None and job.unsent == []

    held = RunJob(run_id=7, source_id="a", cycle="c", worker="w2", lease_ms=30_000, ttl_ms=3_600_000, popped=1)
    client.zadd(held.busy, {"w2": 1})
    assert release(client, held) is True
    assert b"w2" in client.zrange(held.busy, 0, -1)  # its requests may be lost: its lease says so

    client.hdel(f"{prefix}:runs", "7")
    client.delete(job.busy, job.queue)
    job.token = SEED
    assert release(client, job) is False
    assert client.exists(job.busy, job.queue) == 0


@pytest.mark.postgres
def test_two_writers_storing_one_document_make_one_document_version_and_change(pg_url: str) -> None:
    """Worker B locks the URL while worker A's transaction holds it: B waits, then sees A's document
    and records `unchanged` (without the lock B would insert a second one or fail on the URL)."""
    db = Database(pg_url)
    db.upgrade()
    snap = Snapshot(url="http://diario.example/nota/1", status=200, title="Nota",
                    text="La fiscalía amplió la investigación por las muertes en Juliaca.")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    results: list[str] = []
    with db.write() as session:
        session.add_all([Source(id=i, name=i, kind="news", spider="page", enabled=True, created_at=now, updated_at=now)
                         for i in ("a", "b")])

    def worker_b() -> None:
        with db.write() as session:
            lock_document(session, snap.url)
            results.append(ingest(session, snap, source_id="b", cases=[], now=now).result)

    with db.write() as session:
        lock_document(session, snap.url)
        results.append(ingest(session, snap, source_id="a", cases=[], now=now).result)
        b = threading.Thread(target=worker_b)
        b.start()
        wait_until(lambda: _waiting_on_advisory_lock(db), timeout=60, what="B waiting on the document's lock")
    b.join(timeout=60)
    assert results == ["new", "unchanged"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        assert session.scalar(select(func.count()).select_from(Version)) == 1
        assert session.scalar(select(func.count()).select_from(Change)) == 1
    db.dispose()


def _waiting_on_advisory_lock(db: Database) -> bool:
    with db.read() as session:
        return bool(session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")))
