"""Scrapy's TLS modules imported without their import-time stack walk (issue 17: a crawl process's
start-up CPU).

``scrapy.core.downloader.tls`` and ``.contextfactory`` define deprecated aliases with
``create_deprecated_class``, which calls ``inspect.stack()`` to learn the module it was called from.
That builds source context for every frame of the importing stack (reading each file, and scanning
``sys.modules`` for each of importlib's frozen frames): about 0.1 s of CPU in every crawl process,
for three ``__module__`` strings. While those modules import, ``inspect.stack`` returns the same
frames without source lines; the caller's frame is all that function reads.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from types import FrameType, ModuleType


def _frames(context: int = 1) -> list[inspect.FrameInfo]:
    """``inspect.stack(context)``'s frames (from the caller out), without their source lines."""
    frames = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        frames.append(inspect.FrameInfo(frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                                        None, None))
        frame = frame.f_back
    return frames


def import_without_stack_context(name: str) -> ModuleType:
    """``importlib.import_module(name)``, with ``inspect.stack`` giving no source lines meanwhile."""
    if name in sys.modules:
        return sys.modules[name]
    real = inspect.stack
    inspect.stack = _frames
    try:
        return importlib.import_module(name)
    finally:
        inspect.stack = real
