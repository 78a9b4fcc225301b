"""What to watch: cases, sources and subscribers, loaded from YAML with one clear line per mistake.

Every error names the file and the field path (``config/sources.yaml: sources[3].schedule: ...``) so
that a maintainer editing YAML by hand never has to read a traceback. The models live by file
(``case_file.py``, ``source.py`` and ``sources_file.py``, ``subscribers.py``) and ``load.py`` reads a
folder; this module is the one place the rest of casewatch imports them from.
"""

from __future__ import annotations

from config.case_file import Actor, Case, CaseNumber, NearRule, RelatedCase, Term
from config.context import ParamsCheck
from config.errors import ConfigError
from config.fields import (
    DEFAULT_TIMEZONE,
    IMMEDIATE_MILESTONES,
    MILESTONE_TYPES,
    MilestoneType,
    Schedule,
    SourceKind,
    parse_duration,
    parse_schedule,
)
from config.load import Config, load_config
from config.scheduling import DEFAULT_REVISIT, RevisitStep, SchedulerSettings
from config.source import MAX_CONCURRENCY, IgnoreRules, Source
from config.sources_file import params_errors
from config.subscribers import Subscriber
from config.urls import (
    USERINFO_REFUSED,
    PrivateAllowance,
    check_url,
    embedded_ipv4,
    has_userinfo,
    is_private_host,
    private_allowed,
)

__all__ = [
    "DEFAULT_REVISIT", "DEFAULT_TIMEZONE", "IMMEDIATE_MILESTONES", "MAX_CONCURRENCY", "MILESTONE_TYPES",
    "USERINFO_REFUSED", "Actor", "Case", "CaseNumber", "Config", "ConfigError", "IgnoreRules", "MilestoneType",
    "NearRule", "ParamsCheck", "PrivateAllowance", "RelatedCase", "RevisitStep", "Schedule", "SchedulerSettings",
    "Source", "SourceKind", "Subscriber", "Term", "check_url", "embedded_ipv4", "has_userinfo", "is_private_host",
    "load_config", "params_errors", "parse_duration", "parse_schedule", "private_allowed",
]
