"""Pure helpers of the review page: Lima times, the change log's query string, side-by-side diffs, and the
one-line explanation of a change's relevance. No database, no requests: easy to test and to reuse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.convertors import Convertor, register_url_convertor

from alerts.message import strip_controls
from alerts.worddiff import Segment, pair_lines, runs
from casewatch.web.i18n import text
from pipeline.store.changes import ChangeFilter
from pipeline.store.reviews import REVIEW_STATES
from textkit import LIMA

PER_PAGE = 50
MAX_PER_PAGE = 500
KINDS = ("new", "updated", "reverted", "removed", "restored")


# Row ids are 32-bit integers in PostgreSQL: a bigger number in a URL matches no route (404) instead of
# reaching the database, which would refuse it (a 500). Routes write ``{change_id:id}``.
ID_MAX = 2**31 - 1


def _at_most(bound: int) -> str:
    """A regex for the decimal numbers 0..bound (leading zeros allowed up to bound's length)."""
    digits = str(bound)
    shorter = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    lower = [f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}" for i, d in enumerate(digits) if d != "0"]
    return "(?:" + "|".join([*shorter, *lower, digits]) + ")"


class IdConvertor(Convertor[int]):
    regex = _at_most(ID_MAX)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


def lima(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time as Lima wall time; '' for none."""
    return moment.astimezone(LIMA).strftime(fmt) if moment else ""


class BadQuery(ValueError):
    """A query parameter the page cannot use (a bad date, a bad number). Carries a catalogue key so the page
    says it in the reader's language; ``str()`` is the English text the JSON API has always answered."""

    def __init__(self, key: str, **values: object):
        super().__init__(text("en", key, **values))
        self.key = key
        self.values = values


def _day(value: str, name: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery("err_bad_date", name=name, value=repr(value)) from None


def number(value: str | None, default: int, name: str, lo: int = 1, hi: int = 10**9) -> int:
    """A query parameter as a number held to [lo, hi] (a page past the end is just empty; a number of any
    size never reaches the database)."""
    if value is None or not value.strip():
        return default
    try:
        return min(max(int(value), lo), hi)
    except ValueError:
        raise BadQuery("err_bad_number", name=name, value=repr(value[:40])) from None


@dataclass(frozen=True)
class LogParams:
    """The change log's filters as the form shows them (strings) and as the store wants them (ChangeFilter)."""

    values: dict[str, str]
    query: ChangeFilter

    FIELDS = ("case", "source", "source_kind", "kind", "milestone", "review", "relevant", "from", "to", "q")

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> LogParams:
        """Query parameters -> filters; dates are Lima days, ``to`` inclusive."""
        # Control characters cannot be in a title or a source id, and PostgreSQL refuses NUL in text.
        values = {k: strip_controls((params.get(k) or "").strip()[:200]) for k in cls.FIELDS}
        start, end = _day(values["from"], "from"), _day(values["to"], "to")
        if end == date.max:  # `to` includes the day: its end, the next midnight, must exist
            raise BadQuery("err_out_of_range", name="to", value=repr(values["to"]))
        review = values["review"] if values["review"] in REVIEW_STATES else ""
        values["review"] = review
        query = ChangeFilter(
            case_id=values["case"] or None, source_id=values["source"] or None,
            source_kind=values["source_kind"] or None, kind=values["kind"] or None,
            milestone=values["milestone"] or None,
            since=datetime.combine(start, time(), LIMA) if start else None,
            until=datetime.combine(end + timedelta(days=1), time(), LIMA) if end else None,
            text=values["q"] or None, relevant_only=values["relevant"] in ("1", "on", "true"),
            review_state=review or None,
            page=number(params.get("page"), 1, "page"),
            per_page=number(params.get("per_page"), PER_PAGE, "per_page", hi=MAX_PER_PAGE),
        )
        return cls(values, query)

    def href(self, page: int | None = None) -> str:
        """This filter's change-log URL (optionally another page); empty filters are left out."""
        pairs = [(k, v) for k, v in self.values.items() if v]
        if self.query.per_page != PER_PAGE:
            pairs.append(("per_page", str(self.query.per_page)))
        if page is not None and page != 1:
            pairs.append(("page", str(page)))
        return "/changes" + ("?" + urlencode(pairs) if pairs else "")


@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


@dataclass(frozen=True)
class Cell:
    kind: str  # add | del | ctx | hunk | empty
    text: str
    segments: tuple[Segment, ...] = ()  # (text, changed): the words an edit changed are marked


def side_by_side(diff: str | None) -> list[tuple[Cell, Cell]]:
    """A unified diff as (old, new) rows: runs of removed lines face the added lines that replaced them,
    with the changed words marked (alerts.worddiff)."""
    rows: list[tuple[Cell, Cell]] = []

    def cell(kind: str, segments: tuple[Segment, ...] | None) -> Cell:
        if segments is None:
            return Cell("empty", "")
        return Cell(kind, "".join(t for t, _ in segments), segments)

    for run in runs(diff):
        if isinstance(run[0], str):
            kind, line = run
            assert isinstance(line, str)
            text = line if kind == "hunk" else line[1:]
            rows.append((Cell(kind, text, ((text, False),)), Cell(kind, text, ((text, False),))))
            continue
        rows.extend((cell("del", old), cell("add", new)) for old, new in pair_lines(*run))  # type: ignore[misc]
    return rows


def explain(change: Any, case_names: Mapping[str, str], lang: str = "es") -> str:
    """Why the change is (not) relevant, in one line, as the record stands now, in ``lang``."""
    terms = ", ".join(change.matched_terms or [])
    if change.review_state == "irrelevant":
        return text(lang, "why_irrelevant_terms", terms=terms) if terms else text(lang, "why_irrelevant")
    if change.relevant:
        cases = "; ".join(text(lang, "why_case_score", case=case_names.get(link.case_id, link.case_id),
                               score=f"{link.score:g}") for link in change.case_links)
        return text(lang, "why_relevant_terms" if terms else "why_relevant", cases=cases, terms=terms)
    return text(lang, "why_not_relevant_terms" if terms else "why_not_relevant", score=f"{change.relevance:g}",
                terms=terms)


def query_string(**params: Any) -> str:
    """``?a=1&b=x`` from the non-empty values."""
    pairs = [(k, str(v)) for k, v in params.items() if v not in (None, "", False)]
    return "?" + urlencode(pairs) if pairs else ""
