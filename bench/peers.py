"""Benchmark: casewatch beside urlwatch 2.29 on the same local news site, cycle by cycle.

    make bench N=1000                     # or: .venv/bin/python bench/peers.py --pages 1000
    .venv/bin/python bench/peers.py --pages 10000 --runs 1
    .venv/bin/python bench/peers.py --pages 1000 --profile bench/first-cycle.prof   # cProfile, casewatch only
    .venv/bin/python bench/peers.py --pages 1000 --sample /tmp/c2.spy --cycle 2    # py-spy, the second cycle

A deterministic news site on 127.0.0.1 serves N article pages of 10-60 KB (navigation, a "most read"
box, a footer and a visit counter outside ``article#articulo``), each with a weak ETag and a
Last-Modified date; a conditional request for an unchanged page gets a 304. The articles are prose
from sentence templates with random names, places and figures (zlib packs a page to ~19%); every
fifth one reports on the Juliaca case. Pages are rendered before the timed cycles, so the site's own
work while a system crawls is a dictionary look-up. Each system watches only
``article#articulo`` and runs one process per cycle, back to back, against the same site state:

  cycle 1: every page new;
  cycle 2: exactly 10% of the pages edited inside the article (a fixed, seeded sample), the rest 304.

casewatch: one `casewatch crawl` per cycle of a `page` source (``scope: article#articulo``,
``download_delay: 0``) on a fresh SQLite database (created by an untimed `casewatch init`) with its
own config folder. urlwatch 2.29 (from bench/.peers-venv, which `make bench` creates): one `urlwatch`
per cycle with a ``css: article#articulo`` filter and its own cache file. Each cycle's CPU (user +
system) and peak RSS come from the kernel's accounting of that child (wait4), started by a small helper
process (bench/launcher.py: a child the bench started would count the site's pages as its own); storage
is every byte the system keeps after the cycle (casewatch: its var folder with the database, raw bodies included;
urlwatch: its cache database). Changes reported are checked against the truth: all N new, then
exactly the edited pages. Results are printed and appended to bench/RESULTS.md with the machine,
the load, the date and the commit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from launcher import Launcher  # bench/ (the script's folder) is on sys.path
from newssite import SCOPE, NewsSite, SiteServer
from peers_report import RESULTS_HEADER, machine, ratios, read_profile, rows

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers-venv"
RESULTS = ROOT / "bench" / "RESULTS.md"

@dataclass
class Cycle:
    system: str
    cycle: int
    wall: float
    cpu: float
    maxrss_kb: int
    storage: int
    statuses: Counter[int]
    reported: set[str]
    kind: str  # what the truth is: "new" (cycle 1) or "changed" (cycle 2)
    truth: set[str]
    load: float
    errors: int = 0
    others: int = 0  # changes of another kind than expected (e.g. "new" in cycle 2): all false

    @property
    def verdict(self) -> str:
        false_pos, missed = len(self.reported - self.truth) + self.others, len(self.truth - self.reported)
        mark = "exact" if not false_pos and not missed and not self.errors else "WRONG"
        extra = f", {self.errors} errors" if self.errors else ""
        return (f"{len(self.reported)} {self.kind} / {len(self.truth)} true "
                f"({false_pos} false, {missed} missed{extra}): {mark}")


LAUNCHER: Launcher | None = None  # started by main before the site holds its pages (bench/launcher.py)


def run_child(cmd: list[str], *, env: dict[str, str], cwd: Path, out: Path) -> tuple[float, float, int, int]:
    """Run one process; (wall s, CPU s user+system, peak RSS KB, exit code) from wait4 on that child, which
    the launcher starts (a child of this process would count the site's pages in its peak RSS)."""
    if LAUNCHER is None:
        raise RuntimeError("bench/peers.py: run_child before main started the launcher")
    return LAUNCHER.run(cmd, env=env, cwd=cwd, out=out)


def tree_bytes(*paths: Path) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


# PYTHONDONTWRITEBYTECODE (set in some sandboxes) made every casewatch process compile its own modules
# from source, ~0.5 s of CPU per cycle, while urlwatch's came compiled from pip: both run as installed.
HIDDEN_ENV = frozenset({"DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"})


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
    env.update(extra)
    return env


class Casewatch:
    """One `page` source of the N pages, scoped to the article, on a fresh SQLite database."""

    name = "casewatch"

    def __init__(self, tmp: Path, site: NewsSite) -> None:
        self.dir = tmp / "casewatch"
        self.config = self.dir / "config"
        self.var = self.dir / "var"
        (self.config / "cases").mkdir(parents=True)
        self.var.mkdir()
        case = ROOT / "config" / "cases" / "juliaca-2023.yaml"
        (self.config / "cases" / case.name).write_bytes(case.read_bytes())
        (self.config / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
        urls = "".join(f'      - "{site.url(i)}"\n' for i in range(site.n))
        (self.config / "sources.yaml").write_text(
            "sources:\n  - id: diario-del-sur\n    name: Diario del Sur\n    kind: news\n    spider: page\n"
            f"    scope: \"{SCOPE}\"\n    download_delay: 0\n    allow_private: true\n    urls:\n{urls}",
            encoding="utf-8")
        self.db = self.var / "casewatch.db"
        self.env = clean_env(CASEWATCH_VAR_DIR=str(self.var))
        self.base = [str(ROOT / ".venv" / "bin" / "python"), "-m", "casewatch", "--config", str(self.config),
                     "--db", f"sqlite:///{self.db}"]
        self.last_change = 0

    def prepare(self) -> float:
        wall, cpu, _, code = run_child([*self.base, "init"], env=self.env, cwd=self.dir, out=self.dir / "init.log")
        if code != 0:
            raise SystemExit(f"casewatch init failed ({code}):\n{(self.dir / 'init.log').read_text()[-3000:]}")
        return cpu

    def command(self) -> list[str]:
        return [*self.base, "crawl", "diario-del-sur"]

    def outcome(self, log: Path) -> tuple[dict[str, set[str]], int]:
        """Changes recorded since the last cycle, by kind (new, updated, ...), read from the database."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as con:
            rows = con.execute("SELECT c.id, c.kind, d.url FROM changes c JOIN documents d ON d.id = c.document_id "
                               "WHERE c.id > ?", (self.last_change,)).fetchall()
            errors = con.execute("SELECT COALESCE(SUM(errors), 0) FROM crawl_runs").fetchone()[0]
        self.last_change = max([self.last_change, *(r[0] for r in rows)])
        kinds: dict[str, set[str]] = {}
        for _, kind, url in rows:
            kinds.setdefault(kind, set()).add(url)
        return {"new": kinds.pop("new", set()), "changed": kinds.pop("updated", set()),
                **{f"other:{k}": v for k, v in kinds.items()}}, int(errors)

    def storage(self) -> int:
        return tree_bytes(self.var)


class Urlwatch:
    """urlwatch 2.29 from bench/.peers-venv: one job per page with a css filter, its own cache file."""

    name = "urlwatch"
    SUMMARY = re.compile(r"^\s*\d+\. (NEW|CHANGED|ERROR|UNCHANGED): (\S+)")

    def __init__(self, tmp: Path, site: NewsSite) -> None:
        self.dir = tmp / "urlwatch"
        (self.dir / "home").mkdir(parents=True)
        jobs = "---\n".join(f"url: {site.url(i)}\nfilter:\n  - css: \"{SCOPE}\"\n" for i in range(site.n))
        (self.dir / "urls.yaml").write_text(jobs, encoding="utf-8")
        (self.dir / "urlwatch.yaml").write_text(
            "display: {new: true, error: true, unchanged: false, empty-diff: false}\n"
            "report:\n  text: {details: true, footer: false, line_length: 75, minimal: false, separate: false}\n"
            "  stdout: {enabled: true, color: false}\n", encoding="utf-8")
        self.cache = self.dir / "cache.db"
        self.env = clean_env(HOME=str(self.dir / "home"), XDG_CONFIG_HOME=str(self.dir / "home" / ".config"),
                             XDG_CACHE_HOME=str(self.dir / "home" / ".cache"))

    def prepare(self) -> float:
        if not (PEERS / "bin" / "urlwatch").exists():
            raise SystemExit(f"urlwatch is not installed in {PEERS.relative_to(ROOT)}: run `make bench` "
                             f"(or: python3 -m venv {PEERS} && {PEERS}/bin/pip install urlwatch==2.29 lxml cssselect)")
        return 0.0

    def command(self) -> list[str]:
        return [str(PEERS / "bin" / "urlwatch"), "--urls", str(self.dir / "urls.yaml"), "--config",
                str(self.dir / "urlwatch.yaml"), "--hooks", str(self.dir / "hooks.py"), "--cache", str(self.cache)]

    def outcome(self, log: Path) -> tuple[dict[str, set[str]], int]:
        kinds: dict[str, set[str]] = {}
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if match := self.SUMMARY.match(line):
                kinds.setdefault(match[1], set()).add(match[2])
        errors = len(kinds.pop("ERROR", set()))
        return {"new": kinds.pop("NEW", set()), "changed": kinds.pop("CHANGED", set()),
                **{f"other:{k}": v for k, v in kinds.items()}}, errors

    def storage(self) -> int:
        return tree_bytes(*self.dir.glob("cache.db*"))


def run_system(system: Casewatch | Urlwatch, site: NewsSite) -> list[Cycle]:
    """Both cycles of one system, back to back, from a site reset to version 0."""
    site.reset()
    site.warm()
    system.prepare()
    truth_new = {site.url(i) for i in range(site.n)}
    cycles: list[Cycle] = []
    for number in (1, 2):
        if number == 2:
            truth = site.edit()
        site.log.clear()
        log = system.dir / f"cycle{number}.log"
        wall, cpu, rss, code = run_child(system.command(), env=system.env, cwd=system.dir, out=log)
        if code not in (0, 3):
            raise SystemExit(f"{system.name} cycle {number} failed ({code}):\n{log.read_text()[-3000:]}")
        kinds, errors = system.outcome(log)
        kind = "new" if number == 1 else "changed"
        others = sum(len(v) for k, v in kinds.items() if k != kind)
        cycles.append(Cycle(system.name, number, wall, cpu, rss, system.storage(), Counter(site.log), kinds[kind],
                            kind, truth_new if number == 1 else truth, os.getloadavg()[0], errors, others))
    return cycles


def profile(n: int, out: Path, *, sampler: bool, cycle: int = 1) -> None:
    """One casewatch first cycle (fresh database, all pages new) under a profiler; with ``cycle`` 2, the
    second one (10% of the pages edited, the rest 304) after an unprofiled first.

    cProfile (``sampler`` false): OUT gets the stats; prints the top 25 by cumulative time, then the
    top 25 of casewatch's own code. py-spy (``sampler`` true, from bench/.peers-venv): OUT gets the
    collapsed stacks sampled at 250 Hz with no tracing overhead; prints where the samples fall.
    """
    site = NewsSite(n)
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp, SiteServer(site):
        system = Casewatch(Path(tmp), site)
        site.warm()
        system.prepare()
        cmd = system.command()
        if cycle == 2:
            _, _, _, code = run_child(cmd, env=system.env, cwd=system.dir, out=system.dir / "cycle1.log")
            if code not in (0, 3):
                raise SystemExit(f"cycle 1 failed ({code}):\n{(system.dir / 'cycle1.log').read_text()[-3000:]}")
            system.outcome(system.dir / "cycle1.log")  # counts the second cycle's changes only
            site.edit()
        if sampler:
            spy = PEERS / "bin" / "py-spy"
            if not spy.exists():
                raise SystemExit(f"py-spy is not installed: {PEERS}/bin/pip install py-spy")
            cmd = [str(spy), "record", "--format", "raw", "--rate", "250", "--output", str(out.resolve()),
                   "--", *cmd]
        else:  # python -m cProfile -o OUT -m casewatch ...: the profiler runs the module in the same process
            cmd[1:1] = ["-m", "cProfile", "-o", str(out.resolve())]
        wall, cpu, _, code = run_child(cmd, env=system.env, cwd=system.dir, out=system.dir / "profile.log")
        if code not in (0, 3):
            raise SystemExit(f"profiled crawl failed ({code}):\n{(system.dir / 'profile.log').read_text()[-3000:]}")
        kinds, errors = system.outcome(system.dir / "profile.log")
    print(f"profiled casewatch cycle {cycle}, N={n}: wall {wall:.1f}s, CPU {cpu:.1f}s ({1000 * cpu / n:.1f} ms/page "
          f"under the profiler), {len(kinds['new'])} new, {len(kinds['changed'])} changed, {errors} errors; {out}")
    print("\n".join(read_profile(out)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", "-n", type=int, default=1000, help="article pages on the site (1000, 10000)")
    parser.add_argument("--runs", type=int, default=1, help="repeat both systems; the order alternates")
    parser.add_argument("--only", choices=("casewatch", "urlwatch"), help="run one system (no ratios)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (logs, databases)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="instead: cProfile one casewatch first cycle into FILE and print the top 25")
    parser.add_argument("--sample", type=Path, metavar="FILE",
                        help="instead: py-spy one casewatch first cycle into FILE and print where the time goes")
    parser.add_argument("--cycle", type=int, choices=(1, 2), default=1,
                        help="with --profile or --sample: the cycle profiled (2: after an unprofiled first)")
    parser.add_argument("--read", type=Path, metavar="FILE", help="instead: print a profile saved by the above")
    ns = parser.parse_args()
    global LAUNCHER
    LAUNCHER = Launcher()  # before any page is rendered: children's peak RSS must not count the site's
    try:
        run(ns)
    finally:
        LAUNCHER.close()


def run(ns: argparse.Namespace) -> None:
    if ns.read:
        print("\n".join(read_profile(ns.read)))
        return
    if ns.profile or ns.sample:
        profile(ns.pages, ns.profile or ns.sample, sampler=ns.sample is not None, cycle=ns.cycle)
        return
    info = machine()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"N={ns.pages}; {info['nproc']} × {info['cpu']}; {info['python']}; commit {info['commit']}")
    print(f"uptime: {uptime_before}")
    report: list[str] = []
    for run in range(ns.runs):
        order: list[type[Casewatch] | type[Urlwatch]] = [Urlwatch, Casewatch] if run % 2 == 0 else [Casewatch, Urlwatch]
        if ns.only:
            order = [s for s in order if s.name == ns.only]
        site = NewsSite(ns.pages)
        cycles: list[Cycle] = []
        tmp = Path(tempfile.mkdtemp(prefix="peers-"))
        try:
            with SiteServer(site):
                for kind in order:
                    system = kind(tmp, site)
                    print(f"run {run + 1}: {system.name} ...", flush=True)
                    cycles += run_system(system, site)
        finally:
            if ns.keep:
                print(f"kept {tmp}")
            else:
                shutil.rmtree(tmp)
        table = rows(cycles, ns.pages)
        print("\n".join(table))
        print("\n".join(ratios(cycles, ns.pages)))
        uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        report += [f"### N = {ns.pages}, run {run + 1} of {ns.runs} ({' then '.join(k.name for k in order)})", "",
                   *table, "", *ratios(cycles, ns.pages), "",
                   f"Load: before `{uptime_before}`; after `{uptime_after}`.", ""]
        uptime_before = uptime_after
    if not ns.no_record:
        head = [f"## {date} · N = {ns.pages} · commit {info['commit']}", "",
                f"Machine: nproc {info['nproc']}, {info['cpu']}, Linux {info['kernel']}; {info['python']}. "
                "Shared with other sessions' test runs: see the load lines.", ""]
        if not RESULTS.exists():
            RESULTS.write_text(RESULTS_HEADER, encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n".join(head + report) + "\n")
        print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
