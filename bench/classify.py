"""Benchmark: time to classify one long article (relevance to every case + milestones), in ms.

    .venv/bin/python bench/classify.py [--words 5000] [--runs 200]

The article mixes the case's vocabulary, legal steps, names, numbers and dates with filler prose
(the worst case for the matchers: many candidate words). Reports median and 95th percentile of
`pipeline.classify.decision.decide` over all configured cases, after one warm-up call.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.schema import load_config
from pipeline.classify.decision import decide

SENTENCES = [
    "La Fiscalía amplió por ocho meses la investigación preparatoria por las muertes de Juliaca.",
    "El juez programó la audiencia de control de acusación para el 15 de setiembre.",
    "Los deudos de la Asociación de Mártires y Víctimas del 9 de Enero exigieron justicia.",
    "La carpeta fiscal 023-2023 reúne pericias balísticas y protocolos de necropsia.",
    "El Congreso archivó la denuncia constitucional contra Dina Boluarte y Alberto Otárola.",
    "La CIDH publicó su informe sobre los hechos de Juliaca y pidió sanciones.",
    "El abogado de las víctimas anunció que presentará un recurso de apelación.",
    "Los manifestantes se concentraron cerca del aeropuerto Inca Manco Cápac en Puno.",
]
FILLER = ("la el de en que y a los se del las un por con no una su para es al lo como más pero sus le ya o "
          "este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos "
          "durante todos uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro "
          "región ciudad mercado obra calle vecinos alcalde lluvias carretera colegio hospital feria").split()


def article(n_words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n_words:
        if rng.random() < 0.15:
            out += rng.choice(SENTENCES).split()
        else:
            out += [rng.choice(FILLER) for _ in range(rng.randint(8, 25))] + ["."]
    return " ".join(out[:n_words])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    ns = parser.parse_args()
    cases = list(load_config(Path(__file__).resolve().parents[1] / "config").cases.values())
    text = article(ns.words)
    title = "Fiscalía amplía investigación por la masacre de Juliaca"
    decisions = decide(cases, title, text)  # warm-up: compiles the matchers and rule tables
    times = []
    for _ in range(ns.runs):
        start = time.perf_counter()
        decide(cases, title, text)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{len(text.split())} words, {len(cases)} cases, {ns.runs} runs: median {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    for d in decisions:
        print(f"  {d.relevance.explain()[:110]}; {len(d.milestones)} milestones")


if __name__ == "__main__":
    main()
