"""One text read for the milestone finder: words, sentences, the punctuation between words, and
the form of each verb (future, conditional, finite past/present, imperfect, participle, ...).

Verb forms come from the lemma (simplemma) and the ending the word adds to the lemma's stem, so
the status rules name lemmas and tenses ("a future of any verb", "a form of *exigir*") instead of
listing inflections by hand.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate

import simplemma

from textkit import fold

CACHE = 50_000
# Folded words remembered (cleared when full): the whole tuning set folds ~10,000 distinct words;
# beyond that a crawl's long tail (names, figures) rarely repeats, and 50,000 of them held ~9 MB.
FOLD_CACHE = 10_000
# simplemma's frugal dictionaries: the same entries read from the packed stream, ~11 MB resident for
# Spanish instead of ~86 MB for a dict of every form (and loaded only when a text needs a lemma);
# a lookup costs ~20 us instead of ~1 us, and the caches below keep repeated words from paying it twice.
LOW_MEMORY = True
_UNREAD = object()  # a word whose verb form Doc.form has not read yet
SHORT_SENTENCE = 5  # words: shorter body sentences are datelines and kickers, not the lead

# A line break inside a paragraph (wrapped text files, PDFs) is not a sentence end; a blank line is.
SENTENCE_END = re.compile(r"[.!?…]+[\"'”»)\]]*\s+(?=[¿¡\"'“«(\[]*[A-ZÁÉÍÓÚÑ])|\n\s*\n")
_TOKEN_SPLIT = re.compile(r"(\w+)")

# Verb forms (Form values): what a verb says about time.
FUTURE, CONDITIONAL, FINITE, IMPERFECT, PARTICIPLE, GERUND, INFINITIVE, MODAL = (
    "future", "conditional", "finite", "imperfect", "participle", "gerund", "infinitive", "modal")

# Words before a noun: a word after one of these is a noun ("el fallo", "la denuncia"), not a verb.
_DETERMINERS = frozenset(
    "el la los las un una unos unas del al su sus este esta estos estas ese esa esos esas aquel aquella cada "
    "otro otra otros otras nuevo nueva nuevos nuevas mismo misma the a an this that these those its their his "
    "her our each another new".split())
# Spanish past participles that do not end in -ado/-ido (a closed class of the grammar).
_IRREGULAR_PARTICIPLES = frozenset(
    "abierto abierta abiertos abiertas dispuesto dispuesta dispuestos dispuestas puesto puesta puestos puestas "
    "impuesto impuesta impuestos impuestas interpuesto interpuesta interpuestos interpuestas propuesto propuesta "
    "expuesto expuesta hecho hecha hechos hechas dicho dicha resuelto resuelta resueltos resueltas escrito escrita "
    "suscrito suscrita visto vista vuelto devuelto devuelta muerto muerta muertos muertas cubierto descubierto "
    "impreso previsto prevista emitido".split())
_ES_WORDS = frozenset("el la los las de del que y en por para con una se su al".split())
_EN_WORDS = frozenset("the of and to in that was were on for with by is are his her its".split())
PRESENT_S, BASE = "present_s", "base"
_CLITICS = frozenset("lo la los las le les se me nos selo sela selos selas".split())
_EN_MODALS = frozenset("will would could might shall may should must wo ll".split())
# Spanish presents of obligation and possibility: "debe avanzar hacia la formalización", "puede ser apelada".
_ES_MODALS = frozenset("debe deben debemos deba deban puede pueden podemos pueda puedan".split())
_ES_VERB_ENDINGS = ("ar", "er", "ir", "ír")


@lru_cache(maxsize=CACHE)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of a word (lower case, accents kept) in ``lang`` (es | en)."""
    return simplemma.lemmatize(word, lang=lang, low_memory=LOW_MEMORY).lower()


_PARTICIPLE_ENDINGS = {"ado": ("ar",), "ada": ("ar",), "ados": ("ar",), "adas": ("ar",), "ido": ("er", "ir"),
                       "ida": ("er", "ir"), "idos": ("er", "ir"), "idas": ("er", "ir")}


def _participle_of(word: str) -> str | None:
    """"condenado" -> "condenar" when the dictionary lists it as an adjective, not a verb form."""
    for ending, infinitives in _PARTICIPLE_ENDINGS.items():
        if word.endswith(ending):
            for inf in infinitives:
                if simplemma.is_known(word[: -len(ending)] + inf, lang="es", low_memory=LOW_MEMORY):
                    return word[: -len(ending)] + inf
    return None


