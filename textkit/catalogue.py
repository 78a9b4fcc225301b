"""Every word casewatch shows its readers, Spanish first and English too, read from one data file,
``textkit/catalogue.json``: the digests' and the review page's phrases and the names of change kinds,
legal steps and institutions. Both alerts and the review page read it, so a word is translated once.

Translators edit ``catalogue.json`` only: one block a language, each with the same tables and keys
(tests/textkit/test_catalogue.py checks it). The tables:

- ``kinds``: a change kind's badge; ``sections``: the digest's section headings; ``institutions``: the
  groups of the legal-progress section; ``milestones``: the legal steps (docs/architecture.md);
- ``count_words``: subject-line counts, ``[singular, plural]`` (Spanish agrees with "documento", masculine);
- ``months``: short month names for dates;
- ``digest``: the emails' phrases; ``page``: the review page's, where ``group.value`` keys (``run.failed``)
  name stored values as words.

Phrases are plain text with ``{name}`` placeholders; whoever shows one escapes it. A leaf like the rest of
textkit: the standard library only (JSON, not YAML, for that reason).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).parent / "catalogue.json"
DEFAULT_LANGUAGE = "es"  # the case's readers (families, lawyers, Peruvian NGOs) read Spanish first

_CATALOGUE: dict[str, dict[str, Any]] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
LANGUAGES: tuple[str, ...] = tuple(_CATALOGUE)


def language(lang: str | None) -> str:
    """One of LANGUAGES; anything else (a language we have no words for, or none) is Spanish."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def phrases(table: str) -> dict[str, dict[str, str]]:
    """One table of words in every language: ``{"es": {key: phrase}, "en": {...}}``. The same dictionaries
    on every call, so every reader of a table sees one catalogue."""
    return {lang: words[table] for lang, words in _CATALOGUE.items()}


def pairs(table: str) -> dict[str, dict[str, tuple[str, str]]]:
    """A table of ``[singular, plural]`` words in every language, as tuples."""
    return {lang: {key: (one, many) for key, (one, many) in words[table].items()} for lang, words in _CATALOGUE.items()}


def sequence(table: str) -> dict[str, tuple[str, ...]]:
    """A table that is a list of words (month names) in every language, as tuples."""
    return {lang: tuple(words[table]) for lang, words in _CATALOGUE.items()}
