"""Fixtures for the archive tests: a database with a month of intervals of distributor 059
(and one meter of 077), loaded once through the ingest path, and its Parquet export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db import archive
from db.settings import Settings
from tests.archive.helpers import DIST, MONTH, load_month, registry
from tests.conftest import clone, drop


@pytest.fixture(scope="session")
def loaded(test_cluster: Settings, template: str) -> Iterator[Settings]:
    """A database with the registry and the month of every meter, loaded once for the archive
    tests, which only read it (a test that imports into it asserts that nothing changed)."""
    settings = clone(test_cluster, template)
    registry(settings.url)
    load_month(settings.url)
    yield settings
    drop(settings)


@pytest.fixture(scope="session")
def exported(loaded: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The archive file of distributor 059, October 2026, exported from `loaded`."""
    dest = tmp_path_factory.mktemp("archive")
    result = archive.export_month(DIST, MONTH, dest, settings=loaded)
    assert result.path is not None and result.status == "written", result
    return result.path


@pytest.fixture
def fresh(db_settings: Settings) -> Settings:
    """An empty database with the same registry (meters and UCs) as `loaded`; validation on
    ingest off (see helpers.registry)."""
    registry(db_settings.url)
    return db_settings


@pytest.fixture
def fresh_with_vee(db_settings: Settings) -> Settings:
    """As `fresh`, every ingest default on (validation of what the import touches)."""
    registry(db_settings.url, vee=True)
    return db_settings
