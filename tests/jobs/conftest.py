"""Fixtures for the job tests: the environment points the jobs at a fresh database and at our
CCEE emulator (tests/ccee/conftest.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from db.settings import CceeSettings, Settings
from tests.ccee.conftest import ccee_settings, emu  # noqa: F401 (fixtures)


@pytest.fixture
def job_env(
    monkeypatch: pytest.MonkeyPatch,
    db_settings: Settings,
    ccee_settings: CceeSettings,  # noqa: F811
) -> Settings:
    env = {
        "SMF_DATABASE_URL": db_settings.url,
        "SMF_CCEE_BASE_URL": ccee_settings.base_url,
        "SMF_CCEE_CLIENT_ID": ccee_settings.client_id,
        "SMF_CCEE_CLIENT_SECRET": str(ccee_settings.client_secret),
        "SMF_CCEE_AGENT_CODE": ccee_settings.agent_code,
        "SMF_CCEE_PROFILE_CODE": ccee_settings.profile_code,
        "SMF_CCEE_BACKOFF_S": "0.01",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return db_settings


@pytest.fixture(autouse=True)
def _collect() -> Iterator[None]:
    """Collect garbage after each job test so a leaked connection is blamed on its test."""
    yield
    gc.collect()
