"""Fixtures for alarm tests: a fresh database with the registry of tests/alarms/helpers.py."""

from __future__ import annotations

from typing import Any

import pytest

from db.settings import Settings
from tests.alarms.helpers import seed_registry


@pytest.fixture
def reg(db_settings: Settings) -> dict[str, Any]:
    ids: dict[str, Any] = seed_registry(db_settings.url)
    ids["url"] = db_settings.url
    ids["settings"] = db_settings
    return ids
