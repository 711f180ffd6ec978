"""Fixtures for storage tests."""

from __future__ import annotations

import pytest

from db.settings import Settings
from tests.db.helpers import add_meters


@pytest.fixture
def meters(db_settings: Settings) -> Settings:
    """A fresh database with meters M1, M2 (5-minute) and Q1 (15-minute)."""
    add_meters(db_settings.url, "M1", "M2")
    add_meters(db_settings.url, "Q1", interval=15)
    return db_settings
