"""Whether a step a text reports as done is in fact an earlier one, told again: its clause dates it long
before publication ("la fiscalía abrió investigación en enero de 2023" in a 2025 analysis, "filed the
indictment a year ago"). Only a written year or a span back counts: "el 12 de mayo" may be last week.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from pipeline.classify.dates import MAX_YEAR, MIN_YEAR
from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import PARTICIPLE, Doc
from textkit import MONTHS

OLD_STEP_DAYS = 60  # a taken step dated this long before publication is a recap
YEAR_OPENING, YEAR_AFTER = 4, 10  # where a year dates a step: opening its sentence, or just after it
_NUMBER_WORDS = {"un": 1, "una": 1, "a": 1, "an": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3,
                 "cuatro": 4, "four": 4, "cinco": 5, "five": 5, "seis": 6, "six": 6}
_EARLY = frozenset("inicios principios comienzos earlier early beginning start".split())
_UNIT_DAYS = {"ano": 365, "anos": 365, "year": 365, "years": 365, "mes": 30, "meses": 30, "month": 30, "months": 30}


def earlier_step(doc: Doc, hit: Hit, published: date | None) -> str | None:
    """Why the step is an earlier one (None when nothing near it dates it long before ``published``)."""
    if published is None:
        return None
    day = _year_date(doc, hit) or _ago_date(doc, hit, published)
    if day is None or (published - day).days <= OLD_STEP_DAYS:
        return None
    return f"dated {day.strftime('%m/%Y')}, long before publication: an earlier step"


def earlier_month(doc: Doc, hit: Hit, published: date | None) -> str | None:
    """A step told below the lead and dated by a bare month before the month of publication ("The trial
    opened in March" in an April story, "la apelación fue presentada en julio"): a recap of an earlier step."""
    if published is None:
        return None
    _lo, hi = doc.sentence(hit.start)
    toks = doc.toks
    for pos in range(hit.end, min(hi, hit.end + YEAR_AFTER)):
        if toks[pos] not in MONTHS or toks[pos - 1] not in _IN:
            continue
        if any(t.isdigit() for t in toks[max(0, pos - 3):min(hi, pos + 3)]):
            return None  # a day or a year: other rules read it
        month = MONTHS[toks[pos]]
        if month == published.month:
            return None
        year = published.year if month < published.month else published.year - 1
        return f"dated {calendar.month_name[month]} {year}, before the month of publication: an earlier step"
    return None


_IN = frozenset("en in since desde durante during".split())
_NOW = lx.TODAY | {"tonight"}  # a sentence that dates its news now


def _ago_date(doc: Doc, hit: Hit, published: date) -> date | None:
    """"hace dos años", "a year ago", "el año pasado", "last year" just after the step: how long before."""
    _lo, hi = doc.sentence(hit.start)
    toks = doc.toks
    for pos in range(hit.start, min(hi, hit.end + YEAR_AFTER)):
        if (toks[pos] == "pasado" and toks[pos - 1] == "ano") or (
                toks[pos] == "last" and pos + 1 < hi and toks[pos + 1] == "year"):
            return date(published.year - 1, 12, 31)
        if toks[pos] in _EARLY and pos + 2 < hi and toks[pos + 1] in ("de", "del", "of", "this") \
                and toks[pos + 2] in ("ano", "year", "este", "the"):  # "a inicios de año", "early this year"
            return date(published.year, 1, 31)
        if toks[pos] == "hace" and pos + 2 < hi:  # "hace dos años"
            number, unit = toks[pos + 1], toks[pos + 2]
        elif pos + 2 < hi and toks[pos + 2] == "ago":  # "two years ago"
            number, unit = toks[pos], toks[pos + 1]
        else:
            continue
        count = _NUMBER_WORDS.get(number) or (int(number) if number.isdigit() and len(number) <= 2 else None)
        if count and unit in _UNIT_DAYS:
            return published - timedelta(days=count * _UNIT_DAYS[unit])
    return None


def _year_date(doc: Doc, hit: Hit) -> date | None:
    """The latest day a year written near the step allows ("en enero de 2023" -> 31 January 2023; "en
    2024" -> 31 December 2024), skipping the year of the events ("las muertes de enero de 2023")."""
    lo, hi = doc.sentence(hit.start)
    toks = doc.toks
    if any(toks[p] in _NOW for p in range(lo, hi)):
        return None  # "Catorce años después de junio de 2011, los familiares se concentraron hoy"
    opening = range(lo, min(lo + YEAR_OPENING, hit.start))  # "En enero de 2023, la fiscalía abrió ..."
    for pos in (*opening, *range(hit.start, min(hi, hit.end + YEAR_AFTER))):
        tok = toks[pos]
        if not (tok.isdigit() and len(tok) == 4 and MIN_YEAR <= int(tok) <= MAX_YEAR):
            continue
        if pos + 1 < len(toks) and toks[pos + 1].isdigit() and "-" in doc.before(pos + 1):
            continue  # a case number: "023-2023"
        if pos + 1 < len(toks) and ":" in doc.before(pos + 1):
            continue  # a headline kicker: "Juliaca 2011: Sala confirma sentencia"
        if pos > hit.end and any(doc.form(p) == PARTICIPLE and doc.lemma(p - 1) not in lx.AUXILIARIES | lx.PASSIVE
                                 for p in range(hit.end, pos)):
            continue  # the year of what a participle tells: "revocó la prisión preventiva dictada en 2023"
        around = (*range(max(lo, pos - 6), pos), *range(pos + 1, min(hi, pos + 4)))  # "muertes del 9 de enero de"
        if any(toks[p] in lx.NOT_STEP_DATE_BEFORE for p in around):
            continue  # the events' year: "las muertes de enero de 2023", "the 2022 protest killings"
        month = next((MONTHS[toks[p]] for p in range(max(lo, pos - 2), pos) if toks[p] in MONTHS), 12)
        return date(int(tok), month, calendar.monthrange(int(tok), month)[1])  # "el 30 de julio de 2024" too
    return None
