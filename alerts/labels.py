"""Every word the digest shows, in Spanish (first) and English: the lookups templates and the subject line
use. The words themselves are data, in the one catalogue the review page shares (textkit/catalogue.json);
translators edit that file only.
"""

from __future__ import annotations

from textkit import catalogue
from textkit.catalogue import language

# Order of sections in a digest: what appeared first, then what moved, then what vanished.
# ``alternating`` is not stored: it is a document whose changes in the digest went back and forth
# between stored versions (``reverted``), shown once (alerts.entries.collapse_alternating).
KIND_ORDER = ("new", "updated", "alternating", "reverted", "removed", "restored")

# Institutions that act in a case, in the order the "legal progress" section lists them.
INSTITUTION_ORDER = ("prosecutor", "judiciary", "congress", "iachr", "ombudsman", "constitutional_court", "other")

KIND_LABELS = catalogue.phrases("kinds")
# The digest's sections, top to bottom: where the case stands (timeline), what moved legally (by
# institution), edits and removals of pages already watched, then everything newly published.
SECTION_LABELS = catalogue.phrases("sections")
INSTITUTION_LABELS = catalogue.phrases("institutions")
COUNT_WORDS = catalogue.pairs("count_words")  # subject-line counts: (singular, plural)
MILESTONE_LABELS = catalogue.phrases("milestones")
MONTHS = catalogue.sequence("months")
TEXTS = catalogue.phrases("digest")  # free-standing phrases; `{name}` placeholders are filled by `text()`


def text(lang: str, key: str, **values: object) -> str:
    """A phrase in `lang` with placeholders filled (values are trusted by the caller to be clean)."""
    phrase = TEXTS[language(lang)][key]
    return phrase.format(**values) if values else phrase


def kind_label(lang: str, kind: str) -> str:
    """Badge label for a change kind; unknown kinds show as themselves."""
    return KIND_LABELS[language(lang)].get(kind, kind)


def section_label(lang: str, kind: str) -> str:
    """Heading of a digest section: 'legal', 'changed', 'news', 'already_sent', or a change kind, which
    names the section its changes appear in when they report no institution's step ('new' -> news,
    every other kind -> changed documents)."""
    labels = SECTION_LABELS[language(lang)]
    if kind in labels:
        return labels[kind]
    return labels["news"] if kind == "new" else labels["changed"]


def institution_label(lang: str, key: str) -> str:
    """Heading of an institution's group in the legal-progress section."""
    labels = INSTITUTION_LABELS[language(lang)]
    return labels.get(key, labels["other"])


def sources_phrase(lang: str, n: int) -> str:
    """'1 fuente' / '12 sources'."""
    return text(lang, "sources_one" if n == 1 else "sources_many", n=n)


def count_phrase(lang: str, kind: str, n: int) -> str:
    """'2 nuevos' / '1 updated' for the subject line."""
    words = COUNT_WORDS[language(lang)]
    singular, plural = words.get(kind, words["other"])
    return f"{n} {singular if n == 1 else plural}"


def milestone_label(lang: str, type_: str, fallback: str = "") -> str:
    """Label from the controlled list; the stored label only for types we do not know."""
    return MILESTONE_LABELS[language(lang)].get(type_, fallback or type_)


def alternating_phrases(lang: str, versions: int, changes: int) -> tuple[str, str]:
    """('Alterna entre dos versiones', '4 cambios en este periodo'): a page going back and forth between
    stored versions, shown once (digests and the change log)."""
    head = text(lang, "alternating_many", n=versions) if versions > 2 else text(lang, "alternating_two")
    return head, text(lang, "alternating_count", n=changes)
