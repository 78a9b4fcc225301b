"""The clause around a step: what it stands in, before any verdict on its status (status.py).

Where a step word stands decides much of how it reads: inside a relative clause about the past, in a
prepositional phrase, as the complement of another step, in the operative part of a resolution, after
a recap word, as a count ("54 testigos"), or as the kicker of a headline. These readings only look at
the words (forms, lemmas, cue marks), never at a status.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import (
    CONDITIONAL,
    FINITE,
    FUTURE,
    IMPERFECT,
    INFINITIVE,
    MODAL,
    PARTICIPLE,
    Doc,
)
from pipeline.classify.milestones.verdict import Verdict

COUNT_FROM = 10  # a step noun counted from this number up is a tally ("1 200 declaraciones"), not a step
RECAP_WINDOW = 6  # words before a step that is its own verb where a recap word may open its clause
RECENT_WINDOW = 6  # words after a participle where the day that dates it may stand
RIGHT_FAR = 18  # words after a step where the verb of a long subject may stand ("the trial of ... opened")


class Clauses:
    """The words around the steps of one text; ``marks``: cue letters of the rule tables by word."""

    def __init__(self, doc: Doc, marks: dict[int, str], steps: Sequence[Hit]):
        self.doc = doc
        self.marks = marks
        self.steps = steps

    def _dated_participle(self, hit: Hit, hi: int) -> int | None:
        """"confirmó la medida dictada en agosto", "the order imposed in September": a participle right
        after the step, dated, describes when the step was taken before."""
        doc = self.doc
        for pos in range(hit.end, min(hit.end + 2, hi)):
            if doc.form(pos) == PARTICIPLE and doc.lemma(pos - 1) not in lx.AUXILIARIES | lx.PASSIVE:
                window = doc.toks[pos + 1:min(pos + 5, hi)]
                if any(t in lx.MONTHS or (t.isdigit() and len(t) == 4) for t in window):
                    return pos
                return None
        return None

    def _in_relative_clause(self, hit: Hit, lo: int) -> bool:
        """The step's verb stands in a relative clause on a noun ("las diligencias, que incluyeron la
        reconstrucción"): it describes the past, the sentence's news is elsewhere."""
        doc = self.doc
        verbs = 0
        for pos in range(hit.start - 1, lo, -1):
            if doc.form(pos) in (FINITE, IMPERFECT, FUTURE, CONDITIONAL):
                verbs += 1
            if doc.toks[pos] in lx.RELATIVES:
                if doc.toks[pos] in lx.NARRATIVE_RELATIVES and "," in doc.before(pos):
                    return False  # "acudió ayer a la sede, donde declaró": the story goes on there
                if verbs and doc.form(hit.start) == FINITE:  # "el perito que practicó las necropsias declaró"
                    return False  # the relative clause has its own verb; the step's verb is the main one
                before = pos - 1
                if doc.toks[before] in lx.COORDINATION:  # "que se formalice ... y que se cite": a second clause
                    return False
                if any(doc.lemma(p) in lx.REQUEST_LEMMAS for p in range(max(lo, pos - 6), pos)):
                    return False  # "pidieron a la fiscalía que cite a declarar": what is asked, not a relative
                # "Familiares de las personas que murieron ... presentaron ayer": the second verb is the main one
                return verbs < 2 and doc.form(before) is None and doc.toks[before] not in lx.REQUEST_NOUNS | lx.PURPOSE
            if any(p in doc.before(pos + 1) for p in lx.CLAUSE_PUNCTUATION):
                return False
        return False

    def has_verb(self, hit: Hit) -> bool:
        return any(self.doc.form(p) in (FINITE, FUTURE, CONDITIONAL, PARTICIPLE) for p in range(hit.start, hit.end))

    def goes_on(self, verb: int, end: int) -> bool:
        """The verb says the step is under way ("continúa", "sigue"), unless the word after it, before ``end``,
        says it is not ("sigue sin fecha")."""
        doc = self.doc
        return doc.lemma(verb) in lx.UNDER_WAY and doc.toks[min(verb + 1, end - 1)] not in lx.NONE_OF

    def yields_to(self, hit: Hit) -> Hit | None:
        """A generic wording with a verb ("la Corte dictó", "el Congreso ... la denuncia") followed by a
        more specific step that verb governs: the specific one is the step. A ruling on an appeal is the
        appeal ("declaró infundado el recurso de apelación")."""
        if not self.has_verb(hit) or hit.rule.key == "appeal":  # appealing a decision: the appeal is the step
            return None
        if hit.rule.key == "statement" and self.doc.toks[hit.start].startswith(lx.REACTING):
            return None  # "saluda el inicio del juicio": the position is the statement, not a wording of the trial
        for o in self.steps:
            if o is hit or o.rule.key in (hit.rule.key, "statement") or not hit.start < o.start <= hit.end + 3:
                continue  # a statement never makes a step its generic wording ("publishes report, recommends")
            if o.rule.priority > hit.rule.priority or (hit.rule.key == "ruling" and o.rule.key in lx.DECIDED_BY_RULING):
                return o
        return None

    def _preposition(self, hit: Hit) -> int | None:
        """The preposition that opens the step's phrase ("en la investigación"), if any; a step that is
        itself a verb ("formalizó", "presentaron una denuncia") has none."""
        doc = self.doc
        if doc.form(hit.start) is not None:
            return None
        pos = hit.start - 1
        while pos >= 0 and doc.toks[pos] in lx.SKIP_BEFORE_NOUN and not doc.before(pos + 1).strip():
            pos -= 1
        if pos < 0 or doc.before(pos + 1).strip():
            return None
        tok = doc.toks[pos]
        if tok not in lx.PREPOSITIONS and not (tok in lx.PREPOSITIONS_BEFORE_ARTICLE and pos + 1 < hit.start):
            return None
        if doc.toks[pos] in ("de", "del", "of") and pos > 0 and doc.toks[pos - 1] in lx.CARRIERS:
            return None  # "recibió los resultados de la pericia": the step's own product
        if doc.toks[pos] in ("de", "of") and pos > 1 and doc.toks[pos - 1] in lx.UNITS and (
                doc.toks[pos - 2].isdigit() or doc.toks[pos - 2] in lx.NUMBER_WORDS):
            return None  # "dictó nueve meses de prisión preventiva": the measure, with its length
        return pos

    def _operative(self, hit: Hit, lo: int) -> bool:
        """"SE RESUELVE: Artículo Primero.- Conformar el Equipo Especial": an infinitive heading a resolution's
        article is the decision itself."""
        doc = self.doc
        if doc.form(hit.start) != INFINITIVE or not any(t == "resuelve" for t in doc.toks[:hit.start]):
            return False
        return hit.start == lo or any(p in doc.before(hit.start) for p in (":", "-", "–"))

    def _ordered_by_article(self, pos: int) -> bool:
        """The verb that opens an article of a resolution or law ("Artículo Primero.- Designar a", "SE RESUELVE:
        Disponer que", "ARTICLE ONE.- Designate"): what the instrument orders, in force as it is published."""
        lo = self.doc.sentence(pos)[0]
        return any(self.doc.toks[p] in lx.OPERATIVE_HEADS for p in range(max(lo, pos - 3), pos))

    def _coordinated_with(self, hit: Hit, lo: int) -> Hit | None:
        """The first of coordinated steps ("las pericias balísticas y los protocolos de necropsia"): the
        later ones share its status."""
        doc = self.doc
        pos = hit.start - 1
        while pos > lo and doc.toks[pos] in lx.SKIP_BEFORE_NOUN:
            pos -= 1
        if pos <= lo or doc.toks[pos] not in lx.COORDINATION:
            return None
        return next((o for o in self.steps if o.end == pos and o.start >= lo and o is not hit
                     and doc.form(o.start) is None), None)

    def _kicker(self, hit: Hit) -> bool:
        """"Juicio por Juliaca: tribunal rechaza ...": a headline's label before a colon, without a verb."""
        doc = self.doc
        if hit.start >= doc.title_tokens or doc.possessed(hit.start):  # "Ombudsman's report: ..." names the news
            return False
        colon = next((p for p in range(hit.end, doc.title_tokens) if ":" in doc.before(p)), None)
        return colon is not None and all(doc.form(p) is None for p in range(0, colon))

    def _count(self, hit: Hit, lo: int) -> int | None:
        """A number of ten or more right before the step's first or last word, a noun: a tally, not one step
        ("54 testigos", "las 49 investigaciones abiertas por muertes", "230 declaraciones testimoniales")."""
        for noun in dict.fromkeys((hit.end - 1, hit.start)):
            found = self._count_before(noun, lo)
            if found is not None:
                return found
        return None

    def _count_before(self, noun: int, lo: int) -> int | None:
        doc = self.doc
        if doc.form(noun) is not None:
            return None
        pos = noun - 1
        if pos < lo or not doc.toks[pos].isdigit() or doc.before(noun).strip():
            return None  # "... de 2011: Sala de Puno confirma": punctuation ends the number's phrase
        while pos - 1 >= lo and doc.toks[pos - 1].isdigit():  # "1 200"
            pos -= 1
        value = int("".join(doc.toks[pos:noun]))
        months = lx.MONTHS
        if value < COUNT_FROM or (pos > 0 and doc.toks[pos - 1] in months) or doc.toks[noun] in months | lx.UNITS:
            return None
        return pos

    def _happened_just_now(self, hit: Hit, found: Verdict) -> bool:
        """"en la audiencia realizada ayer": the participle right after the step dates it this week, so the
        phrase it stands in reports it (a comma between would attach the participle elsewhere)."""
        return "with a recent day" in found.reason and hit.end < len(self.doc.toks) \
            and self.doc.form(hit.end) == PARTICIPLE and not self.doc.before(hit.end).strip()

    def _recap_before(self, hit: Hit, lo: int, start: int | None = None) -> int | None:
        """A recap word opening the clause of a step that is its own verb ("four months after prosecutors
        indicted", "después de que la fiscalía acusara"), or of the verb acting on it (``start``), with no
        other verb between."""
        doc = self.doc
        start = hit.start if start is None else start
        for pos in range(start - 1, max(lo, start - RECAP_WINDOW) - 1, -1):
            if any(p in doc.before(pos + 1) for p in (*lx.CLAUSE_PUNCTUATION, ",")):
                return None
            if self.marks.get(pos) == "B" and doc.toks[pos] in lx.RECAP_OPENERS:  # not "ya formalizó": news
                return pos
            if doc.lemma(pos) in lx.AUXILIARIES | lx.PASSIVE:  # "after the remains were exhumed"
                continue
            if doc.lang == "en" and doc.toks[pos].endswith("ed") and doc.lemma(pos - 1) not in lx.AUXILIARIES:
                continue  # "after the remains of a man killed in Juliaca were exhumed": a participle
            if doc.form(pos) in (FINITE, IMPERFECT, FUTURE, CONDITIONAL, MODAL):
                return None
        return None

    def _reduced_relative(self, pos: int, hi: int) -> bool:
        """English "-ed" before the clause's main verb is a participle: "the officers accused of ... began"."""
        doc = self.doc
        if doc.lang != "en" or not doc.toks[pos].endswith("ed") or doc.lemma(pos - 1) in lx.AUXILIARIES | lx.PASSIVE:
            return False
        for later in range(pos + 1, min(pos + RIGHT_FAR, hi)):
            if doc.toks[later] in lx.SUBORDINATORS or any(p in doc.before(later) for p in lx.CLAUSE_PUNCTUATION):
                return False
            if doc.form(later) in (FINITE, FUTURE, CONDITIONAL, MODAL) and doc.lemma(later) not in lx.AUXILIARIES:
                return True
        return False

    def _recent_after(self, pos: int, hi: int) -> bool:
        """A day of this week right after a word ("ayer", "el lunes", "on Tuesday", "last week")."""
        window = self.doc.toks[pos + 1:min(pos + 1 + RECENT_WINDOW, hi)]
        return any(t in lx.RECENT_DAYS for t in window) or any(
            a in lx.THIS_OR_LAST and b in lx.WEEK_WORDS for a, b in zip(window, window[1:], strict=False)) or any(
            b in lx.THIS_OR_LAST and a in lx.WEEK_WORDS for a, b in zip(window, window[1:], strict=False))

    def _complement_of(self, hit: Hit, lo: int) -> Hit | None:
        """Another step between this one and its verb: the verb governs that one ("dispuso la ampliación
        del plazo de la investigación preliminar"), this one is its complement. A step that is itself a
        finite verb ("declaró ante el juzgado") is nobody's complement."""
        if self.doc.form(hit.start) == FINITE:
            return None
        for other in self.steps:
            if other.rule.key == hit.rule.key or other.start >= hit.start or other.start < lo:
                continue
            if other.rule.priority < hit.rule.priority and self.has_verb(other) and other.rule.key != "appeal":
                continue  # "la Corte IDH dictó medidas provisionales": the verb's object is the step
            between = range(other.end, hit.start)
            if any(self.doc.form(p) in (FINITE, FUTURE, CONDITIONAL, MODAL, IMPERFECT) for p in between):
                continue
            if any(self.doc.toks[p] in ("y", "e", "and", "o", "or") for p in between):
                continue
            return other
        return None
