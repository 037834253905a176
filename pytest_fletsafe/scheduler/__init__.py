"""The interleaving scheduler (in progress; see the interleaving-fuzzer issue).

A deterministic asyncio loop with virtual time (``_loop``), choosers that decide each
interleaving (``_choosers``), and seeded exploration, exact replay and shrinking
(``_explore``). Not wired to a marker yet: the public API arrives with that issue.
"""
