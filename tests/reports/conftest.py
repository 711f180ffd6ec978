"""Fixtures for report tests: the registry of tests/alarms/helpers.py in a fresh database."""

from __future__ import annotations

from typing import Any

import pytest

from db.settings import Settings
from tests.alarms.helpers import rows, seed_registry


@pytest.fixture
def reg(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    ids: dict[str, Any] = seed_registry(db_settings.url)
    ids["url"] = db_settings.url
    ids["settings"] = db_settings
    for n in (1, 2):
        ids[f"code{n}"] = rows(
            db_settings.url, "select uc_code from smf.consumer_unit where id = %s", ids[f"uc{n}"]
        )[0]["uc_code"]
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)  # for the CLI
    return ids
