"""Loop callbacks that ran longer than the threshold: the UI froze while they ran.

Opt-in (``leakcheck(blocking=0.1)`` or the ``leakcheck_blocking`` ini key): the recording
runs the loop in asyncio's debug mode, which costs.
"""

from __future__ import annotations

import re

from fletsafe._sites import Site

from .._ledger import Finding, Ledger

__all__ = ["collect"]

# The callback's own code first ("coro=<save() running at /app/views.py:41>", "done,
# defined at ..."), then where a plain handle was created.
_WHERE = (
    re.compile(r"(?:running|defined) at (?P<file>[^\s>]+):(?P<line>\d+)"),
    re.compile(r"created at (?P<file>[^\s>]+):(?P<line>\d+)"),
)
_NAME = re.compile(r"coro=<(?P<coro>[^\s(]+)|<Handle (?P<handle>[^\s(]+)")


def collect(ledger: Ledger) -> list[Finding]:
    threshold = ledger.settings.blocking
    findings = []
    for description, seconds in ledger.slow_callbacks:
        where = _WHERE[0].search(description) or _WHERE[1].search(description)
        name = _NAME.search(description)
        findings.append(
            Finding(
                "blocking",
                (name.group("coro") or name.group("handle")) if name else description[:60],
                Site(where.group("file"), int(where.group("line"))) if where else None,
                f"blocked the loop for {seconds:.3f}s (threshold {threshold}s)",
            )
        )
    return findings
