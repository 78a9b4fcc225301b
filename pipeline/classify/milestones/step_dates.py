"""The day a step took place, as its sentence gives it, and hearings that a date makes news.

A step's date is the day its own sentence names (nearest first; not a deadline, not the day of the
deaths); a day without a year lies after publication when the sentence announces the step. A hearing
the text dates within the last two weeks was held, and one set for a coming day has been set: both are
taken wherever they are told (milestone guide: "a hearing held, or set for a date").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from config.schema import Case
from pipeline.classify.dates import DateMention, find_dates, local_date
from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import Doc
from pipeline.classify.milestones.verdict import ANNOUNCED, BACKGROUND, TAKEN, Verdict


class Dates:
    """Date mentions of one sentence at a time: only the sentences of the chosen steps are read."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self._by_sentence: dict[int, list[tuple[int, DateMention]]] = {}

    def in_sentence(self, pos: int) -> list[tuple[int, DateMention]]:
        lo, hi = self.doc.sentence(pos)
        if lo not in self._by_sentence:
            begin = self.doc.starts[lo]
            text = self.doc.text[begin:self.doc.ends[hi - 1]]
            self._by_sentence[lo] = [(self.doc.token_at(begin + m.start), m) for m in find_dates(text)]
        return self._by_sentence[lo]


def _answer(announced: bool) -> Callable[[Hit], bool]:
    """The same answer to "is this step announced?" for every hit (the verdict already decided it)."""
    return lambda _hit: announced


def step_date(doc: Doc, hits: list[Hit], dates: Dates, event_date: date | None,
               published: datetime | None, announced: Callable[[Hit], bool]) -> date | None:
    """The day given in the sentence of the step (nearest mention first), skipping deadlines and the event.

    A day without a year lies after publication when its own sentence announces the step ("la
    audiencia será el 20 de octubre"), before it otherwise."""
    for hit in hits:
        lo = doc.sentence(hit.start)[0]
        for _distance, pos, mention in sorted((abs(p - hit.start), p, m) for p, m in dates.in_sentence(hit.start)):
            if any(doc.toks[p] in lx.NOT_STEP_DATE_BEFORE for p in range(max(pos - 3, lo), pos)):
                continue
            day = mention.resolve(published, forward=announced(hit))
            if day is not None and day != event_date:
                return day
    return None


def dated_hearings(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict], case: Case | None,
                    published: datetime | None, dates: Dates) -> None:
    """A hearing is taken when held or set for a date (milestone guide): one the text dates within the
    last two weeks is news even further down ("la audiencia se realizó el lunes 20"), and one set for a
    coming day ("la próxima audiencia será el 19 de mayo") has been set."""
    published_day = local_date(published)
    if published_day is None:
        return
    event_date = case.event_date if case else None
    for h in mentions:
        verdict = verdicts[id(h)]
        if h.rule.key == "hearing" and verdict.status == TAKEN and (off := called_off(doc, h)):
            # "la audiencia, programada para ayer, fue suspendida", "Ayacucho hearing postponed to January"
            verdicts[id(h)] = Verdict(BACKGROUND, f"called off: '{off}'; not held")
            continue
        if h.rule.key not in lx.DATED_STEPS or verdict.status not in (BACKGROUND, ANNOUNCED):
            continue
        recap = verdict.status == BACKGROUND and not verdict.reason.startswith(
            ("negated", "none", "a count", "an analysis"))  # a profile's hearing is its story, not news
        coming = verdict.status == ANNOUNCED and verdict.reason.startswith("future")
        setting = recap and verdict.verb is not None and doc.verb_lemma(verdict.verb) in lx.SETTING
        if not (recap or coming):
            continue
        day = step_date(doc, [h], dates, event_date, published, _answer(coming or setting))
        if day is None:
            continue
        if recap and 0 <= (published_day - day).days <= lx.DATED_WITHIN and not called_off(doc, h):
            verdicts[id(h)] = Verdict(TAKEN, f"held {day.isoformat()}, days before publication; {verdict.reason}")
        elif (coming or setting) and day > published_day:
            verdicts[id(h)] = Verdict(TAKEN, f"set for {day.isoformat()}; {verdict.reason}")


def called_off(doc: Doc, hit: Hit) -> str | None:
    """The word of the step's sentence that calls it off ("suspendida", "postponed"), unless it opened first or
    the text gives it a new day ("se instaló ... pero fue suspendida", "reprogramó la audiencia")."""
    lo, hi = doc.sentence(hit.start)
    off = next((doc.toks[p] for p in range(lo, hi) if doc.toks[p].startswith(lx.CALLED_OFF)), None)
    if off is None or any(doc.toks[p].startswith(lx.OPENED_FIRST) for p in range(lo, hi)):
        return None
    toks = doc.toks
    set_anew = any(tok.startswith(lx.SET_ANEW) for tok in toks) or any(  # "The court set a new date for 10 January"
        toks[p] in lx.SET_DATE and toks[p - 1] not in lx.NEGATIONS | lx.NOT_YET_SET
        and lx.NEW_DATE & set(toks[p + 1:p + 4]) for p in range(1, len(toks)))
    return None if set_anew else off