_ES_OBJECT_STARTS = frozenset("el la los las un una unos unas al que".split())
# Nouns shaped like participles ("impedimento de salida", "punto de partida"): never a verb.
_PARTICIPLE_NOUNS = frozenset("salida salidas llegada llegadas partida partidas entrada entradas".split())
_ES_PREPOSITIONS = frozenset("a ante bajo con contra de del desde durante en entre hacia hasta para por segun sin "
                             "sobre tras y e o u ni su sus".split())


_ES_FUNCTION_WORDS = frozenset("para contra hacia cada nada toda todas otra esta esa aquella misma ella nuestra "
                               "alguna ninguna una ya ahora fuera apenas sea".split())


@lru_cache(maxsize=CACHE)
def _es_present_ar(word: str) -> bool:
    """"saluda", "exhortan": a third-person present of a known -ar verb (the lemmatizer may read it as a noun)."""
    if word in _ES_FUNCTION_WORDS:
        return False
    stem = word[:-2] if word.endswith("an") else word[:-1] if word.endswith("a") else ""
    return len(stem) >= 3 and simplemma.is_known(stem + "ar", lang="es", low_memory=LOW_MEMORY)


@lru_cache(maxsize=CACHE)
def _es_form(word: str) -> str | None:
    lem = lemma(word, "es")
    if len(lem) < 3 or not lem.endswith(_ES_VERB_ENDINGS):
        return PARTICIPLE if lem == word and _participle_of(word) else None
    if word == lem or (word.startswith(lem) and word[len(lem):] in _CLITICS):  # "formalizar", "calificarla"
        return INFINITIVE
    if word in (lem + "es", lem + "s"):  # "militares", "familiares": plural nouns
        return None
    if word.endswith(("rá", "rán", "ré", "rás", "remos", "réis")):
        return FUTURE
    if word.endswith(("ría", "rían", "ríamos")):
        return CONDITIONAL
    if word in _ES_MODALS:
        return MODAL
    if word.endswith(("ando", "iendo", "yendo")):
        return GERUND
    if word in _IRREGULAR_PARTICIPLES or (
            word.endswith(("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas", "ído", "ída"))
            and word.startswith((lem[:-2] + "ad", lem[:-2] + "id", lem[:-2] + "íd"))):  # not "traslada", "decida"
        return PARTICIPLE
    if word.endswith(("aba", "aban", "ábamos")) or (lem.endswith(("er", "ir", "ír")) and word.endswith(("ía", "ían"))):
        return IMPERFECT  # "amplía", "envía" are presents of -ar verbs
    return FINITE


# English headlines drop articles, so "officers", "deaths", "families" look like verbs in -s and
# "appeal", "probe" like bare verbs: there, a present form is read as a verb only for these lemmas,
# the verbs of legal and public action a headline reports (past forms in -ed need no list).
_EN_AGENT_PREPS = frozenset("by for over in on during under".split())
_EN_PRONOUNS = frozenset("he she it they we this its his".split())
_EN_COMPOUND_HEADS = frozenset("court courts chamber judge panel team office hearing hearings".split())
_EN_HEADLINE_VERBS = frozenset(
    "order file charge open extend grant reject uphold rule sentence convict acquit appeal urge call ask demand "
    "welcome say assign name appoint suspend remove publish release issue approve pass shelve archive dismiss "
    "summon question testify hold set begin start launch seek request confirm deny annul overturn formalize "
    "formalise indict accuse expand probe investigate impose ban detain arrest raid seize exhume deliver present "
    "submit lodge vote debate reopen close drop clear jail condemn criticize criticise warn express march rally "
    "meet hand recommend report find conclude move transfer create disband dissolve deactivate replace promise "
    "vow pledge wait await".split())


# Adverbs between an English auxiliary and its participle ("had already opened").
PERFECT_ADVERBS = frozenset("already also just previously recently since not never yet".split())
# Words that open a question after a headline's colon (not "como", "cual": "Juliaca: como cada año").
_ASKING = frozenset("que cuando donde quien quienes why how what when who".split())
_EN_OBJECT_STARTS = frozenset("a an the that its their his her this these those".split())
_EN_PREPOSITIONS = frozenset("of in on at by for with from to into over under about against during after before "
                             "and or".split())
