"""Creation sites: the first frame in application code, however the cache has been warmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from fletsafe import _sites


@pytest.fixture(autouse=True)
def _restore_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sites, "_skipped", _sites._skipped)
    monkeypatch.setattr(_sites, "_verdicts", {})


def _here() -> _sites.Site:
    return _sites.caller_site(1)


def test_a_site_is_the_calling_line_in_application_code() -> None:
    site = _here()
    assert site.filename == __file__
    assert f"{__file__}:{site.lineno}" == str(site)


def test_skip_directory_overrides_a_cached_verdict() -> None:
    assert not _sites.is_infrastructure(__file__)  # now cached as application code
    _sites.skip_directory(str(Path(__file__).parent))
    assert _sites.is_infrastructure(__file__)
    assert _here().filename != __file__  # the walk now passes over this file


def test_the_verdict_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sites, "_VERDICTS_KEPT", 8)
    for i in range(50):
        _sites.is_infrastructure(f"/generated/{i}.py")
    assert len(_sites._verdicts) <= 8
