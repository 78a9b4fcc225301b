"""Loading a config folder: each file read defensively, validated by its model, every mistake one line.

Files are read in dependency order (cases, then sources.yaml, then subscribers.yaml) into one
:class:`~config.context.Known`, which later files are checked against through pydantic's context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from config.case_file import Case
from config.context import Known, ParamsCheck
from config.errors import ConfigError, validation_lines
from config.fields import IMMEDIATE_MILESTONES, ConfigModel
from config.files import ConfigFileError, check_not_writable_by_others, read_limited_yaml
from config.scheduling import SchedulerSettings
from config.source import Source
from config.sources_file import SourcesFile
from config.subscribers import Subscriber, SubscribersFile

FileModel = TypeVar("FileModel", bound=ConfigModel)


class Config(ConfigModel):
    """The whole configuration directory, validated and cross-checked."""

    directory: Path
    cases: dict[str, Case]
    sources: tuple[Source, ...]
    subscribers: tuple[Subscriber, ...] = ()
    maintainers: tuple[str, ...] = ()
    immediate_milestones: tuple[str, ...] = IMMEDIATE_MILESTONES
    scheduler: SchedulerSettings = SchedulerSettings()

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)


def load_config(directory: str | Path, *, spiders: Iterable[str] | Mapping[str, ParamsCheck | None] | None = None,
                ) -> Config:
    """Load ``cases/*.yaml``, ``sources.yaml`` and ``subscribers.yaml`` (or the example) from a folder.

    Raises ConfigError listing every problem found, each on one line naming file and field.
    ``spiders`` is the set of spider names that exist; sources naming another are rejected. As a
    mapping, each name's value checks an enabled source's ``params`` for that spider family (the
    family's params model, e.g. ``crawler.runner.spider_checks``): a wrong param is a load error, not
    a crawl-time one.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError([f"{_display(root)}: configuration directory not found"])
    errors = [f"{_display(folder)}: {refused}" for folder in (root, root / "cases")
              if (refused := check_not_writable_by_others(folder))]
    facts = Known.for_spiders(spiders)
    cases = _load_cases(root / "cases", facts, errors)
    sources = _load_file(SourcesFile, root / "sources.yaml", facts, errors)
    subscribers_path = root / "subscribers.yaml"
    if not subscribers_path.exists():
        subscribers_path = root / "subscribers.example.yaml"
    subscribers = _load_file(SubscribersFile, subscribers_path, facts, errors) if subscribers_path.exists() else None
    if errors:
        raise ConfigError(errors)
    return Config(
        directory=root,
        cases=cases,
        sources=sources.sources if sources else (),
        subscribers=subscribers.subscribers if subscribers else (),
        maintainers=(sources.maintainers if sources else ()) + (subscribers.maintainers if subscribers else ()),
        immediate_milestones=sources.digest.immediate if sources else IMMEDIATE_MILESTONES,
        scheduler=sources.scheduler if sources else SchedulerSettings(),
    )


def _load_cases(folder: Path, facts: Known, errors: list[str]) -> dict[str, Case]:
    """One case per file; a file that fails is remembered so that others naming it get no second line."""
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        errors.append(f"{_display(folder)}: no case files (*.yaml) found")
    cases: dict[str, Case] = {}
    for path in files:
        reported = len(errors)
        data = _read_yaml(path, errors)
        if len(errors) > reported:
            facts.broken.add(path.stem)
        if data is None:
            continue
        try:
            case = Case.model_validate(data, context=facts)
        except ValidationError as exc:
            errors.extend(validation_lines(_display(path), exc))
            facts.broken.update({str(data.get("id") or "") if isinstance(data, dict) else "", path.stem})
            continue
        cases[case.id] = case
        facts.cases.add(case.id)
    return cases


def _load_file(model: type[FileModel], path: Path, facts: Known, errors: list[str]) -> FileModel | None:
    data = _read_yaml(path, errors)
    if data is None:  # unreadable (reported) or empty
        return None
    try:
        return model.model_validate(data, context=facts)
    except ValidationError as exc:
        errors.extend(validation_lines(_display(path), exc))
        return None


def _read_yaml(path: Path, errors: list[str]) -> Any:
    """The file's data, or None with the reason appended to ``errors`` (an empty file is None, no reason)."""
    display = _display(path)
    if refused := check_not_writable_by_others(path):
        errors.append(f"{display}: {refused}")
        return None
    try:
        return read_limited_yaml(path)
    except FileNotFoundError:
        errors.append(f"{display}: file not found")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{display}: cannot read: {exc}")
    except ConfigFileError as exc:
        errors.append(f"{display}: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(f"{display}: {where}YAML syntax error: {problem}")
    return None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
