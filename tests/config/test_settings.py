"""Every operator variable is read through Settings, with the same names; a bad one is one line naming it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.errors import ConfigError
from config.settings import get_settings, read_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_distributed_and_review_variables(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.setenv("CASEWATCH_REDIS_URL", " redis://127.0.0.1:6379/3 ")
    monkeypatch.setenv("CASEWATCH_REDIS_PREFIX", "run-7")
    monkeypatch.setenv("CASEWATCH_WORKER_LEASE", "2.5")
    monkeypatch.setenv("CASEWATCH_REVIEWERS", "ana:a-long-enough-token")
    monkeypatch.setenv("CASEWATCH_TRUSTED_PROXIES", "10.0.0.1")
    settings = get_settings()
    assert (settings.redis_url, settings.redis_prefix, settings.worker_lease) == ("redis://127.0.0.1:6379/3", "run-7",
                                                                                 2.5)
    assert settings.reviewers.get_secret_value() == "ana:a-long-enough-token" and settings.trusted_proxies == "10.0.0.1"
    assert "a-long-enough-token" not in repr(settings)  # a reviewer's token is a secret


def test_unset_or_blank_means_the_default(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    for name in ("CASEWATCH_REDIS_URL", "CASEWATCH_REDIS_PREFIX", "CASEWATCH_WORKER_LEASE", "CASEWATCH_OUTBOX_LEASE"):
        monkeypatch.setenv(name, "  ")
    settings = read_settings()
    assert (settings.redis_url, settings.redis_prefix, settings.worker_lease, settings.outbox_lease) == (
        None, "casewatch", 30.0, None)


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_bad_worker_lease_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, fresh_settings: None,
                                                  value: str) -> None:
    monkeypatch.setenv("CASEWATCH_WORKER_LEASE", value)
    with pytest.raises(ConfigError) as refused:
        get_settings()
    assert len(refused.value.lines) == 1 and refused.value.lines[0].startswith("CASEWATCH_WORKER_LEASE: ")


def test_read_settings_sees_the_environment_now(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.setenv("CASEWATCH_OUTBOX_LEASE", "90")
    assert get_settings().outbox_lease == read_settings().outbox_lease == "90"
    monkeypatch.setenv("CASEWATCH_OUTBOX_LEASE", "120")
    assert (get_settings().outbox_lease, read_settings().outbox_lease) == ("90", "120")  # once per process vs now
