"""The ledger's "nothing recorded" shortcut must never hide a record from the detectors."""

from __future__ import annotations

import dataclasses

from pytest_fletsafe._ledger import Ledger
from pytest_fletsafe._options import DETECTORS, Settings

#: Fields that are not records a detector inspects, and why.
_NOT_RECORDS = {
    "settings": "configuration",
    "loop": "the loop the records live on",
    "pubsub_sites": "sites for the subscriptions of a recorded client",
    "findings": "output",
    "checked": "bookkeeping",
    "_undo": "bookkeeping",
    "_outer": "bookkeeping",
}


def _ledger() -> Ledger:
    settings = Settings(
        enabled=True,
        process_wide=True,
        detectors=frozenset(DETECTORS),
        grace=0.0,
        blocking=None,
        allow=(),
    )
    return Ledger(settings)


def test_an_empty_ledger_recorded_nothing() -> None:
    assert _ledger().recorded_nothing()


def test_every_record_field_counts_as_something_recorded() -> None:
    record_fields = [f.name for f in dataclasses.fields(Ledger) if f.name not in _NOT_RECORDS]
    assert len(record_fields) >= 10
    for name in record_fields:
        ledger = _ledger()
        empty = getattr(ledger, name)
        if isinstance(empty, dict):
            setattr(ledger, name, {object(): None})
        elif isinstance(empty, list):
            setattr(ledger, name, [object()])
        else:  # the watchdog: None until blocking checks are on
            assert empty is None, name
            setattr(ledger, name, object())
        assert not ledger.recorded_nothing(), f"Ledger.recorded_nothing() ignores {name}"
