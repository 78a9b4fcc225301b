"""Start the measured processes from a small helper process, so their peak RSS is their own.

A child's peak RSS as wait4 reports it (``ru_maxrss``) is at least the resident size of the process
that started it: Python starts a child with vfork + exec, the child runs on its parent's memory until
the exec, and the kernel keeps that memory's high-water mark as the child's. The bench holds every
page of its site in memory (about 370 MB at N = 10000), so every system it ran "peaked" at 374 MB
there, whatever it used. The helper is started before the site is rendered and stays ~10 MB; it runs
each command and reports the wait4 figures of that child alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# The helper: one JSON request per line in, one JSON answer per line out; imports nothing big.
HELPER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    req = json.loads(line)
    with open(req["out"], "wb") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(req["cmd"], env=req["env"], cwd=req["cwd"], stdout=stdout, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped already: Popen must not wait again
    print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode]), flush=True)
"""


class Launcher:
    """The helper process: ``run`` gives (wall s, CPU s user+system, peak RSS KB, exit code) of one command."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-c", HELPER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)

    def run(self, cmd: list[str], *, env: dict[str, str], cwd: Path, out: Path) -> tuple[float, float, int, int]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"cmd": cmd, "env": env, "cwd": str(cwd), "out": str(out)}) + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            raise SystemExit(f"the bench's launcher process ended (exit {self._proc.wait()})")
        wall, cpu, rss, code = json.loads(answer)
        return float(wall), float(cpu), int(rss), int(code)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()
