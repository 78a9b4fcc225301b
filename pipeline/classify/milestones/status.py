"""Whether a step found in a sentence was taken, is announced, is requested, or is background.

Decided on the sentence, not on words anywhere (docs/architecture.md, "Milestones: the legal steps"):
- the verb that governs the step decides: the nearest verb before it in its clause (through
  infinitives to the verb they depend on: "dispuso iniciar"), else a passive or pronominal verb
  after it ("fue formalizada", "se realizó");
- a finite verb of action (present, preterite, perfect, passive) makes it taken; a future or
  conditional, a modal of obligation or plan ("deberá", "evaluará", "tendrá que decidir si"), a
  purpose ("para") or a non-event ("aún no tiene fecha") make it announced; a request or demand
  ("piden", "exigen que", "solicitó") makes it requested;
- a pluperfect ("había abierto"), an imperfect ("investigaba"), a participle describing it
  ("formalizada en julio"), a relative clause about the past, a recap word ("tras", "desde"), a
  verb that is no action ("es", "tiene", "sigue") or no verb at all (a noun phrase) make it
  background, and so does being the complement of another step the verb already governs ("la
  ampliación del plazo de la investigación preliminar");
- a taken step beyond the lead (title, first two sentences) is a recap: background, except a
  statement (a position taken is news wherever the text reports it).
Every verdict carries its reason, shown by `casewatch classify`. The clause structure around a step
(relative clauses, counts, recaps, complements) is read by clauses.py.
"""

from __future__ import annotations

from pipeline.classify.milestones import lexicon as lx
from pipeline.classify.milestones.clauses import RECENT_WINDOW, RIGHT_FAR, Clauses
from pipeline.classify.milestones.patterns import Hit
from pipeline.classify.milestones.text import (
    CONDITIONAL,
    FINITE,
    FUTURE,
    GERUND,
    IMPERFECT,
    INFINITIVE,
    MODAL,
    PARTICIPLE,
    PERFECT_ADVERBS,
    Doc,
)
from pipeline.classify.milestones.verdict import ANNOUNCED, BACKGROUND, REQUESTED, TAKEN, Verdict

LEAD_SENTENCES = 2  # body sentences that, with the title, carry the news
RIGHT_WINDOW = 5  # words after a step where its passive verb or describing participle may stand



def _quoted(doc: Doc, pos: int) -> str:
    return f"'{doc.raw[pos]}'"


def _mark(marks: dict[int, str], pos: int) -> str | None:
    return marks.get(pos)


