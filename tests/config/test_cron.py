"""config/cron.py accepts and refuses the cron expressions APScheduler 3 does, without importing it: the
config stays free of the scheduler library and a bad cron is still a load error, never a scheduler crash."""

from __future__ import annotations

import subprocess
import sys

import pytest
from apscheduler.triggers.cron import CronTrigger

from config.cron import check_cron

EXPRESSIONS = (
    "0 7 * * *", "*/15 * * * *", "0,30 7-9 * * 1-5", "5/10 * * * *", "0 0 1 jan mon", "0 0 * JAN-mar *",
    "0 0 last * *", "0 0 * * mon-fri", "0 0 * * sun",
    "61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 7", "5-3 * * * *",
    "*/0 * * * *", "*/60 * * * *", "50/20 * * * *", "0 0 * * 6/2", "0 0 * foo *", "0 0 * * fri-mon",
    "a * * * *", "1-2-3 * * * *", "0 7 * *", "0 0 1st mon * *",
)


def _apscheduler(expression: str) -> str:
    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        return str(exc)
    return "ok"


def _ours(expression: str) -> str:
    try:
        check_cron(expression)
    except ValueError as exc:
        return str(exc)
    return "ok"


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_cron_check_agrees_with_apscheduler(expression: str) -> None:
    assert _ours(expression) == _apscheduler(expression)


def test_loading_the_config_package_does_not_import_apscheduler() -> None:
    code = "import sys, config.schema, config.settings; print(any(m.startswith('apscheduler') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
