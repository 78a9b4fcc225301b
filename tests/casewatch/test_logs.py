"""`casewatch run --log-format json`: one valid JSON object per line, extras included, tracebacks inline."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from casewatch.logs import JsonFormatter, setup_logging


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("casewatch.test_logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.slow
def test_one_json_object_per_record_with_extras(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    log.info("source %s: %s, %d items", "fiscalia", "ok", 4, extra={"source": "fiscalia", "run": 12})
    log.warning('plain "quoted"\nsecond line — Juliaca')
    first, second = _records(stream)
    assert first["message"] == "source fiscalia: ok, 4 items"
    assert (first["level"], first["logger"], first["source"], first["run"]) == (
        "INFO", "casewatch.test_logs", "fiscalia", 12)
    moment = datetime.fromisoformat(str(first["time"]))
    assert moment.utcoffset() == timedelta(0)
    assert second["message"] == 'plain "quoted"\nsecond line — Juliaca' and second["level"] == "WARNING"
    assert "source" not in second and "run" not in second, "extras only when known"
    assert len(stream.getvalue().splitlines()) == 2


@pytest.mark.slow
def test_unknown_run_is_left_out(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    log.error("source %s: crawl killed", "diario", extra={"source": "diario", "run": None})
    [record] = _records(stream)
    assert record["source"] == "diario" and "run" not in record


def test_exception_is_serialized_on_one_line(logger: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = logger
    try:
        raise ValueError("bad\nfeed")
    except ValueError:
        log.exception("digest job failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "ERROR" and record["message"] == "digest job failed"
    assert "Traceback" in str(record["exception"]) and "ValueError: bad\nfeed" in str(record["exception"])


def test_setup_logging_json_replaces_handlers() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogRecordFactory()
    stream = io.StringIO()
    try:
        setup_logging("json", stream=stream)
        logging.getLogger("casewatch.scheduler").info("stopped")
        setup_logging("text", stream=stream)
        logging.getLogger("casewatch.scheduler").info("stopped")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.setLogRecordFactory(saved[2])  # setup_logging installs the redacting record factory
    json_line, text_line = stream.getvalue().splitlines()
    assert json.loads(json_line)["message"] == "stopped"
    assert text_line.endswith("INFO casewatch.scheduler: stopped")
