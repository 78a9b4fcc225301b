"""How to name casewatch in a hint, so the user can paste it: `casewatch` only when the shell finds it.

`make install` puts the command in `.venv/bin`, which is rarely on the PATH; a hint that says
"run `casewatch changes`" then answers with "command not found".
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path


def command() -> str:
    """`casewatch` if that is what the shell runs, else the script's path (relative to the current
    folder when inside it: `.venv/bin/casewatch`), else `python -m casewatch`."""
    script = Path(sys.executable).parent / "casewatch"
    if not script.is_file():
        return f"{sys.executable} -m casewatch"
    found = shutil.which("casewatch")
    if found is not None and os.path.realpath(found) == os.path.realpath(script):
        return "casewatch"
    try:
        relative = script.absolute().relative_to(Path.cwd())
    except ValueError:
        return str(script.absolute())
    return str(relative) if "/" in str(relative) else f"./{relative}"


def see(subcommand: str) -> str:
    """A ``(see `… subcommand`)`` tail for an error line."""
    return f"(see `{command()} {subcommand}`)"


def known(values: Iterable[str]) -> str:
    """``(known: a, b, c)``, the tail of an "unknown X" error, or a note that there are none."""
    listed = ", ".join(values)
    return f"(known: {listed})" if listed else "(none are configured)"
