"""Which legal steps a text mentions, the status of each, and the one it reports (the primary step).

The rule tables find every mention of a step in one pass; each mention's status is read from its
sentence (status.py); each type keeps its best mention per status; the primary step is the taken
one the headline and lead report, highest priority first (specific steps beat generic ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from config.schema import Case
from pipeline.classify.dates import local_date
from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.identifiers import actors as find_actors
from pipeline.classify.milestones.identifiers import identifiers as find_identifiers
from pipeline.classify.milestones.model import Milestone
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.recency import earlier_month, earlier_step
from pipeline.classify.milestones.rerank import rerank
from pipeline.classify.milestones.status import Reader
from pipeline.classify.milestones.step_dates import Dates, dated_hearings, step_date
from pipeline.classify.milestones.surroundings import (
    OPERATIVE,
    commemoration,
    context_without_news,
    in_a_title,
    inside_a_name,
    ordered_to_come,
    published_in_the_gazette,
    recalled_in,
    standing_demands,
    what_did_not_happen,
    what_is_judged_or_welcomed,
    what_the_earlier_asks,
    without_outlet,
)
from pipeline.classify.milestones.tables import CUE_KINDS, index, labels, tables
from pipeline.classify.milestones.text import FINITE, Doc
from pipeline.classify.milestones.verdict import ANNOUNCED, BACKGROUND, REQUESTED, STATUSES, TAKEN, Verdict

# Ranking: a step named in the headline is what the story is about; the lead sentence comes next.
TITLE_BONUS, LEAD_BONUS = 40, 10
# The decision a court takes on an appeal is a ruling besides the appeal decided; the appeal is the news.
ON_APPEAL = "decided on appeal, the court's decision"
PRIMARY_SENTENCES = 1  # the primary step is in the title or the first sentence(s) of the body
ACTOR_WINDOW = 30
ID_WINDOW = 60
INDICTMENT_WORDS = 80  # below this priority an indictment is worded as a charge, not named ("indict", "acusación")
GENERIC_BELOW = 60  # a weaker wording ("la investigación por las muertes") names a step without reporting it
REACTION = 2  # body sentence from which a statement in a story about another step is a reaction
WINDOW_HITS = 3  # mentions of a step whose surroundings give its date, actors, identifiers


def _score(doc: Doc, hit: Hit) -> float:
    if hit.start < doc.title_tokens:
        return hit.rule.priority + TITLE_BONUS
    if doc.sentence_no[hit.start] < PRIMARY_SENTENCES:
        return hit.rule.priority + LEAD_BONUS
    return float(hit.rule.priority)


def _a_stance(doc: Doc, hit: Hit, verdict: Verdict) -> bool:
    """A position of its own further down ("los deudos calificaron la decisión de blindaje", "reiteró su
    llamado", "expressed concern", "marcharon"): news beside the step, unlike a welcome or a warning."""
    words = [p for p in (verdict.verb, hit.start) if p is not None]
    return any(doc.verb_lemma(p) in lx.STANCES or doc.lemma(p) in lx.STANCES for p in words)


def _specificity(hit: Hit) -> int:
    """Which of two steps read in the same words is the step: the more specific type; a statement
    (whose high priority ranks demands above the steps they ask for) never beats the step it words
    ("the IACHR asked Peru to adopt precautionary measures" grants them)."""
    return -1 if hit.rule.key == "statement" else hit.rule.priority


def _mentions(step_hits: list[Hit], reader_has_verb: Callable[[Hit], bool]) -> list[Hit]:
    """One hit per mention of a type: of the hits of one type that overlap, the highest priority, longest."""
    out: list[Hit] = []
    for hit in sorted(step_hits, key=lambda h: (-h.rule.priority, h.start - h.end, h.start)):
        same = next((o for o in out if o.rule.key == hit.rule.key and o.start <= hit.end and hit.start <= o.end), None)
        if same is None:
            out.append(hit)
        elif (hit.start < same.start or hit.end > same.end) and not reader_has_verb(hit):  # "pericias balísticas"
            out[out.index(same)] = Hit(same.rule, min(same.start, hit.start), max(same.end, hit.end))
    return sorted(out, key=lambda h: (h.start, h.end))


def find_milestones(title: str, text: str, *, case: Case | None = None, language: str = "es",
                    published: datetime | None = None, learned: bool = True) -> list[Milestone]:
    """Every step a text mentions, with its status; the primary step first, then the other taken ones,
    then announced, requested and background ones (one per type and status). The learned layer gives a
    second opinion on the rules' statuses (rerank.py; it raised precision on each of eleven fresh sets, see
    eval/rerank.md); ``learned=False``: the rules alone."""
    found = _rules(title, text, case, language, published)
    return rerank(title or "", text or "", language, found) if learned and found else found


def _rules(title: str, text: str, case: Case | None, language: str, published: datetime | None) -> list[Milestone]:
    doc = Doc.read(without_outlet(title or ""), text or "")
    if not doc.toks:
        return []
    by_kind: dict[str, list[Hit]] = {}
    for hit in index(case).scan(doc.toks, doc.sent_end):
        by_kind.setdefault(hit.rule.kind, []).append(hit)
    vetoes: dict[str, list[Hit]] = {}
    for v in by_kind.get("veto", []):
        vetoes.setdefault(v.rule.key, []).append(v)
    # A title that looks back ("las claves del caso", "cronología") or asks ("¿Qué pasará con el caso?")
    # heads an analysis: its body reports no step of its own.
    # An "Analysis:" or "Opinión:" kicker heads a piece that reports nothing, its headline included.
    kicker = doc.title_tokens > 1 and doc.toks[0] in lx.LOOK_BACK_KICKERS and any(c in doc.before(1) for c in ":|")
    look_back = any(h.start < doc.title_tokens for h in by_kind.get("background", [])) or doc.question_title
    candidates = []
    for hit in by_kind.get("step", []):
        if look_back and hit.start >= doc.title_tokens and hit.rule.key != "statement":  # a march is news
            continue
        if any(v.start < hit.end and hit.start < v.end for v in vetoes.get(hit.rule.key, ())):
            continue
        if inside_a_name(doc, hit) or in_a_title(doc, hit):  # "seen by Peru Reports", "el documental 'Testimonio'"
            continue
        if hit.rule.key == "appeal" and hit.end - hit.start == 1 and hit.end < len(doc.toks) \
                and doc.toks[hit.end] in lx.COURT_HEADS:  # "the Puno appeals chamber": a court's name
            continue
        candidates.append(hit)
    if not candidates:
        return []
    marks = {pos: CUE_KINDS[h.rule.kind] for kind in CUE_KINDS for h in by_kind.get(kind, [])
             for pos in range(h.start, h.end)}
    reader = Reader(doc, marks, [])
    mentions = _mentions(candidates, reader.has_verb)
    reader.steps = mentions
    policies = tables().policies
    verdicts = {id(h): reader.verdict(h, policies[h.rule.key]) for h in mentions}
    if kicker:  # kept, for the explanation, as what the analysis looks back on
        for h in mentions:
            if verdicts[id(h)].status == TAKEN and h.rule.key != "statement":
                verdicts[id(h)] = Verdict(BACKGROUND, f"an analysis ('{doc.raw[0]}:') reports no step; "
                                                      f"{verdicts[id(h)].reason}")
    for h in mentions:  # the body that acts ("la Subcomisión ... aprobó") yields to a step it takes
        if verdicts[id(h)].reason.startswith("the body of the step acts") and any(
                verdicts[id(o)].status == TAKEN and o is not h and doc.sentence(o.start) == doc.sentence(h.start)
                for o in mentions):
            verdicts[id(h)] = Verdict(BACKGROUND, "the body that acts; the step it takes is another")
    what_did_not_happen(doc, mentions, verdicts)
    context_without_news(doc, mentions, verdicts)
    for h in mentions:  # the same words read as two steps: the more specific one ("la Sala revoca": appeal)
        if verdicts[id(h)].status == TAKEN and any(
                _specificity(o) > _specificity(h) and o.start < h.end and h.start < o.end and o.rule.key != h.rule.key
                and verdicts[id(o)].status == TAKEN for o in mentions):
            verdicts[id(h)] = Verdict(BACKGROUND, "the same words read as a more specific step")
    # Types a ruling may be the decision of (demoting a ruling never changes this set: it is not in it).
    decisions = lx.RULING_IS & {o.rule.key for o in mentions if verdicts[id(o)].status == TAKEN}
    for h in mentions:  # "declaró fundado el pedido de impedimento de salida": the decision is that measure
        if h.rule.key == "ruling" and verdicts[id(h)].status == TAKEN:
            decided = next((o for o in mentions if o.rule.key in decisions and (
                doc.sentence(o.start) == doc.sentence(h.start)  # the same sentence, or a ruling told after the
                or (h.start >= doc.title_tokens and verdicts[id(o)].status == TAKEN  # measure the lead reports
                    and doc.sentence_no[o.start] < 1))), None)
            if decided is not None:
                step = doc.span(decided.start, decided.end)
                verdicts[id(h)] = Verdict(BACKGROUND, f"the decision is the step '{step}'")
    if any(h.rule.key == "appeal" and verdicts[id(h)].status == TAKEN for h in mentions):
        for h in mentions:  # "upheld the restricted-appearance order": the appeal decided is the step
            verb = verdicts[id(h)].verb
            if h.rule.key == "ruling" and verdicts[id(h)].status == TAKEN and verb is not None \
                    and doc.lemma(verb) in lx.APPELLATE:  # "declaró infundada la apelación y confirmó la condena"
                verdicts[id(h)] = Verdict(TAKEN, f"{ON_APPEAL}: {verdicts[id(h)].reason}", verb)
            elif h.rule.key != "appeal" and verb is not None and doc.lemma(verb) in lx.APPELLATE:
                verdicts[id(h)] = Verdict(BACKGROUND, f"decided on appeal: {verdicts[id(h)].reason}")
    for h in mentions:  # "aprobó el informe que ... dispone el archivamiento de la denuncia": the archiving
        if h.rule.key in lx.ARCHIVED_OBJECTS and verdicts[id(h)].status == TAKEN and any(
                o.rule.key == "archived" and doc.sentence(o.start) == doc.sentence(h.start) for o in mentions) \
                and any(o.rule.key == "archived" and verdicts[id(o)].status == TAKEN for o in mentions):
            verdicts[id(h)] = Verdict(BACKGROUND, "what the archiving in its sentence archives")
    for h in mentions:  # "approved the final report recommending the archiving": the report carries the step
        if h.rule.key == "report" and verdicts[id(h)].status == TAKEN and any(
                o.rule.key in lx.CARRIED_BY_A_REPORT and verdicts[id(o)].status == TAKEN
                and (doc.sentence(o.start) == doc.sentence(h.start)
                     or (o.start < doc.title_tokens and doc.sentence_no[h.start] < 1)) for o in mentions):
            verdicts[id(h)] = Verdict(BACKGROUND, "the report that carries the step taken in its sentence")
    if any(o.rule.key == "investigation_extended" and verdicts[id(o)].status == TAKEN for o in mentions):
        for h in mentions:  # "has extended the preparatory investigation by eight months": what is extended
            verb = verdicts[id(h)].verb
            if h.rule.key in lx.INVESTIGATIONS and verdicts[id(h)].status == TAKEN and verb is not None \
                    and doc.verb_lemma(verb) in lx.EXTENDING:
                verdicts[id(h)] = Verdict(BACKGROUND, f"what '{doc.span(verb, verb + 1)}' extends")
    for h in mentions:  # "as preparatory investigation continues": an investigation under way is no new step
        if h.rule.key in lx.INVESTIGATIONS and verdicts[id(h)].status == TAKEN:
            hi = doc.sentence(h.start)[1]
            going = next((p for p in range(h.end, min(hi, h.end + 3)) if doc.lemma(p) in lx.UNDER_WAY), None)
            if going is not None:
                verdicts[id(h)] = Verdict(BACKGROUND, f"under way ('{doc.span(going, going + 1)}'): no new step")
    for h in mentions:  # "el IDL saluda el inicio del juicio oral": the step a position is about was news before
        if h.rule.key == "statement" and verdicts[id(h)].status == TAKEN and doc.toks[h.start].startswith(lx.REACTING):
            for o in mentions:
                if o.rule.key != "statement" and verdicts[id(o)].status == TAKEN and h.start < o.start <= h.end + 3:
                    verdicts[id(o)] = Verdict(BACKGROUND, f"what '{doc.span(h.start, h.end)}' reacts to")
    for h in mentions:  # "publishes report on protest deaths, recommends reparations": the report's own call
        if h.rule.key == "statement" and verdicts[id(h)].status == TAKEN and any(
                o.rule.key == "report" and verdicts[id(o)].status == TAKEN
                and doc.sentence(o.start) == doc.sentence(h.start) for o in mentions):
            verdicts[id(h)] = Verdict(BACKGROUND, "the call of the report published in its sentence")
    for h in mentions:  # expert evidence is a step when ordered, produced or delivered, not when cited ("sostuvieron
        verb = verdicts[id(h)].verb  # las conclusiones de su pericia", "sistematiza los protocolos de necropsia")
        if h.rule.key == "forensic" and verdicts[id(h)].status == TAKEN and verb is not None \
                and doc.verb_lemma(verb) not in lx.PRODUCING:
            verdicts[id(h)] = Verdict(BACKGROUND, f"cited, not produced: {verdicts[id(h)].reason}")
    if not any(mark in ("D", "R") for mark in marks.values()) and not any(
            o.rule.key == "statement" and not commemoration(doc, o) for o in mentions):
        for h in mentions:  # a vigil or a tribute with no demand in the text: a memorial, not a position taken
            if h.rule.key == "statement" and verdicts[id(h)].status == TAKEN:
                verdicts[id(h)] = Verdict(BACKGROUND, f"a commemoration with no demand: '{doc.span(h.start, h.end)}'")
    for h in mentions:  # "el juicio continuó ayer con la declaración de tres efectivos": heard in that session
        if h.rule.key == "testimony" and verdicts[id(h)].status == BACKGROUND and doc.toks[h.start] in lx.WITH \
                and any(o.rule.key in lx.SESSIONS and verdicts[id(o)].status == TAKEN
                        and doc.sentence(o.start) == doc.sentence(h.start) for o in mentions):
            verdicts[id(h)] = Verdict(TAKEN, f"heard in the session its sentence reports: '{doc.span(h.start, h.end)}'")
    for h in mentions:  # "acudió ayer a la Fiscalía para rendir su declaración": went to testify, and did
        verdict = verdicts[id(h)]
        if h.rule.key == "testimony" and verdict.status == ANNOUNCED and verdict.reason.startswith("purpose"):
            lo = doc.sentence(h.start)[0]
            went = next((p for p in range(h.start - 1, max(lo, h.start - 12) - 1, -1)
                         if doc.form(p) == FINITE and doc.verb_lemma(p) in lx.ATTENDING), None)
            if went is not None:
                verdicts[id(h)] = Verdict(TAKEN, f"went to testify: '{doc.span(went, went + 1)}'", went)
        elif h.rule.key == "testimony" and verdict.status == BACKGROUND and verdict.reason.startswith(
                "the subject of") and verdict.verb is not None and doc.verb_lemma(verdict.verb) in lx.TESTIFYING:
            # "Testigos declaran en juicio": the witnesses' verb is the testimony
            verdicts[id(h)] = Verdict(TAKEN, f"the witnesses testify: '{doc.span(verdict.verb, verdict.verb + 1)}'",
                                      verdict.verb)
    for h in mentions:  # "Prosecutors seek pretrial detention" over "requested pretrial detention": the body tells
        if verdicts[id(h)].status == TAKEN and verdicts[id(h)].reason == "named in the headline":
            body = [verdicts[id(o)] for o in mentions if o.rule.key == h.rule.key and o.start >= doc.title_tokens]
            told = next((v for v in body if v.status == REQUESTED), None)
            if told is not None and not any(v.status == TAKEN for v in body):
                verdicts[id(h)] = Verdict(told.status, f"named in the headline, told in the body: {told.reason}")
    # "La acusación fiscal, presentada en marzo, solicita penas de 25 años": the earlier step asks
    what_the_earlier_asks(doc, mentions, verdicts, lambda h, o: verdicts[id(o)].reason.startswith("participle"))
    for h in mentions:  # "entregan informe de las necropsias": the report delivered is the expert evidence
        if h.rule.key == "report" and verdicts[id(h)].status == TAKEN:
            expert = next((o for o in mentions if o.rule.key == "forensic" and h.end <= o.start <= h.end + 3
                           and any(doc.toks[p] in lx.OF for p in range(h.end, o.start))), None)
            if expert is not None:
                verdicts[id(expert)] = Verdict(TAKEN, f"the report of '{doc.span(h.start, h.end)}': "
                                                      f"{verdicts[id(h)].reason}", verdicts[id(h)].verb)
                evidence = doc.span(expert.start, expert.end)
                verdicts[id(h)] = Verdict(BACKGROUND, f"a report of expert evidence: '{evidence}'")
    taken_keys = {h.rule.key for h in mentions if verdicts[id(h)].status == TAKEN}
    for h in mentions:
        if h.rule.key != "indictment" or verdicts[id(h)].status != TAKEN:
            continue
        verb = verdicts[id(h)].verb
        if verb is not None and doc.verb_lemma(verb) in lx.ADMITTING and "ruling" in taken_keys:
            # "declaró procedente la acusación y dictó el auto de enjuiciamiento": the court's decision
            verdicts[id(h)] = Verdict(BACKGROUND, f"what the court admitted ('{doc.span(verb, verb + 1)}'): "
                                                  "the step is the ruling")
            continue
        if "trial" in taken_keys and (verdicts[id(h)].reason.startswith("the request is the step")
                                      or h.rule.priority < INDICTMENT_WORDS):
            # at a trial, "la fiscalía pide 20 años", "prosecutors accuse" is the charge tried
            verdicts[id(h)] = Verdict(BACKGROUND, f"the charge at a trial under way; {verdicts[id(h)].reason}")
        elif (charged := next((k for k in lx.CHARGED_BY if k in taken_keys), None)) \
                and h.rule.priority < INDICTMENT_WORDS:
            # "prosecutors charge four officers" over a formalized investigation (or a constitutional
            # complaint filed): the charge is that step
            verdicts[id(h)] = Verdict(BACKGROUND, f"a charge that is the {charged.replace('_', ' ')} reported with it")
    for h in mentions:
        specific = reader.yields_to(h) if verdicts[id(h)].status == TAKEN else None
        if specific is not None and verdicts[id(specific)].status == TAKEN:
            step = doc.span(specific.start, specific.end)
            verdicts[id(h)] = Verdict(BACKGROUND, f"a generic wording: the step is '{step}'")
    for h in mentions:  # "Congress archived an earlier complaint": a step on an earlier object is history
        if verdicts[id(h)].status == TAKEN:
            earlier = next((p for p in range(h.start, min(doc.sentence(h.start)[1], h.end + 2))
                            if doc.toks[p] in lx.EARLIER), None)
            if earlier is not None:
                verdicts[id(h)] = Verdict(BACKGROUND, f"about an earlier one ('{doc.span(earlier, earlier + 1)}')")
    for h in mentions:  # "recordó que en 2023 publicó un informe": what the speaker brings back is history
        if verdicts[id(h)].status == TAKEN:
            recall = recalled_in(doc, h)
            if recall is not None:
                verdicts[id(h)] = Verdict(BACKGROUND, f"recalled: '{recall}'; {verdicts[id(h)].reason}")
    published_in_the_gazette(doc, mentions, verdicts)
    ordered_to_come(doc, mentions, verdicts)
    what_is_judged_or_welcomed(doc, mentions, verdicts)
    standing_demands(doc, mentions, verdicts)
    published_day = local_date(published)
    for h in mentions:  # "abrió investigación en enero de 2023", told in a 2025 analysis
        if verdicts[id(h)].status == TAKEN:
            old = earlier_step(doc, h, published_day) or (
                earlier_month(doc, h, published_day) if doc.sentence_no[h.start] >= 1 else None)
            if old is not None:
                verdicts[id(h)] = Verdict(BACKGROUND, f"{old}; {verdicts[id(h)].reason}")
    for h in mentions:  # "En la sexta sesión del juicio, el perito declaró ayer": a session of the trial held now
        if h.rule.key in lx.ONGOING and verdicts[id(h)].status == BACKGROUND and doc.sentence_no[h.start] < 1 \
                and h.start >= doc.title_tokens \
                and any(doc.toks[p] in lx.SESSION_WORDS for p in range(max(0, h.start - 3), h.start)):
            verdicts[id(h)] = Verdict(TAKEN, f"a session of it in the lead: under way ('{doc.span(h.start, h.end)}')")
    # again, now that dated steps are background: "presentó la acusación en noviembre pasado y pide penas de 25
    # años"; a demand is made now whatever the kicker before it
    what_the_earlier_asks(doc, mentions, verdicts, lambda h, o: h.rule.key != "statement")
    for h in mentions:  # "priorizar las investigaciones por las muertes": the case's investigation named, not opened
        verdict = verdicts[id(h)]
        if h.rule.key == "preliminary_investigation" and h.rule.priority < GENERIC_BELOW and verdict.status == TAKEN \
                and (verdict.verb is None or doc.verb_lemma(verdict.verb) not in lx.OPENING):
            verdicts[id(h)] = Verdict(BACKGROUND, f"the investigation of the case named, not opened; {verdict.reason}")
    context_without_news(doc, mentions, verdicts)  # again: a headline step the rules above took back
    dates = Dates(doc)  # read once, by sentence, for the hearings and for every step's date
    dated_hearings(doc, mentions, verdicts, case, published, dates)
    return _milestones(doc, mentions, verdicts, by_kind, case, language, published, dates)


def _milestones(doc: Doc, mentions: list[Hit], verdicts: dict[int, Verdict], by_kind: dict[str, list[Hit]],
                case: Case | None, language: str, published: datetime | None,
                dates: Dates) -> list[Milestone]:
    """One milestone per (type, status), its best mention first; dates, actors and identifiers near it."""
    taken = [h for h in mentions if verdicts[id(h)].status == TAKEN]
    # The primary step: the headline's and lead's taken step, specific types first; a text whose lead
    # reports none may still report a statement (a march, a communiqué further down).
    lead = [h for h in taken if doc.sentence_no[h.start] < PRIMARY_SENTENCES]
    # the trial a session belongs to is the setting, not the news, when the lead reports another step
    news = [h for h in lead if not verdicts[id(h)].reason.startswith(("a session of it", ON_APPEAL))] or lead
    primary = max(news, key=lambda h: (_score(doc, h), -h.start), default=None)
    if primary is None:  # a resolution's first article after its considerations, else a statement further down
        primary = next((h for h in taken if verdicts[id(h)].reason.startswith(OPERATIVE)), None) or next(
            (h for h in taken if h.rule.key == "statement"), None)
    lead_news = any(doc.sentence_no[h.start] < REACTION for h in taken)
    if primary is not None and (primary.rule.key != "statement" or not lead_news):
        for h in taken:  # the families' or an NGO's reaction told further down a story about another step
            if h.rule.key == "statement" and doc.sentence_no[h.start] >= REACTION and (
                    primary.rule.key == "report" or not _a_stance(doc, h, verdicts[id(h)])):
                why = "the report's own call" if primary.rule.key == "report" else "a reaction further down"
                verdicts[id(h)] = Verdict(BACKGROUND, f"{why}; the news is '{doc.span(primary.start, primary.end)}'")
        taken = [h for h in taken if verdicts[id(h)].status == TAKEN]
        if verdicts[id(primary)].status != TAKEN:
            primary = None
    if primary is not None and primary.rule.key in lx.VOICES:
        for h in taken:  # "families protested ... The prosecutor opened its inquiry in January": context of a demand
            if h is not primary and h.rule.key != "statement" and doc.sentence_no[h.start] >= 1 \
                    and h.rule.key not in lx.DATED_STEPS:  # a hearing set or held is news wherever it is told
                verdicts[id(h)] = Verdict(BACKGROUND, f"context of the {primary.rule.key} "
                                                      f"'{doc.span(primary.start, primary.end)}'")
        taken = [h for h in taken if verdicts[id(h)].status == TAKEN]
    if primary is not None and primary.rule.key in lx.STAGES:
        stage = lx.STAGES[primary.rule.key]
        for h in taken:  # "acusó a cuatro policías ... la investigación formalizada en 2024": the news is later
            if h is not primary and lx.STAGES.get(h.rule.key, stage) < stage and doc.sentence_no[h.start] >= 1:
                verdicts[id(h)] = Verdict(BACKGROUND, f"an earlier stage of the proceeding than the news "
                                                      f"'{doc.span(primary.start, primary.end)}'")
        taken = [h for h in taken if verdicts[id(h)].status == TAKEN]
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in sorted(mentions, key=lambda h: (h is not primary, -_score(doc, h), h.start)):
        groups.setdefault((hit.rule.key, verdicts[id(hit)].status), []).append(hit)

    def rank(item: tuple[tuple[str, str], list[Hit]]) -> tuple[int, int, float, int]:
        (_, status), hits = item
        return (hits[0] is not primary, STATUSES.index(status), -_score(doc, hits[0]), hits[0].start)

    event_date = case.event_date if case else None
    published_day = local_date(published)
    names = labels(language)
    actors = find_actors(by_kind.get("actor", []))
    identifiers = [(pos, (kind, value)) for pos, kind, value in find_identifiers(doc, by_kind.get("id", []))]
    result = []
    for (mtype, status), hits in sorted(groups.items(), key=rank):
        best = hits[0]
        verdict = verdicts[id(best)]
        near = hits[:WINDOW_HITS]
        day = step_date(doc, near, dates, event_date, published,
                         lambda h: verdicts[id(h)].status == ANNOUNCED or verdicts[id(h)].reason.startswith("set for"))
        if day and published_day and day > published_day and status == TAKEN and not any(
                verdicts[id(h)].reason.startswith(("verb of action", "the request is", "a demand made", "set for"))
                for h in hits):  # "fijó para el 8 de setiembre": taken
            status, verdict = ANNOUNCED, Verdict(ANNOUNCED, f"dated after publication ({day.isoformat()})")
        near_ids = _near(identifiers, near, ID_WINDOW)
        if best is primary and not near_ids:  # the main step carries the document's numbers
            near_ids = _unique(v for _, v in identifiers)
        lo, hi = doc.sentence(best.start)
        result.append(Milestone(
            mtype, names.get(mtype, mtype), tuple({"kind": k, "value": v} for k, v in near_ids),
            tuple(_near(actors, near, ACTOR_WINDOW)), day, status, doc.span(best.start, best.end),
            primary=best is primary, reason=verdict.reason, sentence=doc.span(lo, hi),
        ))
    return result


def _near(items: list[tuple[int, Any]], hits: list[Hit], window: int) -> list[Any]:
    """Values of ``items`` within ``window`` words of any of the hits, in reading order, once each."""
    return _unique(v for pos, v in items if any(h.start - window <= pos < h.end + window for h in hits))


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out
