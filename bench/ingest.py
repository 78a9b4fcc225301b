"""Benchmark: how many fetched documents per second `pipeline.ingest` stores (one transaction each).

    .venv/bin/python bench/ingest.py [--db URL] [--docs N]

Runs three passes over N synthetic 800-word Spanish articles: all new, all unchanged, all updated.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.schema import load_config
from pipeline.ingest import Snapshot, ingest
from pipeline.store.models import Source
from pipeline.store.session import Database

WORDS = ("fiscalía investigación Juliaca víctimas audiencia Congreso denuncia policía región Puno "
         "familiares justicia informe ministerio proceso carpeta disposición plazo juez acusación").split()


def article(i: int, edit: int) -> Snapshot:
    rng = random.Random(i)
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(80)) for _ in range(10)]
    if edit:
        paragraphs[3] += f" Actualización {edit}."
    text = "\n\n".join(paragraphs)
    return Snapshot(url=f"https://example.org/noticias/{i}", status=200, title=f"Noticia {i} sobre Juliaca",
                    text=text, body=text.encode() * 3, headers={"Content-Type": "text/html"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--docs", type=int, default=500)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    db.upgrade()
    cases = list(load_config(Path(__file__).resolve().parents[1] / "config").cases.values())
    now = datetime.now(UTC)
    with db.write() as s:
        s.merge(Source(id="bench", name="bench", kind="news", spider="feed", enabled=True,
                       created_at=now, updated_at=now))
    print(f"database: {db.display_url}; {args.docs} documents of ~800 words")
    for label, edit in (("new", 0), ("unchanged", 0), ("updated", 1)):
        start = time.perf_counter()
        for i in range(args.docs):
            with db.write() as s:
                ingest(s, article(i, edit), source_id="bench", cases=cases, now=datetime.now(UTC))
        took = time.perf_counter() - start
        print(f"{label:>10}: {args.docs / took:8.1f} documents/s ({1000 * took / args.docs:.2f} ms each)")


if __name__ == "__main__":
    main()
