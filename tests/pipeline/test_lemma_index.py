"""The lemma dictionary opened from its saved block index is simplemma's own (pipeline/classify/lemma_index.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import simplemma
from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamMap

from pipeline.classify import lemma_index
from pipeline.classify.milestones.text import LOW_MEMORY

WORDS = ("formalizó", "formalizaron", "investigaciones", "fiscales", "exhortan", "saluda", "condenado",
         "archivaron", "denunció", "víctimas", "pidieron", "juzgado", "acusaciones", "ampliaría", "xyzzyq")


@pytest.fixture
def reference() -> StreamMap:
    return StreamMap("es")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_saved_index_reads_back_as_simplemmas_own(tmp_path: Path, lang: str) -> None:
    ref = StreamMap(lang)
    first = lemma_index.open_dictionary(lang, tmp_path)  # builds it simplemma's way and saves the index
    saved = list(tmp_path.glob(f"simplemma-{lang}-*.idx"))
    assert len(saved) == 1
    second = lemma_index.open_dictionary(lang, tmp_path)  # from the file
    for stream in (first, second):
        assert isinstance(stream, StreamMap)
        assert (stream._firsts, stream._blocks, stream._count, stream._pos, stream._rev) == (
            ref._firsts, ref._blocks, ref._count, ref._pos, ref._rev)
    keys = list(ref)[::211]
    assert [second.get(k) for k in keys] == [ref.get(k) for k in keys]
    assert second.get("no-such-word-here") is None


def test_a_damaged_or_foreign_index_is_not_used_and_is_rewritten(tmp_path: Path, reference: StreamMap) -> None:
    lemma_index.open_dictionary("es", tmp_path)
    (path,) = tmp_path.glob("simplemma-es-*.idx")
    good = path.read_bytes()
    for bad in (b"", b"CWLX1" + b"\0" * 40, good[:-100], good[:5] + b"\1" * 32 + good[37:]):
        path.write_bytes(bad)
        stream = lemma_index.open_dictionary("es", tmp_path)
        assert (stream._firsts, stream._blocks) == (reference._firsts, reference._blocks)
        assert path.read_bytes() == good


def test_an_unwritable_folder_still_opens_the_dictionary(tmp_path: Path, reference: StreamMap) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    stream = lemma_index.open_dictionary("es", blocker / "cache")
    assert (stream._firsts, stream._blocks) == (reference._firsts, reference._blocks)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Path]:
    restore = lemma_index.install(tmp_path)
    try:
        yield tmp_path
    finally:
        restore()


def test_installed_lemmas_are_simplemmas(installed: Path) -> None:
    got = [(simplemma.lemmatize(w, lang="es", low_memory=LOW_MEMORY),
            simplemma.is_known(w, lang="es", low_memory=LOW_MEMORY)) for w in WORDS]
    assert list(installed.glob("simplemma-es-*.idx"))  # the installed loader opened it through the folder
    plain = StreamMap("es")
    assert [is_known for _, is_known in got] == [w in plain for w in WORDS]
    assert ("formalizar", True) in got