class Reader(Clauses):
    """The statuses of the steps of one text; ``marks``: cue letters of the rule tables by word."""

    # -- one verb ---------------------------------------------------------------------------------

    def _verb(self, pos: int) -> Verdict | None:
        """What the verb at ``pos`` says about a step it governs (None: go on looking)."""
        doc = self.doc
        form = doc.form(pos)
        if (form in (INFINITIVE, FINITE) or doc.toks[pos] in lx.OPERATIVE_VERBS) and self._ordered_by_article(pos):
            return Verdict(TAKEN, f"ordered by an article of the resolution: {_quoted(doc, pos)}", pos)
        if form is None:
            return None
        lem = doc.lemma(pos)
        word = _quoted(doc, pos)
        negation = self._negated(pos)
        if negation is not None and form != GERUND:  # "dispuso no formalizar": no step
            return Verdict(BACKGROUND, f"negated {_quoted(doc, negation)} {word}: no step")
        if form in (FUTURE, CONDITIONAL, MODAL):
            return Verdict(ANNOUNCED, f"{form} {word}")
        if lem in lx.REQUEST_LEMMAS and form not in (PARTICIPLE, INFINITIVE, GERUND):
            if pos > 0 and doc.form(pos - 1) == MODAL:  # "will seek"
                return Verdict(ANNOUNCED, f"{_quoted(doc, pos - 1)} {word}: it will be asked for")
            return Verdict(REQUESTED, f"asked for: {word}")
        if lem in lx.REJECTIONS and form not in (PARTICIPLE, INFINITIVE, GERUND):
            return Verdict(BACKGROUND, f"rejected: {word}")
        if lem in lx.POSITIONS and form not in (PARTICIPLE, INFINITIVE, GERUND):
            return Verdict(BACKGROUND, f"rejected or welcomed, a position on it: {word}")
        if form == IMPERFECT:
            if lem in lx.AUXILIARIES:
                return Verdict(BACKGROUND, f"pluperfect {word}: an earlier step")
            return Verdict(BACKGROUND, f"imperfect {word} describes the past")
        if form == PARTICIPLE:
            aux = pos - 1
            if aux > 0 and doc.lang == "en" and doc.toks[aux] in PERFECT_ADVERBS:  # "had already opened"
                aux -= 1
            if aux >= 0 and doc.form(aux) == PARTICIPLE and doc.lemma(aux) in lx.PASSIVE:  # "ha sido", "had been"
                aux -= 1
            if aux >= 0 and doc.lemma(aux) in lx.AUXILIARIES | lx.PASSIVE:
                aux_form = doc.form(aux)
                if aux_form in (FUTURE, CONDITIONAL, MODAL):
                    return Verdict(ANNOUNCED, f"{aux_form} {_quoted(doc, aux)} {word}")
                if aux > 0 and doc.toks[aux - 1] == "to" and doc.toks[aux] == "be":  # "to be questioned"
                    return Verdict(ANNOUNCED, f"to come: 'to be' {word}")
                if aux_form == IMPERFECT or doc.toks[aux] == "had":
                    return Verdict(BACKGROUND, f"pluperfect {_quoted(doc, aux)} {word}: an earlier step", aux)
                if doc.lemma(aux) in lx.PASSIVE and doc.sentence_no[pos] >= 1:
                    return Verdict(BACKGROUND, f"passive {_quoted(doc, aux)} {word} after the lead: a recap")
                if doc.verb_lemma(pos) in lx.NOT_ACTIONS:  # "se ha concentrado en", "has focused on"
                    return Verdict(BACKGROUND, f"{_quoted(doc, aux)} {word} is no action on the step")
                return Verdict(TAKEN, f"{_quoted(doc, aux)} {word}", pos)
            return None
        if form in (INFINITIVE, GERUND):
            if form == INFINITIVE and pos > 0 and doc.toks[pos - 1] in lx.PURPOSE:
                lo = doc.sentence(pos)[0]
                asker = next((p for p in range(pos - 2, max(lo, pos - 6) - 1, -1)
                              if doc.lemma(p) in lx.REQUEST_LEMMAS), None)
                if asker is not None:  # "urged prosecutors to charge": asked for
                    if self.marks.get(asker) == "T":  # "approved the prosecution's request to extend": granted
                        return Verdict(TAKEN, f"granted: {_quoted(doc, asker)} ... {word}", pos)
                    return Verdict(REQUESTED, f"asked for: {_quoted(doc, asker)} ... {word}")
                return Verdict(ANNOUNCED, f"purpose: {_quoted(doc, pos - 1)} {word}")
            if form == INFINITIVE and pos > 1 and doc.toks[pos - 1] == "a" and doc.toks[pos - 2] in lx.GOING:
                return Verdict(ANNOUNCED, f"going to: {_quoted(doc, pos - 2)} a {word}")  # "vamos a presentar"
            return None
        if lem in lx.NOT_ACTIONS:
            if lem in lx.AUXILIARIES | lx.PASSIVE and pos + 1 < len(doc.toks) and doc.form(pos + 1) == PARTICIPLE:
                return None  # "ha formalizado", "fue remitida": the participle decides
            return Verdict(BACKGROUND, f"{word} is no action on the step", pos)
        if doc.toks[pos] in ("did",) or lem in lx.AUXILIARIES:
            return None
        return Verdict(TAKEN, f"verb of action {word}", pos)

    def _negated(self, pos: int) -> int | None:
        """A negation within the two words before a verb or its auxiliary ("no ha formalizado")."""
        doc = self.doc
        lo = doc.sentence(pos)[0]
        start = pos
        while start - 1 >= lo and (doc.lemma(start - 1) in lx.AUXILIARIES | lx.PASSIVE | {"se"}
                                   or doc.toks[start - 1].endswith(("ly", "mente"))):  # "has been formally"
            start -= 1
        for p in range(max(lo, start - 2), start):
            if doc.toks[p] in lx.NEGATIONS:
                return p
        for p in range(start - 1, max(lo, start - 25) - 1, -1):  # "ninguna de las carpetas ha pasado a"
            if doc.toks[p] in lx.NONE_SUBJECTS or (doc.toks[p] == "no" and doc.form(p + 1) is None):
                return p  # "no member of the army has been charged"
            if doc.form(p) is not None or doc.toks[p] in lx.SUBORDINATORS:
                break
        return None

    def _cue(self, pos: int) -> Verdict | None:
        mark = self.marks.get(pos)
        word = _quoted(self.doc, pos)
        if mark in ("A", "F", "N"):
            why = {"N": "no event yet", "F": f"{FUTURE} word"}.get(mark, "announced")
            return Verdict(ANNOUNCED, f"{why}: {word}")
        if mark in ("R", "D"):
            if pos > 0 and self.doc.form(pos - 1) == MODAL:  # "will seek"
                return Verdict(ANNOUNCED, f"{_quoted(self.doc, pos - 1)} {word}: it will be asked for")
            return Verdict(REQUESTED, f"asked for: {word}")
        if mark == "T":
            return Verdict(TAKEN, f"done at someone's request: {word}")
        if mark == "B":
            return Verdict(BACKGROUND, f"recap: {word}")
        return None

    def _at(self, pos: int) -> Verdict | None:
        """A word's verdict: a future or conditional form first, then cue phrases, then the verb."""
        form = self.doc.form(pos)
        if form in (FUTURE, CONDITIONAL, MODAL):
            return self._verb(pos)
        return self._cue(pos) or self._verb(pos)

    # -- one step ---------------------------------------------------------------------------------

    def verdict(self, hit: Hit, policy: dict[str, str]) -> Verdict:
        """The status of one step mention, and why."""
        found = self._verdict(hit, policy)
        if found.status == REQUESTED and hit.rule.key == "statement":
            return Verdict(TAKEN, f"a demand made is a statement: {found.reason}")
        return found

    def _verdict(self, hit: Hit, policy: dict[str, str]) -> Verdict:
        doc = self.doc
        lo, hi = doc.sentence(hit.start)
        first = self._coordinated_with(hit, lo)
        if first is not None:
            verdict = self.verdict(first, policy)
            return Verdict(verdict.status, f"coordinated with '{doc.span(first.start, first.end)}': {verdict.reason}")
        if hit.rule.key == "statement" and doc.form(hit.start) is None and hit.start > 1 and (
                doc.toks[hit.start - 1] in lx.CIRCUMSTANCE or doc.toks[hit.start - 2] in lx.CIRCUMSTANCE):
            return Verdict(BACKGROUND, "the time of something else: 'durante ...'")  # "durante una marcha"
        count = self._count(hit, lo)
        if count is not None:  # "más de 300 pericias", "54 testigos", "recibieron 1 200 declaraciones": statistics
            return Verdict(BACKGROUND, f"a count ({_quoted(doc, count)} ...): statistics, not a step")
        if hit.start > 0 and doc.toks[hit.start - 1] in lx.NONE_OF and doc.form(hit.start) is None:
            return Verdict(BACKGROUND, f"none: {_quoted(doc, hit.start - 1)}")  # "cero sentencias", "no charges"
        if self._kicker(hit):
            return Verdict(BACKGROUND, "a headline kicker naming the case, before the colon")
        asks = doc.question_from
        if hit.start < doc.title_tokens and (doc.toks[0] in lx.QUESTIONS or (asks is not None and hit.start >= asks)):
            return Verdict(BACKGROUND, "a question in the headline: an analysis, not news")
        if self._operative(hit, lo):
            return Verdict(TAKEN, f"the operative part of a resolution: {_quoted(doc, hit.start)}")
        found = self._inside(hit, policy)
        pending = next((p for p in range(hit.end, min(hit.end + 3, hi))
                        if self.marks.get(p) == "N" or doc.toks[p] in lx.PENDING), None)
        if pending is not None and doc.form(hit.end - 1) is None:  # "las pericias aún pendientes": not yet
            return Verdict(ANNOUNCED, f"not yet: {_quoted(doc, pending)}")
        if found is not None and found.status == TAKEN and (recap := self._recap_before(hit, lo)) is not None:
            return Verdict(BACKGROUND, f"recap: {_quoted(doc, recap)} ... {found.reason}")  # "after ... indicted"
        if found is None:  # the subject of a future or conditional ("las investigaciones podrían reactivarse")
            ahead = self._right(hit, hi)
            if ahead is not None and ahead.reason.startswith((FUTURE, CONDITIONAL, MODAL)):
                found = ahead
        found = found or self._left(hit, lo) or self._right(hit, hi)
        if found is not None and found.status == TAKEN and hit.start < doc.title_tokens and found.verb is not None \
                and found.verb < hit.start and doc.lemma(found.verb) in lx.REPORTING:
            pending = next((p for p in range(hit.end, doc.title_tokens)
                            if self.marks.get(p) == "N" or doc.toks[p] in lx.PENDING), None)
            if pending is not None:  # "Families told hearing has no date yet": what they were told is pending
                return Verdict(ANNOUNCED, f"told it is still pending: {_quoted(doc, pending)}")
        if found is not None and found.status == TAKEN and found.verb is not None and found.verb < hit.start \
                and (recap := self._recap_before(hit, lo, found.verb)) is not None:
            return Verdict(BACKGROUND, f"recap: {_quoted(doc, recap)} ... {found.reason}")  # "after X granted measures"
        if found is None:
            pending = next((p for p in (*range(hit.end, doc.title_tokens), *range(hit.start))
                            if self.marks.get(p) in ("N", "A", "F")), None)
            if hit.start < doc.title_tokens and pending is not None and hit.rule.key != "statement":
                # "... hearing still without a date"; a statement is made even when it says nothing moved
                found = Verdict(ANNOUNCED, f"named in the headline, not yet: {_quoted(doc, pending)}")
            found = found or (Verdict(TAKEN, "named in the headline") if hit.start < doc.title_tokens
                     else Verdict(BACKGROUND, "a noun phrase without a verb of action"))
        if found.status == REQUESTED and hit.rule.key == "statement":
            found = Verdict(TAKEN, f"a demand made is a statement: {found.reason}")
        if found.reason.startswith("rejected") and hit.rule.key in lx.REJECTION_KEEPS and not (
                hit.rule.key == "ruling" and found.reason.startswith("rejected or welcomed")):  # "welcomes verdict"
            found = Verdict(TAKEN, f"decided or taken as a position: {found.reason}")
        if found.reason.startswith("rejected: ") and hit.rule.key in lx.REJECTION_IS_STEP and any(
                doc.lemma(p) in lx.REJECTIONS for p in range(hit.start, hit.end)):  # "dismissed the case"
            found = Verdict(TAKEN, f"the rejection is the step: {found.reason}", found.verb)
        if hit.rule.key in lx.ONGOING and found.verb is not None and self.goes_on(found.verb, len(doc.toks)) \
                and found.reason.endswith("is no action on the step"):  # "continúa el juicio oral": under way
            found = Verdict(TAKEN, f"under way: {_quoted(doc, found.verb)}", found.verb)
        if found.reason.startswith("pluperfect") and found.verb is not None:
            teller = next((p for p in range(found.verb - 1, max(lo, found.verb - 4) - 1, -1)
                           if doc.form(p) == FINITE and doc.lemma(p) in lx.REPORTING), None)
            if teller is not None:  # "prosecutors said they had opened an inquiry": told in the past, news now
                return Verdict(TAKEN, f"reported by {_quoted(doc, teller)}: {found.reason}")
        if found.status == TAKEN:
            dated = self._dated_participle(hit, hi)
            if dated is not None:
                return Verdict(BACKGROUND, f"participle with its own date {_quoted(doc, dated)}: an earlier step")
        if found.status == TAKEN:
            after = range(hit.end, min(hit.end + RECENT_WINDOW, hi))
            count = next((p for p in after if self.marks.get(p) == "I"), None)
            if count is not None:  # "has been extended several times": a history, not today's step
                return Verdict(BACKGROUND, f"done {_quoted(doc, count)} ... times before: a recap")
        if found.status == TAKEN and self._in_relative_clause(hit, lo):
            return Verdict(BACKGROUND, f"in a relative clause about the past; {found.reason}")
        if found.status == TAKEN and hit.rule.key != "statement":
            complement = self._complement_of(hit, lo)
            if complement is not None and hit.rule.key in lx.DECIDED_BY_RULING and complement.rule.key == "ruling":
                complement = None
            if complement is not None:
                return Verdict(BACKGROUND, f"complement of '{doc.span(complement.start, complement.end)}'")
            preposition = self._preposition(hit) if not self._happened_just_now(hit, found) else None
            if preposition is not None:
                return Verdict(BACKGROUND, f"in a phrase with {_quoted(doc, preposition)}, not the object of a verb")
            sentence = doc.sentence_no[hit.start]
            if sentence >= LEAD_SENTENCES:
                return Verdict(BACKGROUND, f"a recap further down (sentence {sentence + 1}); {found.reason}",
                               found.verb)
        return self._governed(hit, lo, found)

    def _inside(self, hit: Hit, policy: dict[str, str]) -> Verdict | None:
        doc = self.doc
        if doc.form(hit.start) == PARTICIPLE and (hit.start == 0 or doc.lemma(hit.start - 1) not in
                                                  lx.AUXILIARIES | lx.PASSIVE):
            return Verdict(BACKGROUND, f"participle {_quoted(doc, hit.start)} describes someone or something")
        for pos in range(hit.start + 1, hit.end):
            if doc.form(pos) == GERUND and doc.lang == "en" and doc.lemma(pos - 1) not in lx.PASSIVE \
                    and doc.toks[pos - 1] not in lx.PREPOSITIONS \
                    and doc.form(hit.start) != FINITE:  # not "barred from leaving", not "passes law granting"
                return Verdict(BACKGROUND, f"{_quoted(doc, pos)} describes who acts, not a step taken")
        relative = next((p for p in range(hit.start + 1, hit.end - 1) if doc.toks[p] in lx.RELATIVES
                         and any(doc.form(v) is not None for v in range(p + 1, hit.end))), None)
        if relative is not None and doc.form(hit.start) is None:  # "la fiscalía que investiga las muertes"
            return Verdict(BACKGROUND, f"{_quoted(doc, relative)} ... describes who acts, not a step taken")
        for pos in range(hit.start, hit.end):
            if pos > hit.start and doc.lemma(pos) in lx.REPORTING:  # "el congresista sostuvo que la denuncia"
                continue
            mark = self.marks.get(pos)
            if mark in ("R", "D") and policy.get("requested" if mark == "R" else "demanded") == TAKEN:
                return Verdict(TAKEN, f"the request is the step: {_quoted(self.doc, pos)}")
            verdict = self._at(pos)
            if verdict is not None and verdict.status == REQUESTED and policy.get("requested") == TAKEN:
                return Verdict(TAKEN, f"the request is the step: {_quoted(self.doc, pos)}")
            if verdict is not None:
                return verdict
        return None

    def _left(self, hit: Hit, lo: int) -> Verdict | None:
        doc = self.doc
        for pos in range(hit.start - 1, lo - 1, -1):
            if any(p in doc.before(pos + 1) for p in lx.CLAUSE_PUNCTUATION):
                return None
            if doc.toks[pos] in lx.SUBORDINATORS:
                return None
            if doc.lemma(pos) in lx.SAYING and doc.form(pos) == FINITE and not any(
                    doc.toks[p] in lx.PREPOSITIONS for p in range(pos + 1, hit.start)):  # "said the probe is"
                return None
            verdict = self._at(pos)
            if verdict is not None:
                return verdict
        return None

    def _right(self, hit: Hit, hi: int) -> Verdict | None:
        """A verb after the step: passive or pronominal ("fue formalizada", "se realizó") or a participle
        that describes it ("formalizada en julio"); else the step is the subject of another verb."""
        doc = self.doc
        lo = doc.sentence(hit.start)[0]
        # a trial that opens its sentence may have a long subject before "continuó" ("El juicio oral contra un
        # suboficial de la PNP por la muerte de un joven el 9 de enero de 2023 en Juliaca continuó este martes")
        far = hi if hit.rule.key in lx.ONGOING and hit.start - lo <= 1 else min(hit.end + RIGHT_FAR, hi)
        for pos in range(hit.end, far):
            if doc.toks[pos] in lx.SUBORDINATORS or any(p in doc.before(pos) for p in lx.CLAUSE_PUNCTUATION):
                return None
            form = doc.form(pos)
            if form is None:
                continue
            if form == FINITE and self._reduced_relative(pos, hi):
                form = PARTICIPLE
            if pos >= hit.end + RIGHT_WINDOW:  # beyond a long subject only the verb that says it happened
                if form == FINITE and doc.lemma(pos) in lx.HAPPENINGS:
                    return Verdict(TAKEN, f"the step happens: {_quoted(doc, pos)}")
                if form == FINITE and hit.rule.key in lx.ONGOING and self.goes_on(pos, hi):
                    return Verdict(TAKEN, f"under way: {_quoted(doc, pos)}", pos)  # "el juicio ... continuó"
                if form == FINITE and doc.lemma(pos) in lx.NOT_ACTIONS:  # "Apelación de ... sigue sin fecha"
                    return Verdict(BACKGROUND, f"the subject of {_quoted(doc, pos)}: no action on it", pos)
                if form in (FINITE, IMPERFECT, FUTURE, CONDITIONAL, MODAL):
                    return None
                continue
            if form == PARTICIPLE and doc.lemma(pos - 1) not in lx.AUXILIARIES | lx.PASSIVE:
                if doc.lang == "en" and pos > hit.end + 1:  # "the trial of two officers accused of ...": the officers
                    if hit.rule.key in lx.ONGOING and doc.lemma(pos) in lx.HAPPENINGS | lx.UNDER_WAY:
                        return Verdict(TAKEN, f"the step happens: {_quoted(doc, pos)}")  # "... officers resumed on"
                    continue
                if self._recent_after(pos, hi):  # "la audiencia realizada ayer", "a necropsy carried out on Tuesday"
                    return Verdict(TAKEN, f"participle {_quoted(doc, pos)} with a recent day: it just happened")
                if pos > hit.end + 1 and any(doc.toks[p] in lx.OF_SOMEONE for p in range(hit.end, pos)):
                    continue  # "el juicio contra el suboficial acusado por ... continuó": the participle is his
                return Verdict(BACKGROUND, f"participle {_quoted(doc, pos)} describes an earlier step")
            if form == FINITE and doc.lemma(pos) in lx.HAPPENINGS and doc.toks[pos - 1] != "se":
                return Verdict(TAKEN, f"the step happens: {_quoted(doc, pos)}")
            verdict = self._at(pos)
            if verdict is None:
                continue
            if verdict.status == TAKEN and hit.rule.key in lx.FINDING_STEPS and doc.verb_lemma(pos) in lx.FINDINGS \
                    and doc.sentence_no[hit.start] < 1:
                return Verdict(TAKEN, f"its findings are the news: {_quoted(doc, pos)}", pos)  # "Pericias confirman"
            if verdict.status == TAKEN:
                passive = doc.form(pos) == PARTICIPLE or doc.toks[pos - 1] == "se"
                if doc.toks[hit.start] in lx.ACTING_BODIES:
                    if any(o.rule.key != hit.rule.key and o.start <= pos < o.end for o in self.steps):
                        # "la Subcomisión ... archivó la denuncia": the name says who takes that other step
                        return Verdict(BACKGROUND, f"names the body that takes another step: {_quoted(doc, pos)}")
                    return Verdict(TAKEN, f"the body of the step acts: {verdict.reason}")
                if not passive:
                    return Verdict(BACKGROUND, f"the subject of {_quoted(doc, pos)}, not its object", pos)
                if doc.sentence_no[hit.start] >= 1:
                    return Verdict(BACKGROUND, f"passive {_quoted(doc, pos)} after the lead: a recap")
            return verdict
        return None

    def _governed(self, hit: Hit, lo: int, found: Verdict) -> Verdict:
        """A clause under "que"/"si": a request or plan that governs it wins ("exigen que se formalice")."""
        doc = self.doc
        for pos in range(hit.start - 1, lo, -1):
            tok = doc.toks[pos]
            if tok in lx.CONDITIONAL_OPENERS and found.status == TAKEN:
                return Verdict(ANNOUNCED, f"only a possibility: {_quoted(doc, pos)}")
            if tok == "que" and doc.toks[pos - 1] == "para":
                return Verdict(REQUESTED, f"wanted: {_quoted(doc, pos - 1)} {_quoted(doc, pos)}")
            if tok in ("que", "that") and doc.toks[pos - 1] in lx.COORDINATION:
                continue  # "pidió que se identifique ... y que se realice": governed as the first "que" is
            if tok in ("que", "that"):
                before = range(pos - 1, max(lo, pos - 20) - 1, -1)
                asked = next((g for g in before if doc.toks[g] in lx.REQUEST_NOUNS), None)
                if asked is not None:  # "un pliego de demandas: que se formalice ..., que se cite a declarar ..."
                    return Verdict(REQUESTED, f"asked for: {_quoted(doc, asked)}")
                for gov in range(pos - 1, max(lo, pos - 20) - 1, -1):
                    if found.reason.startswith("pluperfect") and doc.lemma(gov) in lx.REPORTING \
                            and doc.form(gov) == FINITE:  # reported speech shifts the tense back
                        return Verdict(TAKEN, f"reported by {_quoted(doc, gov)}: {found.reason}")
                    verdict = self._at(gov)
                    if verdict is not None and verdict.reason.startswith("rejected or welcomed"):
                        return Verdict(BACKGROUND, f"{verdict.reason} governs the clause")  # "saludan que ..."
                    if verdict is not None and verdict.status in (REQUESTED, ANNOUNCED):
                        return Verdict(verdict.status, f"{verdict.reason} governs the clause")
                    if verdict is not None:
                        break
                return found
        return found
