"""Log formats for `casewatch run`: readable text, or one JSON object per line for log collectors.

JSON lines let journald/Loki/ELK filter by source or run without parsing free text; a traceback is
kept inside its record (one line, newlines escaped) so a collector never splits it into fake records.
Every record is redacted when it is made (:func:`redact_log_records`): a URL with ``user:password@``
(a redirect target in Scrapy's "Error downloading" line), a database password or an SMTP password
never reaches a log, whichever handler writes it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from config.redact import env_secrets, redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EXTRA_KEYS = ("source", "run")  # what the scheduler passes as ``extra=`` when it knows them


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601 UTC), level, logger, message, source/run if known."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in EXTRA_KEYS:
            if (value := getattr(record, key, None)) is not None:
                data[key] = value
        if record.exc_info:
            data["exception"] = record.exc_text or redact(self.formatException(record.exc_info))
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


_plain_factory = logging.getLogRecordFactory()


def redact_log_records() -> None:
    """Make every log record of this process without credentials, whatever handler writes it.

    A record factory, not a handler filter: Scrapy's records reach handlers this code never installs
    (``logging.lastResort`` in crawl children, the run recorder's error capture). Idempotent.
    """
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = _plain_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when a handler formats it, as before
            return record
        secrets = env_secrets()  # read per record: the environment is the source of truth
        if (clean := redact(message, secrets)) != message:  # other records keep their args for formatters
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if (clean := redact(text, secrets)) != text:
                record.exc_text = clean
        return record

    logging.setLogRecordFactory(factory)


def setup_logging(log_format: str = "text", stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Configure the root logger for the scheduler (replacing any handler set before)."""
    redact_log_records()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
