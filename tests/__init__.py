"""The test suite. Imported before any conftest or test module (and by the test helpers' own children).

PYTHONDONTWRITEBYTECODE (set in some sandboxes) makes every Python process compile the project's modules
from source, and every pytest worker rewrite and compile every test module: about 0.2 s of CPU in each of
the few hundred `casewatch` children the suite starts, and seconds per worker. The suite writes its
bytecode (into the ignored __pycache__ folders) whatever that variable says, as bench/peers.py does.
"""

import os
import sys

if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False  # this process; its children inherit the environment without the variable
