"""The fixed CPU cost of a crawl process: the bench site at N = 10, one first cycle, then R crawls that all
answer 304 (what is left is start-up, config, the reactor and exit); prints the CPU of each.

    .venv/bin/python bench/startup_cpu.py [R] [-- extra python arguments, e.g. -X importtime]

Run it in two checkouts alternately to compare them (each reads its own ``ROOT``: the casewatch it runs is the
one of the folder this script is in).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench.newssite import NewsSite, SiteServer  # noqa: E402
from bench.peers import Casewatch  # noqa: E402


def _cpu_of(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def main(rounds: int, extra: list[str]) -> None:
    site = NewsSite(10)
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp, SiteServer(site):
        system = Casewatch(Path(tmp), site)
        site.warm()
        init = subprocess.run([*system.base, "init"], env=system.env, cwd=system.dir, capture_output=True, text=True,
                              check=False)
        if init.returncode != 0:
            raise SystemExit(f"casewatch init failed:\n{init.stderr[-3000:]}")
        crawl = [system.base[0], *extra, *system.base[1:], "crawl", "diario-del-sur"]
        cpus = []
        for number in range(rounds + 1):  # the first crawl stores the pages; the others all answer 304
            cpu, done = _cpu_of(crawl, system.env, system.dir)
            if done.returncode not in (0, 3):
                raise SystemExit(f"crawl failed ({done.returncode}):\n{done.stderr[-3000:]}")
            if number:
                cpus.append(cpu)
        if extra:
            sys.stderr.write(done.stderr)
        print(f"{ROOT}: CPU s of crawls answering 304:", " ".join(f"{c:.3f}" for c in cpus), f"(min {min(cpus):.3f})")


if __name__ == "__main__":
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    plain = args[: args.index("--")] if "--" in args else args
    main(int(plain[0]) if plain else 5, extra)
