"""Log formats for `casewatch run`: readable text, or one JSON object per line for log collectors.

JSON lines let journald/Loki/ELK filter by source or run without parsing free text; a traceback is
kept inside its record (one line, newlines escaped) so a collector never splits it into fake records.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

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
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(log_format: str = "text", stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Configure the root logger for the scheduler (replacing any handler set before)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
