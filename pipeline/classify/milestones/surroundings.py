"""What surrounds a step's mention and changes what it reports: the title of a work or a name it is part
of, a commemoration, a recap ("recordó que"), a headline without news, a request that repeats an earlier
step, a "sin"/"without" before it, a law's publication in the official gazette, a trial or testimony ordered.
Kept apart from find.py, which decides the order these checks run in.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import FINITE, Doc
from pipeline.classify.milestones.verdict import ANNOUNCED, BACKGROUND, TAKEN, Verdict

OUTLET_WORDS = 5  # at most this many words after the last " - " of a headline are the outlet's name


def commemoration(doc: Doc, hit: Hit) -> bool:
    """A vigil, tribute or mass not held before an authority: a statement only with demands (milestone guide)."""
    lo, hi = doc.sentence(hit.start)
    return any(doc.toks[p] in lx.COMMEMORATIONS for p in range(hit.start, hit.end)) and not any(
        doc.toks[p] in lx.AUTHORITIES for p in range(lo, hi))


def what_the_earlier_asks(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict],
                          earlier_counts: Callable[[Hit, Hit], bool]) -> None:
    """A step taken as a request ("pide penas de 25 años") after a background mention of the same step in its
    sentence is what that earlier step asks, told again (``earlier_counts(step, earlier)`` narrows it)."""
    for h in mentions:
        if verdicts[id(h)].status == TAKEN and verdicts[id(h)].reason.startswith("the request is the step"):
            asking = next((o for o in mentions if o.rule.key == h.rule.key and o.start < h.start
                           and doc.sentence(o.start) == doc.sentence(h.start)
                           and verdicts[id(o)].status == BACKGROUND and earlier_counts(h, o)), None)
            if asking is not None:
                verdicts[id(h)] = Verdict(BACKGROUND, f"what the earlier '{doc.span(asking.start, asking.end)}' asks")


# The reasons of a step an article of a resolution or law orders (status.py, clauses.py): its news, wherever it
# stands after the considerations.
OPERATIVE = ("the operative part of a resolution", "ordered by an article of the resolution")


# The reasons of a headline step given up for another step of the text that tells the same news (find.py):
# the headline still reports a step.
SAME_STEP = ("a charge that is the ", "a generic wording: the step is ")


def context_without_news(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """The second sentence carries news only in a text whose headline or first sentence reports a step;
    otherwise (a memorial, a profile, "the appeal still has no date") what it says happened is context."""
    if not any((verdicts[id(h)].status == TAKEN or verdicts[id(h)].reason.startswith(SAME_STEP))
               and doc.sentence_no[h.start] < 1 for h in mentions):
        for h in mentions:
            if verdicts[id(h)].status == TAKEN and doc.sentence_no[h.start] >= 1 and h.rule.key != "statement" \
                    and not verdicts[id(h)].reason.startswith(OPERATIVE):  # a resolution's articles are its news
                verdicts[id(h)] = Verdict(BACKGROUND, f"context: the headline and lead report no step; "
                                                      f"{verdicts[id(h)].reason}")


def recalled_in(doc: Doc, hit: Hit) -> str | None:
    """The words "recordó que" / "recalls that" opening the clause of the step, earlier in its sentence."""
    lo, _hi = doc.sentence(hit.start)
    for pos in range(hit.start - 1, lo - 1, -1):
        if doc.toks[pos] in lx.COORDINATION and doc.form(pos + 1) == FINITE:
            return None  # "recordó que ... y exhortó a los jueces": a new main clause
        if doc.toks[pos] in lx.COMPLEMENTIZERS and pos > lo and doc.lemma(pos - 1) in lx.RECALLING:
            return doc.span(pos - 1, pos + 1)
    return None


def inside_a_name(doc: Doc, hit: Hit) -> bool:
    """A one-word step capitalised mid-sentence after another capitalised word is part of a name."""
    pos = hit.start
    if hit.end - pos != 1 or pos < doc.title_tokens or pos == doc.sentence(pos)[0]:
        return False
    return doc.raw[pos][:1].isupper() and doc.raw[pos - 1][:1].isupper() and pos - 1 != doc.sentence(pos)[0] \
        and not doc.before(pos).strip()


_QUOTES = "'\"‘’“”«»"
_TITLED = frozenset("titled entitled called named titulado titulada denominado denominada llamado llamada "
                    "libro volumen documental pelicula book volume documentary film".split())


def in_a_title(doc: Doc, hit: Hit) -> bool:
    """A step word opening the title of a work: quoted ("'Testimonio del altiplano'") or named ("a
    documentary titled Testimonio"), capitalised."""
    if not doc.raw[hit.start][:1].isupper() or doc.form(hit.start) is not None:  # not a quote: “Presentaremos ...”
        return False
    if hit.start > 0 and doc.toks[hit.start - 1] in _TITLED:
        return True
    before = doc.before(hit.start) if hit.start else doc.text[:doc.starts[0]]
    return any(q in before for q in _QUOTES)


def without_outlet(title: str) -> str:
    """"Juliaca probe extended - Peru Reports" -> "Juliaca probe extended": a feed's or Google News'
    headline ends with its outlet's name, whose words ("Reports", "Informe") report no step."""
    for sep in (" - ", " | ", " – "):
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and len(tail.split()) <= OUTLET_WORDS and tail[:1].isupper():
            return head
    return title


def what_did_not_happen(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """A step within three words after "sin"/"without", in the same phrase ("a mass, without speeches or demands"),
    did not happen; "sin embargo" and a "Sin X," opener before the step say nothing of it."""
    for h in mentions:
        if verdicts[id(h)].status != TAKEN:
            continue
        lo = doc.sentence(h.start)[0]
        without = next((p for p in range(h.start - 1, max(lo, h.start - 4) - 1, -1) if doc.toks[p] in lx.WITHOUT), None)
        if without is not None and doc.toks[without + 1] != "embargo" and not any(
                c in doc.before(p) for p in range(without + 1, h.start + 1) for c in ",;:"):
            verdicts[id(h)] = Verdict(BACKGROUND, f"'{doc.span(without, without + 1)}': no step")


def published_in_the_gazette(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """A law or decree the headline or lead tells "published (today) in El Peruano" is in force: that is the step
    ("A supreme decree published today in El Peruano grants ...", "Ordinance No. 001, published in the official
    gazette, declares ..."); one dated long before is taken back by the recency rule that runs next."""
    for h in mentions:
        if h.rule.key != "legislation" or verdicts[id(h)].status == TAKEN or doc.sentence_no[h.start] >= 1:
            continue
        hi = doc.sentence(h.start)[1]
        said = next((p for p in range(h.end, min(hi, h.end + 8)) if doc.toks[p].startswith(lx.PUBLISHED)), None)
        if said is not None and any(doc.toks[p] in lx.GAZETTES for p in range(said, min(hi, said + 10))):
            verdicts[id(h)] = Verdict(TAKEN, f"published in the official gazette: '{doc.span(said, said + 1)}'", said)


def ordered_to_come(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """A trial a court orders held again ("anula la sentencia y ordena un nuevo juicio", "ordered a new trial") and
    statements a prosecutor orders taken ("dispuso recabar los registros y tomar declaración a los heridos") are
    announced: the ordering decision is the news, the trial or the testimony is still to come (milestone guide: a
    trial opened or under way; a person testifies)."""
    for h in mentions:
        verdict = verdicts[id(h)]
        if h.rule.key not in ("trial", "testimony") or verdict.status != TAKEN or verdict.verb is None:
            continue
        anew = any(doc.toks[p] in lx.AGAIN for p in range(max(0, h.start - 2), h.end))
        if (h.rule.key == "testimony" or anew) and doc.verb_lemma(verdict.verb) in lx.ORDERING:
            verb = doc.span(verdict.verb, verdict.verb + 1)
            what = "ordered, still to be given" if h.rule.key == "testimony" else "ordered anew, still to be held"
            verdicts[id(h)] = Verdict(ANNOUNCED, f"{what}: '{verb}'")


def what_is_judged_or_welcomed(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """A step a position is taken on ("valoró la acusación fiscal presentada", "celebran acusación") or an indictment
    a court decides on ("admitted the indictment", "declaró válida la acusación") was filed before: the position
    or the court's decision is the news."""
    for h in mentions:
        verdict = verdicts[id(h)]
        if h.rule.key == "statement" or verdict.status != TAKEN or verdict.verb is None:
            continue
        verb = doc.span(verdict.verb, verdict.verb + 1)
        if doc.toks[verdict.verb].startswith(lx.WELCOMING) and h.rule.key not in lx.SESSIONS:  # "celebró una audiencia"
            verdicts[id(h)] = Verdict(BACKGROUND, f"what '{verb}' welcomes")
        elif h.rule.key == "indictment" and doc.verb_lemma(verdict.verb) in lx.JUDGING_AN_INDICTMENT:
            verdicts[id(h)] = Verdict(BACKGROUND, f"what the court decides on: '{verb}'")


def standing_demands(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict]) -> None:
    """A demand made "since" a past event ("the families have demanded her questioning since the 2023 report",
    "exigen desde 2023") is a standing position, told as context, not a statement made now."""
    for h in mentions:
        if h.rule.key != "statement" or verdicts[id(h)].status != TAKEN or doc.sentence_no[h.start] < 1:
            continue
        _lo, hi = doc.sentence(h.start)
        since = next((p for p in range(h.end, min(hi, h.end + 6)) if doc.toks[p] in lx.SINCE), None)
        if since is not None:
            verdicts[id(h)] = Verdict(BACKGROUND, f"a standing demand: '{doc.span(since, since + 1)}'")

