"""Where was this created? Cheap enough to ask on every call.

Every record fletsafe keeps (a task, a handler, a held lock) carries the place in the
*user's* code that made it, because "a task is still running" is useless without "the one
started at views/settings.py:41". Capturing a full stack per call would cost tens of
microseconds; walking ``f_back`` pointers until we leave our own files costs well under
one, so it is always on.

Frames from this package, asyncio, threading and concurrent.futures are skipped. Other
packages (the pytest plugin, Flet's ``run_task``) add their own directories with
:func:`skip_directory`, so a site always lands in application code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import threading
from types import FrameType, TracebackType
from typing import NamedTuple

__all__ = [
    "Site",
    "caller_site",
    "caller_site_from",
    "is_infrastructure",
    "raise_site",
    "raising_function",
    "skip_directory",
]


class Site(NamedTuple):
    """A source location: file name and line number."""

    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


UNKNOWN_SITE = Site("<unknown>", 0)
_new_site = tuple.__new__  # skips NamedTuple's Python-level __new__ on the hot path


def _directory_of(module_file: str | None) -> str:
    return os.path.dirname(os.path.abspath(module_file or "")) + os.sep


_skipped: tuple[str, ...] = (
    _directory_of(sys.modules[__package__ or "fletsafe"].__file__),
    _directory_of(asyncio.__file__),
    os.path.abspath(threading.__file__),
    _directory_of(concurrent.futures.__file__),
)


# filename -> is_infrastructure(filename). A dict lookup on a string whose hash is cached
# is several times cheaper than startswith() over every prefix, and programs have few files.
_verdicts: dict[str, bool] = {}
_VERDICTS_KEPT = 4096


def skip_directory(path: str) -> None:
    """Treat every file under ``path`` as infrastructure, never as a creation site."""
    global _skipped
    prefix = _directory_of(os.path.join(path, "x"))
    if prefix not in _skipped:
        _skipped = (*_skipped, prefix)
        _verdicts.clear()


def is_infrastructure(filename: str) -> bool:
    """True for files under a skipped directory (ours, asyncio's, the plugin's, Flet's)."""
    verdict = _verdicts.get(filename)
    if verdict is None:
        if len(_verdicts) >= _VERDICTS_KEPT:  # e.g. many exec()'d or generated sources
            _verdicts.clear()
        verdict = _verdicts[filename] = filename.startswith(_skipped)
    return verdict


def caller_site(depth: int = 2) -> Site:
    """The first frame outside skipped directories, starting ``depth`` frames up."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return UNKNOWN_SITE
    return caller_site_from(frame)


def caller_site_from(frame: FrameType | None) -> Site:
    """The first frame outside skipped directories, from ``frame`` outwards."""
    verdicts = _verdicts
    while frame is not None:
        filename = frame.f_code.co_filename
        verdict = verdicts.get(filename)
        if verdict is None:
            verdict = is_infrastructure(filename)
        if not verdict:
            return _new_site(Site, (filename, frame.f_lineno))
        frame = frame.f_back
    return UNKNOWN_SITE


def _user_entries(exception: BaseException) -> list[TracebackType]:
    """The entries of ``exception``'s traceback outside skipped directories, outermost first."""
    entries = []
    tb = exception.__traceback__
    while tb is not None:
        if not is_infrastructure(tb.tb_frame.f_code.co_filename):
            entries.append(tb)
        tb = tb.tb_next
    return entries


def raise_site(exception: BaseException) -> Site | None:
    """The innermost frame of ``exception``'s traceback outside skipped directories: the
    line in the user's code that raised (or called what raised)."""
    entries = _user_entries(exception)
    if not entries:
        return None
    return _new_site(Site, (entries[-1].tb_frame.f_code.co_filename, entries[-1].tb_lineno))


def raising_function(exception: BaseException) -> str | None:
    """The outermost function of the user's code in ``exception``'s traceback: the one a
    framework called (a Flet handler, say)."""
    entries = _user_entries(exception)
    if not entries:
        return None
    code = entries[0].tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name)  # co_qualname: 3.11+
