"""The default configuration loads, and every kind of mistake yields one clear line naming file and field."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.schema import ConfigError, load_config
from crawler.runner import spider_names

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
SPIDERS = set(spider_names())  # the spider families in crawler/spiders/
REQUIRED_SOURCES = {
    "mpfn",
    "cidh-es",
    "cidh-en",
    "defensoria",
    "googlenews-juliaca-fiscalia",
    "googlenews-masacre-juliaca",
    "larepublica-politica",
    "elcomercio-politica",
    "infobae-peru",
    "wayka",
    "idl-reporteros",
    "servindi",
    "ojo-publico",
    "pachamama-radio",
    "los-andes",
    "cnddhh",
}

Edit = Callable[[dict[str, Any]], None]


# ---------------------------------------------------------------------------------------------
# The default configuration


@pytest.fixture(scope="module")
def default():
    return load_config(CONFIG_DIR, spiders=SPIDERS)


def test_default_config_loads_with_the_juliaca_case(default):
    case = default.cases["juliaca-2023"]
    assert case.threshold > 0
    terms = {t.term.lower() for t in case.terms}
    assert {"masacre de juliaca", "juliaca", "carpeta 023-2023", "juliaca massacre"} <= terms
    assert len(terms) == len(case.terms), "a term is listed twice"


def test_default_config_has_the_required_sources(default):
    ids = {s.id for s in default.sources}
    assert REQUIRED_SOURCES <= ids
    assert default.source("mpfn").kind == "prosecutor"
    assert default.source("mpfn").urls == ("https://www.gob.pe/institucion/mpfn/noticias.json",)
    assert default.source("mpfn").enabled and default.source("mpfn").spider == "gobpe"
    assert default.source("cidh-es").kind == "iachr"
    assert default.source("cidh-es").urls == ("https://www.oas.org/es/cidh/",)
    assert default.source("larepublica-politica").urls == ("https://larepublica.pe/rss/politica.xml",)
    for sid in ("googlenews-juliaca-fiscalia", "googlenews-masacre-juliaca"):
        src = default.source(sid)
        assert src.spider == "googlenews" and src.kind == "aggregator" and src.enabled
        assert src.urls == ("https://news.google.com/rss/search",)
        assert (src.params["hl"], src.params["gl"]) == ("es-419", "PE") and "Juliaca" in src.params["query"]
    for sid in ("larepublica-politica", "elcomercio-politica", "infobae-peru"):
        assert default.source(sid).enabled and default.source(sid).spider == "feed"


def test_every_source_uses_a_spider_that_exists(default):
    assert default.enabled_sources
    for src in default.sources:
        assert src.spider in SPIDERS, f"{src.id} uses the {src.spider} spider, which does not exist"


def test_schedules_are_polite(default):
    assert default.scheduler.housekeeping_at == "03:30" and default.scheduler.revisit_max_per_crawl > 0
    for src in default.sources:
        assert src.schedule.timezone == "America/Lima"
        every = src.schedule.interval
        assert every is not None and every >= timedelta(minutes=15), src.id
        if src.kind in ("prosecutor", "iachr", "court", "congress", "gazette"):
            assert every >= timedelta(hours=2), src.id


def test_example_subscribers_load(default):
    assert [s.frequency for s in default.subscribers] == ["daily", "weekly"]
    assert {s.language for s in default.subscribers} == {"es", "en"}
    assert all(s.email.endswith("@example.org") for s in default.subscribers)
    assert all(m.endswith("@example.org") for m in default.maintainers)


def test_loopback_url_is_accepted_when_the_source_allows_it(tmp_path):
    root = _copy(tmp_path)
    _edit(root / "sources.yaml", _set(0, urls=["http://127.0.0.1:8000/feed.xml"], allow_private=True))
    config = load_config(root, spiders=SPIDERS)
    assert config.sources[0].urls == ("http://127.0.0.1:8000/feed.xml",)


# ---------------------------------------------------------------------------------------------
# Broken copies of the default configuration: exactly one line, naming file and field path


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    shutil.copytree(CONFIG_DIR / "cases", root / "cases")
    for name in ("sources.yaml", "subscribers.example.yaml"):
        shutil.copy(CONFIG_DIR / name, root / name)
    return root


def _edit(path: Path, change: Edit) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(index: int, **fields: Any) -> Edit:
    """Set (or with None, delete) fields of sources[index]."""

    def change(data: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is None:
                del data["sources"][index][key]
            else:
                data["sources"][index][key] = value

    return change


def _subscriber(index: int, **fields: Any) -> Edit:
    def change(data: dict[str, Any]) -> None:
        data["subscribers"][index].update(fields)

    return change


def _duplicate_id(data: dict[str, Any]) -> None:
    data["sources"][4]["id"] = data["sources"][1]["id"]


def _one_error(root: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(root, spiders=SPIDERS)
    lines = info.value.lines
    assert len(lines) == 1, lines
    line = lines[0]
    assert "\n" not in line and str(info.value) == line
    for leak in ("Traceback", "Value error", "function-after", "function-before", "pydantic", "errors.pydantic"):
        assert leak not in line
    return line


# Missing URL, bad cron, unknown field, wrong type and duplicate id: catalogue row B8 in
# tests/reliability/test_config_guard.py.
SOURCES_ERRORS = [
    pytest.param(
        _set(2, schedule="0m"), r"sources\[2\]\.schedule: interval must be positive: '0m'$", id="zero-interval"
    ),
    pytest.param(
        _set(2, timezone="Mars/Olympus"), r"sources\[2\]\.schedule: unknown timezone 'Mars/Olympus'$", id="bad-timezone"
    ),
    pytest.param(
        _set(3, spider="fead", enabled=True),
        r"sources\.yaml: sources\[3\]\.spider: unknown spider 'fead' \(known: ",
        id="unknown-spider",
    ),
    pytest.param(
        _set(3, urls=[]), r"sources\.yaml: sources\[3\]\.urls: at least one URL is required$", id="empty-urls"
    ),
    pytest.param(
        _set(3, kind=None), r"sources\.yaml: sources\[3\]\.kind: required field is missing$", id="missing-kind"
    ),
    pytest.param(
        _set(3, kind="blog"), r"sources\.yaml: sources\[3\]\.kind: Input should be .* \(got 'blog'\)$", id="bad-kind"
    ),
    pytest.param(_set(3, id="Bad Id"), r"sources\.yaml: sources\[3\]\.id: must be .*\(got 'Bad Id'\)$", id="bad-id"),
    pytest.param(
        _set(5, urls=["https://example.org/feed/", "file:///etc/passwd"]),
        r"sources\.yaml: sources\[5\]\.urls\[1\]: only http and https URLs are allowed, not 'file:///etc/passwd'$",
        id="file-url",
    ),
    pytest.param(
        _set(5, urls=["http://127.0.0.1:8000/feed.xml"]),
        r"sources\.yaml: sources\[5\]\.urls\[0\]: URL points to a private or loopback address: "
        r"'http://127\.0\.0\.1:8000/feed\.xml' \(set allow_private: true to allow it\)$",
        id="loopback-url",
    ),
    pytest.param(
        _set(5, urls=["http://localhost/feed"]), r"sources\[5\]\.urls\[0\]: URL points to a private", id="localhost-url"
    ),
    pytest.param(
        _set(6, cases=["juliaca-2024"]),
        r"sources\.yaml: sources\[6\]\.cases\[0\]: unknown case 'juliaca-2024'$",
        id="source-unknown-case",
    ),
    pytest.param(
        _set(6, ignore={"patterns": ["("]}),
        r"sources\[6\]\.ignore\.patterns: invalid regular expression '\('",
        id="bad-ignore-regex",
    ),
    pytest.param(
        lambda d: d["defaults"].update(schedul="2h"),
        r"sources\.yaml: defaults\.schedul: unknown field$",
        id="unknown-default",
    ),
    pytest.param(
        lambda d: d.update(digest={"schedule": "0 7 * * *"}),
        r"sources\.yaml: digest\.schedule: no longer used: each subscriber's `at` and `timezone`",
        id="old-digest-schedule",
    ),
    pytest.param(lambda d: d.update(extra_key=1), r"sources\.yaml: extra_key: unknown field$", id="unknown-top-level"),
]


@pytest.mark.parametrize(("change", "expected"), SOURCES_ERRORS)
def test_sources_mistake_gives_one_clear_line(tmp_path, change, expected):
    root = _copy(tmp_path)
    _edit(root / "sources.yaml", change)
    line = _one_error(root)
    assert line.startswith(str(root / "sources.yaml") + ": ") or line.startswith("config/sources.yaml: ")
    assert re.search(expected, line), line


SUBSCRIBER_ERRORS = [
    pytest.param(
        _subscriber(0, cases=["juliaca-2024"]),
        r"subscribers\.example\.yaml: subscribers\[0\]\.cases\[0\]: unknown case 'juliaca-2024'$",
        id="unknown-case",
    ),
    pytest.param(
        _subscriber(1, email="not-an-email"),
        r"subscribers\.example\.yaml: subscribers\[1\]\.email: invalid email address 'not-an-email'$",
        id="bad-email",
    ),
    pytest.param(
        _subscriber(1, email="abogada@example.org"),
        r"subscribers\[1\]\.email: duplicate subscriber 'abogada@example\.org'$",
        id="duplicate-email",
    ),
    pytest.param(
        _subscriber(1, at=420), r"subscribers\[1\]\.at: write the time in quotes, like \"07:00\"", id="unquoted-time"
    ),
    pytest.param(
        _subscriber(1, frequency="hourly"),
        r"subscribers\[1\]\.frequency: Input should be .*'hourly'",
        id="bad-frequency",
    ),
    pytest.param(
        _subscriber(1, source_kinds=["blog"]),
        r"subscribers\[1\]\.source_kinds\[0\]: Input should be",
        id="bad-source-kind",
    ),
    pytest.param(
        _subscriber(1, timezone="Lima"), r"subscribers\[1\]\.timezone: unknown timezone 'Lima'$", id="bad-timezone"
    ),
    pytest.param(
        lambda d: d.update(maintainers=["ops"]),
        r"subscribers\.example\.yaml: maintainers\[0\]: invalid email address 'ops'$",
        id="bad-maintainer",
    ),
]


@pytest.mark.parametrize(("change", "expected"), SUBSCRIBER_ERRORS)
def test_subscriber_mistake_gives_one_clear_line(tmp_path, change, expected):
    root = _copy(tmp_path)
    _edit(root / "subscribers.example.yaml", change)
    assert re.search(expected, _one_error(root))


def _case_term(index: int, **fields: Any) -> Edit:
    def change(data: dict[str, Any]) -> None:
        data["terms"][index].update(fields)

    return change


CASE_ERRORS = [
    pytest.param(lambda d: d.pop("terms"), r"juliaca-2023\.yaml: terms: required field is missing$", id="no-terms"),
    pytest.param(
        _case_term(0, weight=-1),
        r"juliaca-2023\.yaml: terms\[0\]\.weight: Input should be greater than 0",
        id="negative-weight",
    ),
    pytest.param(lambda d: d.update(treshold=3), r"juliaca-2023\.yaml: treshold: unknown field$", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "expected"), CASE_ERRORS)
def test_case_mistake_gives_one_clear_line(tmp_path, change, expected):
    root = _copy(tmp_path)
    _edit(root / "cases" / "juliaca-2023.yaml", change)
    assert re.search(expected, _one_error(root))


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    root = _copy(tmp_path)
    path = root / "sources.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, text in enumerate(lines) if text.strip().startswith("- id:"))
    lines.insert(first + 1, "    urls: [https://example.org/feed/")  # unclosed flow sequence
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = _one_error(root)
    assert re.search(r"sources\.yaml: line \d+, column \d+: YAML syntax error: ", line), line


def test_every_mistake_is_reported_not_only_the_first(tmp_path):
    root = _copy(tmp_path)
    _edit(root / "sources.yaml", _set(2, schedule="61 * * * *", spider="fead"))
    _edit(root / "subscribers.example.yaml", _subscriber(1, email="nope"))
    with pytest.raises(ConfigError) as info:
        load_config(root, spiders=SPIDERS)
    assert len(info.value.lines) == 2  # the schedule and the email (the spider is checked on valid sources)


def test_disabled_source_may_name_a_spider_that_does_not_exist_yet(tmp_path):
    root = _copy(tmp_path)
    _edit(root / "sources.yaml", _set(2, spider="boletin", enabled=False))
    config = load_config(root, spiders=SPIDERS)
    assert config.sources[2].spider == "boletin" and not config.sources[2].enabled
    _edit(root / "sources.yaml", _set(2, enabled=True))
    with pytest.raises(ConfigError, match=r"sources\[2\]\.spider: unknown spider 'boletin'"):
        load_config(root, spiders=SPIDERS)


def test_documented_scheduler_block_is_valid_and_states_the_defaults():
    """The commented `scheduler:` block in config/sources.yaml, uncommented, is exactly the defaults."""
    from config.schema import SchedulerSettings

    lines = (CONFIG_DIR / "sources.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# scheduler:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    data = yaml.safe_load("\n".join(block))["scheduler"]
    assert set(data) == set(SchedulerSettings.model_fields)
    assert SchedulerSettings.model_validate(data) == SchedulerSettings()