_EN_NOT_PRESENT = frozenset("is was has does this its his hers yours ours theirs news thus always perhaps "
                            "whereas unless across towards besides".split())


@lru_cache(maxsize=CACHE)
def _en_present_s(word: str) -> bool:
    """"follows", "finds": a third-person present (its lemma is another word, a verb's)."""
    if word in _EN_NOT_PRESENT or not word.endswith("s") or len(word) < 4:
        return False
    lem = lemma(word, "en")
    return lem != word and _s_form(word, lem)


def _s_form(word: str, lem: str) -> bool:
    """``word`` is ``lem`` + -s/-es/-ies: a third-person present, or a plural."""
    return word in (lem + "s", lem + "es") or (lem.endswith("y") and word == lem[:-1] + "ies")


_EN_SUBJECT_PRONOUNS = frozenset("i we you they".split())
# A number before a plural is a count ("extend by seven months the investigation"), never a subject.
_EN_COUNTS = frozenset("two three four five six seven eight nine ten eleven twelve eighteen twenty several many few "
                       "more".split())
_EN_IRREGULAR_PRESENT = frozenset("is are am has have does".split())
# Past forms of irregular verbs (a closed class); other words whose lemma differs are nouns or pronouns.
_EN_IRREGULAR_PAST = frozenset(
    "was were had did said made took gave told held sent led met found began begun brought thought knew left set "
    "kept went gone came saw seen put set paid heard stood sought fought won lost ran rose wrote spoke broke chose "
    "drove fell felt got hid hit hurt laid lay meant read rode rang shot shut sat slept spent split spread stole "
    "struck swore sworn swept threw understood woke wore bought caught taught built sold dealt drew drawn fled "
    "forbade froze grew hung bound bore bent bid burnt cast cost cut dug fed flew forgave forgot lent let lit "
    "overtook overturned quit sank shook shone slid sought stuck stung strove sprang upheld withdrew withheld "
    "undertook".split())


@lru_cache(maxsize=CACHE)
def _en_form(word: str) -> str | None:
    if word in _EN_MODALS:
        return MODAL
    if word in _EN_IRREGULAR_PRESENT:
        return FINITE
    lem = lemma(word, "en")
    if len(word) < 3:
        return None
    if word == lem:
        return BASE if lem in _EN_HEADLINE_VERBS else None
    if word.endswith("ing"):
        return GERUND
    if _s_form(word, lem):
        # "files", "charges": a verb in a headline (Doc.form), else a plural noun
        return PRESENT_S if lem in _EN_HEADLINE_VERBS else None
    if word.endswith(("ed", "en")) or word in _EN_IRREGULAR_PAST or word in _EN_IRREGULAR_PRESENT:
        return FINITE  # "filed", "sought", "was": past (a participle after "has", "had", "was": Doc.form)
    return None  # "media" (medium), "him" (he), "data": another word's form, not a verb's


