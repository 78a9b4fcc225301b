"""Benchmark: CPU cost of re-crawling an unchanged source, as a fraction of a changed crawl.

    .venv/bin/python bench/crawl_cycle.py [--pages N] [--db URL]

A loopback site serves N article pages (~900 words each, with boilerplate) watched by a `page`
source, and a feed listing N other articles followed by a `feed` source (follow: always). Each cycle is a real
`casewatch crawl` child process; its CPU time (user + system, from the kernel's accounting of the
child) is measured. Cycles: first crawl (all new); unchanged with ETags (304s); unchanged without
validators (body checksum hits); every page edited (all updated). The fixed cost of a crawl process
(imports, Scrapy and reactor start-up, database) is measured as a crawl of one unchanged page, and
subtracted to give the net cost of the pages themselves.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casewatch.localsite import LocalSite, Route

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("fiscalía investigación Juliaca víctimas audiencia Congreso denuncia policía región Puno "
         "familiares justicia informe ministerio proceso carpeta disposición plazo juez acusación").split()


def page(i: int, edit: int) -> bytes:
    rng = random.Random(i)
    paras = [" ".join(rng.choice(WORDS) for _ in range(90)) for _ in range(10)]
    if edit:
        paras[4] += f" Actualización {edit}."
    body = "".join(f"<p>{p}.</p>" for p in paras)
    nav = "".join(f'<li><a href="/seccion/{k}">Sección {k}</a></li>' for k in range(30))
    return (f"<!DOCTYPE html><html lang='es'><head><meta charset='utf-8'><title>Nota {i}</title></head><body>"
            f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>Nota {i} sobre Juliaca</h1>"
            f"<time datetime='2026-11-2{i % 7}T10:00:00-05:00'>nov</time>{body}</article></main>"
            f"<aside class='lo-mas-leido'><ol><li>Lo más leído</li></ol></aside><footer>© Diario</footer>"
            f"</body></html>").encode()


def routes(base: str, n: int, edit: int) -> dict[str, Route]:
    out: dict[str, Route] = {f"/nota/{i}": (200, "text/html; charset=utf-8", page(i, edit)) for i in range(n)}
    out.update({f"/articulo/{i}": (200, "text/html; charset=utf-8", page(n + i, edit)) for i in range(n)})
    items = "".join(f"<item><title>Nota {n + i} sobre Juliaca</title><link>{base}/articulo/{i}</link>"
                    f"<pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate></item>" for i in range(n))
    out["/feed"] = (200, "application/rss+xml", f'<?xml version="1.0"?><rss version="2.0"><channel>'
                    f"<title>Diario</title>{items}</channel></rss>".encode())
    out["/uno"] = (200, "text/html; charset=utf-8", page(10_000, 0))
    out["/robots.txt"] = (200, "text/plain", b"User-agent: *\nDisallow:\n")
    return out


def sources_yaml(base: str, n: int) -> str:
    urls = ", ".join(f'"{base}/nota/{i}"' for i in range(n))
    return f"""sources:
  - {{id: paginas, name: Páginas, kind: news, spider: page, urls: [{urls}], scope: main,
     allow_private: true, download_delay: 0}}
  - {{id: diario, name: Diario, kind: news, spider: feed, urls: ["{base}/feed"], follow: always,
     allow_private: true, download_delay: 0, ignore: {{selectors: [".lo-mas-leido"]}}}}
  - {{id: uno, name: Uno, kind: news, spider: page, urls: ["{base}/uno"], allow_private: true, download_delay: 0}}
"""


def cpu_of(*args: str) -> float:
    """CPU seconds (user + system) the child `casewatch ARGS` used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "casewatch", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"casewatch {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalSite() as site:
        config = Path(tmp, "config")
        (config / "cases").mkdir(parents=True)
        (config / "cases" / "juliaca-2023.yaml").write_bytes((ROOT / "config/cases/juliaca-2023.yaml").read_bytes())
        (config / "sources.yaml").write_text(sources_yaml(site.base, ns.pages), encoding="utf-8")
        (config / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
        db = ns.db or f"sqlite:///{tmp}/bench.db"
        cli = ("--config", str(config), "--db", db)
        site.routes = routes(site.base, ns.pages, 0)
        results = {"first crawl (all new)": cpu_of(*cli, "crawl", "paginas", "diario", "uno")}
        startup = min(cpu_of(*cli, "crawl", "uno") for _ in range(3))
        site.log.clear()
        results["unchanged, ETag (304s)"] = cpu_of(*cli, "crawl", "paginas", "diario")
        answered = sorted({status for path, status in site.log if path != "/robots.txt"})
        site.etags = False
        results["unchanged, no validators (checksums)"] = cpu_of(*cli, "crawl", "paginas", "diario")
        site.routes = routes(site.base, ns.pages, 1)
        results["every page edited (all updated)"] = cpu_of(*cli, "crawl", "paginas", "diario")
    changed = results["every page edited (all updated)"]
    print(f"{ns.pages} pages x 2 sources ({'SQLite' if ns.db is None else ns.db.split(':')[0]}); "
          f"CPU seconds per crawl process; fixed cost of a crawl process {startup:.2f}s")
    for name, cpu in results.items():
        net = max(cpu - startup, 0.0)
        print(f"  {name:<40} {cpu:6.2f}s  net {net:6.2f}s  "
              f"= {cpu / changed:5.1%} of a changed crawl (net {net / max(changed - startup, 1e-9):5.1%})")
    print(f"  statuses answered in the ETag cycle (robots.txt aside): {answered}")


if __name__ == "__main__":
    main()
