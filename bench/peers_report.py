"""How bench/peers.py reports: the machine, the per-cycle table, the ratios, profiles, RESULTS.md's header."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peers import Cycle

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers-venv"


def machine() -> dict[str, str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    peer_py = subprocess.run([str(PEERS / "bin" / "python"), "-V"], capture_output=True, text=True).stdout.strip()
    cw_py = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-V"], capture_output=True, text=True).stdout
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": f"{cw_py.strip()} (casewatch), {peer_py} (urlwatch)",
            "commit": commit.strip() + (" (with uncommitted changes)" if dirty else ""),
            "kernel": platform.release()}


def mb(n: float) -> str:
    return f"{n / 1e6:.1f}"


def rows(cycles: list[Cycle], n: int) -> list[str]:
    out = ["| system | cycle | wall s | pages/s | CPU ms/page | peak RSS MB | storage MB | HTTP 200 / 304 "
           "| changes reported vs truth | load (1 min) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cycles:
        out.append(f"| {c.system} | {c.cycle} | {c.wall:.1f} | {n / c.wall:.0f} | {1000 * c.cpu / n:.2f} | "
                   f"{c.maxrss_kb / 1024:.0f} | {mb(c.storage)} | {c.statuses[200]} / {c.statuses[304]} | "
                   f"{c.verdict} | {c.load:.2f} |")
    return out


def ratios(cycles: list[Cycle], n: int) -> list[str]:
    by = {(c.system, c.cycle): c for c in cycles}
    if not all((s, k) in by for s in ("casewatch", "urlwatch") for k in (1, 2)):
        return []
    cw, uw = ({k: by[(s, k)] for k in (1, 2)} for s in ("casewatch", "urlwatch"))

    def line(what: str, a: float, b: float, fmt: str) -> str:
        return f"| {what} | {fmt.format(b)} | {fmt.format(a)} | **{a / b:.2f}×** |"

    return ["| | urlwatch 2.29 | casewatch | ratio |", "|---|---|---|---|",
            line("CPU ms per page, cycle 1 (all new)", 1000 * cw[1].cpu / n, 1000 * uw[1].cpu / n, "{:.2f}"),
            line("CPU ms per page, cycle 2 (10% edited)", 1000 * cw[2].cpu / n, 1000 * uw[2].cpu / n, "{:.2f}"),
            line("wall s, cycle 1", cw[1].wall, uw[1].wall, "{:.1f}"),
            line("wall s, cycle 2", cw[2].wall, uw[2].wall, "{:.1f}"),
            line("storage MB after two cycles", cw[2].storage / 1e6, uw[2].storage / 1e6, "{:.1f}"),
            line("peak RSS MB", max(c.maxrss_kb for c in cw.values()) / 1024,
                 max(c.maxrss_kb for c in uw.values()) / 1024, "{:.0f}")]


def read_profile(path: Path) -> list[str]:
    """A saved profile as text: cProfile stats (top 25 cumulative, then the top 25 of casewatch's own
    code), or py-spy collapsed stacks (where the samples fall)."""
    import io
    import pstats

    if not path.read_bytes()[:64].isascii():  # cProfile's marshal file, not py-spy's text
        buf = io.StringIO()
        stats = pstats.Stats(str(path), stream=buf)
        stats.sort_stats("cumulative").print_stats(25)
        stats.print_stats(re.escape(str(ROOT)) + r"/(casewatch|crawler|pipeline|config)/", 25)
        return buf.getvalue().splitlines()
    return breakdown(path)


# Where a py-spy sample's time goes: the first rule with a marker on its stack. Imports first (a lazy
# import inside the classifier is import time), then from the most specific part of the pipeline to the
# least (a DB query made by the classifier counts as classification).
BUCKETS = (
    ("idle worker threads (waiting, no CPU)", ("Condition.wait (threading.py",)),
    ("imports", ("_find_and_load (<frozen importlib._bootstrap>",)),
    ("log records (Scrapy's per-item message: built, then redacted)", ("(casewatch/logs.py", "(config/redact.py",
                                                                         "(logging/__init__.py")),
    ("raw body storage (zlib, sha256, the Version row)", ("_version (pipeline/ingest.py",)),
    ("classification (relevance, milestones)", ("(pipeline/classify/",)),
    ("change detection (normalise, diff, summary)", ("(pipeline/detect/", "_summary (pipeline/ingest.py",
                                                      "added_text (pipeline/ingest.py")),
    ("DB writes and reads (SQLAlchemy, sqlite3)", ("(sqlalchemy/", "(pipeline/store/", "(sqlite3/")),
    ("extraction (scope, main text, dates)", ("(crawler/extract/", "page_item (crawler/spiders/base.py")),
    ("crawl engine (Scrapy, Twisted, HTTP, middlewares)", ("(scrapy/", "(twisted/", "(crawler/")),
)


def breakdown(collapsed: Path) -> list[str]:
    """Share of py-spy samples per bucket; the process's other work (config, logging, exit) is "other"."""
    counts: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frames = re.sub(r"\((?:[^();]*?/site-packages/|" + re.escape(str(ROOT)) + "/)", "(", stack)
        bucket = next((name for name, marks in BUCKETS if any(m in frames for m in marks)), "other (config, "
                      "logging, start-up and exit outside imports)")
        counts[bucket] += int(count)
    return [f"| {name} | {count} | {count / max(total, 1):.1%} |" for name, count in counts.most_common()] + [
        f"| total samples | {total} | 100% |"]


RESULTS_HEADER = """# casewatch beside urlwatch: measured figures

Appended by `make bench N=...` (bench/peers.py; its docstring says exactly what is measured). Each run
crawls the same loopback news site with both systems, one process per cycle, each system's two cycles
back to back: cycle 1 all pages new, cycle 2 exactly 10% edited inside `article#articulo` and the rest
answered 304. CPU is user + system of the cycle's process (wait4), per page = CPU / N; peak RSS is
that process's maximum; storage is every byte kept after the cycle (casewatch: its database with raw
bodies; urlwatch: its cache database). The machine is shared: compare ratios within one run, and
read the load line beside it.

What else to know when reading the figures:
- The site: 10-60 KB pages (34 KB on average), articles of Spanish prose from sentence templates with
  random names, places and figures (zlib packs a page to ~19%); every fifth article is about the
  Juliaca case. Conditional requests carry the weak ETag (both systems send If-None-Match).
- Each system runs with its own defaults except what the issue fixes: casewatch `download_delay: 0`
  (so 2 requests at a time per domain, AutoThrottle on), urlwatch its 10 worker threads. Wall time is
  therefore not a CPU comparison; on this machine it is mostly waiting: both systems commit every page
  durably and an fsync costs ~4 ms here, and other sessions' tests keep the load at 4-6 on 2 cores.
- Storage counts the files as left on disk (casewatch's SQLite WAL included). Peak RSS is the larger
  of the two cycles' maxima.

"""