@dataclass
class Doc:
    """Tokens of title + text with their sentences; ``sentence_no`` is -1 in the title, then 0, 1, ..."""

    text: str
    raw: list[str]  # tokens as written
    toks: list[str]  # folded
    starts: list[int]
    ends: list[int]
    sent_start: list[int]  # per token: first token of its sentence
    sent_end: list[int]  # per token: first token after its sentence
    title_tokens: int
    sentence_no: list[int] = field(default_factory=list)
    lang: str = "es"  # the language of the prose, from its function words: verb forms are read in it
    title_case: bool = False  # a headline With Every Word Capitalised
    # Filled by ``read``: the text between words (``before``), and each word's verb form once read (the
    # status rules ask the same word's form many times); a Doc built otherwise computes them on each call.
    _gaps: list[str] = field(default_factory=list, repr=False, compare=False)
    _forms: list[object] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def read(cls, title: str, text: str) -> Doc:
        full = f"{title}\n\n{text}" if title else text
        # One split: [gap, word, gap, ..., word, gap]; offsets are the running sum of the parts' lengths.
        parts = _TOKEN_SPLIT.split(full)
        raw = parts[1::2]
        offsets = list(accumulate(map(len, parts), initial=0))
        starts, ends = offsets[1:-1:2], offsets[2::2]
        known = _FOLDED.get  # most words were folded before: a look-up, not a call
        toks = [f if (f := known(w)) is not None else _fold_word(w) for w in raw]
        n = len(raw)
        sent_start, sent_end = [0] * n, [n] * n
        first = 0
        i = 0
        for brk in SENTENCE_END.finditer(full):
            j = bisect_left(starts, brk.start(), i)  # the words before this break end the sentence
            sent_start[i:j] = [first] * (j - i)
            i = j
            if i > first:
                sent_end[first:i] = [i] * (i - first)
                first = i
        sent_start[i:] = [first] * (n - i)
        title_tokens = bisect_right(starts, len(title) - 1) if title else 0
        es = sum(map(_ES_WORDS.__contains__, toks))
        en = sum(map(_EN_WORDS.__contains__, toks))
        capitals = sum(w[0].isupper() for w in raw[:title_tokens] if len(w) > 3)
        long_words = sum(len(w) > 3 for w in raw[:title_tokens])
        doc = cls(full, raw, toks, starts, ends, sent_start, sent_end, title_tokens, [-1] * n,
                  "en" if en > es else "es", long_words > 2 and capitals > 0.7 * long_words)
        doc._gaps = [""] + parts[2:-1:2]
        doc._forms = [_UNREAD] * n
        doc.number_sentences()
        return doc

    def number_sentences(self) -> None:
        """Body sentences numbered from 0; a dateline or kicker ("Nota de prensa – Corte Superior de
        Justicia de Puno.": short, or without a verb) joins the next one."""
        number, pos, n = -1, self.title_tokens, len(self.toks)
        kicker = False
        while pos < n:
            end = self.sent_end[pos]
            if not kicker:
                number += 1
            self.sentence_no[pos:end] = [number] * (end - pos)
            kicker = end - pos < SHORT_SENTENCE or not any(
                self.form(p) in (FINITE, IMPERFECT, FUTURE, CONDITIONAL, MODAL) for p in range(pos, end))
            pos = end

    @property
    def question_title(self) -> bool:
        """A headline that asks ("¿Qué pasará con el caso?", "What next for ...?", "IDL: por qué ningún
        caso ha llegado a juicio")."""
        return self.question_from is not None

    @cached_property
    def question_from(self) -> int | None:
        """The first word of the asking part of the headline (after its colon, if it has one), or None."""
        title = self.text[:self.ends[self.title_tokens - 1]] if self.title_tokens else ""
        colon = next((p for p in range(1, self.title_tokens) if ":" in self.before(p)), None)
        if title.lstrip().startswith("¿") or title.rstrip().endswith("?"):
            return colon if colon is not None and "¿" in self.before(colon) else 0
        if colon is None:
            return None
        pair = " ".join(self.toks[colon:colon + 2])
        return colon if self.toks[colon] in _ASKING or pair in ("por que", "para que") else None

    def token_at(self, char: int) -> int:
        return max(bisect_right(self.starts, char) - 1, 0)

    def span(self, start: int, end: int) -> str:
        return self.text[self.starts[start]:self.ends[end - 1]]

    def sentence(self, pos: int) -> tuple[int, int]:
        """The sentence of a word; the title is a sentence of its own."""
        lo, hi = self.sent_start[pos], self.sent_end[pos]
        if pos < self.title_tokens:
            hi = min(hi, self.title_tokens)
        else:
            lo = max(lo, self.title_tokens)
        return lo, hi

    def before(self, pos: int) -> str:
        """The punctuation and spaces between word ``pos - 1`` and word ``pos``."""
        if pos <= 0:
            return ""
        return self._gaps[pos] if self._gaps else self.text[self.ends[pos - 1]:self.starts[pos]]

    def form(self, pos: int) -> str | None:
        """The verb form of word ``pos`` (None: not a verb), read in both languages."""
        forms = self._forms
        if 0 <= pos < len(forms):
            known = forms[pos]
            if known is _UNREAD:
                known = forms[pos] = self._form(pos)
            return known  # type: ignore[return-value]
        return self._form(pos)

    def _form(self, pos: int) -> str | None:
        raw = self.raw[pos]
        word = raw.lower()
        # A lower-case Spanish word that is no verb form: what every branch below returns. (Names and figures
        # go the long way: most are filtered before a dictionary look-up, and few repeat.)
        if self.lang == "es" and raw[0].islower() and _es_form(word) is None and (
                pos + 1 >= len(self.toks) or self.toks[pos + 1] not in _ES_OBJECT_STARTS):
            return None
        prev = self.toks[pos - 1] if pos > 0 and not self.before(pos).strip() else ""
        if (prev in _DETERMINERS and not (prev == "a" and self.lang == "es")) or word in _PARTICIPLE_NOUNS:
            return None
        if self.possessed(pos):
            return None  # "the officers' appeal", "the court's ruling": a noun
        if self.raw[pos][0].isupper() and pos != self.sentence(pos)[0] and not (
                pos < self.title_tokens and self.title_case) and not any(p in self.before(pos) for p in ":-.–"):
            return None  # a name mid-sentence ("Puno", "Durán"), unless the headline capitalises every word
        if self.lang == "es":
            form = _es_form(word)
            if form is None and pos + 1 < len(self.toks) and self.toks[pos + 1] in _ES_OBJECT_STARTS \
                    and not self.before(pos + 1).strip() and prev not in _ES_PREPOSITIONS and _es_present_ar(word):
                return FINITE  # "la Comisión saluda la formalización": a present the dictionary reads as a noun
            return form
        en = _en_form(word)
        if en is None and pos >= self.title_tokens and _en_present_s(word) and pos + 1 < len(self.toks) \
                and self.toks[pos + 1] in _EN_OBJECT_STARTS and not self.before(pos + 1).strip() \
                and prev not in _EN_PREPOSITIONS and prev not in _EN_COUNTS and not prev.isdigit():
            return FINITE  # "the decision follows a complaint", "the report finds that": a present in the body
        if en in (PRESENT_S, BASE):  # a headline's present ("Prosecutor files charges"); one main verb in it
            if en == BASE and (prev == "to" or (pos > 0 and _en_form(self.toks[pos - 1]) == MODAL)):
                return INFINITIVE
            if pos >= self.title_tokens and en == PRESENT_S:
                return None
            if pos >= self.title_tokens and prev not in _EN_SUBJECT_PRONOUNS and not prev.endswith("s") \
                    and word not in _EN_IRREGULAR_PAST:  # "on Thursday set the date": a past
                return None  # "the forensic report concluded": a noun; "they appeal", "prosecutors appeal": a verb
            if pos + 1 < len(self.toks) and (self.toks[pos + 1] in _EN_COMPOUND_HEADS or (
                    self.toks[pos + 1] == "of" and not self.before(pos + 1).strip())):
                return None  # "Appeals court", "Charges filed": a noun before a noun; "Appeal of the verdict"
            lo = self.sentence(pos)[0]
            earlier = (_en_form(w.lower()) for w in self.raw[lo:pos])
            return None if any(f in (FINITE, MODAL, PRESENT_S, BASE) for f in earlier) else FINITE
        if en == FINITE and prev in ("has", "have", "had", "was", "were", "been", "be", "is", "are", "being"):
            return PARTICIPLE
        if en == FINITE and prev in PERFECT_ADVERBS and pos > 1 and self.toks[pos - 2] in (
                "has", "have", "had", "was", "were", "been", "is", "are"):
            return PARTICIPLE  # "had already opened", "has also filed"
        if en == FINITE and word.endswith("ed") and pos + 1 < len(self.toks) and self.toks[pos + 1] in _EN_AGENT_PREPS \
                and prev.endswith("s") and prev not in _EN_PRONOUNS:
            return PARTICIPLE  # "four officers investigated for the killings": describes them
        return en

    def possessed(self, pos: int) -> bool:
        """Word ``pos`` follows an English possessive ("officers' appeal", "Ombudsman's report")."""
        return pos > 0 and (self.before(pos).strip() in ("'", "’") or (
            self.toks[pos - 1] == "s" and self.before(pos - 1) in ("'", "’")))

    def lemma(self, pos: int) -> str:
        return lemma(self.raw[pos].lower(), self.lang)

    def verb_lemma(self, pos: int) -> str:
        """The infinitive of a verb form, participles the dictionary lists as adjectives included
        ("concentrado" -> "concentrar")."""
        lem = self.lemma(pos)
        if self.lang == "es" and not lem.endswith(_ES_VERB_ENDINGS):
            return _participle_of(self.raw[pos].lower()) or lem
        return lem


_FOLDED: dict[str, str] = {}


def _fold_word(word: str) -> str:
    folded = _FOLDED.get(word)
    if folded is None:
        if len(_FOLDED) > FOLD_CACHE:
            _FOLDED.clear()
        folded = _FOLDED[word] = fold(word)
    return folded
