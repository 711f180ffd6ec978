"""Fixtures for the durability tests: clusters of their own (WAL archiving on, ephemeral ports,
data under a fresh directory in /tmp that the server's user can reach), stopped and removed at
the end of the test whatever happened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import driver, migrate
from db.backup import free_port
from db.cluster import Cluster
from db.settings import REPO_ROOT, ClusterSettings, Settings


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A directory the server's user (smfdb when root) can traverse; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="smf-durability-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


SMALL = {"shared_buffers": "'128MB'", "max_wal_size": "'256MB'"}


def stop_all(*clusters: Cluster) -> None:
    driver.dispose_all()
    for c in clusters:
        if c.status().running:
            c.stop()


@pytest.fixture
def archived(scratch: Path) -> Iterator[Settings]:
    """A migrated database `smf` on a cluster of its own with WAL archiving to a repository in
    the scratch directory (the default place: beside the data directory)."""
    cs = ClusterSettings(data_dir=scratch / "pgdata", port=free_port())
    cluster = Cluster(cs, extra_conf=SMALL, archive=True)
    try:
        cluster.start()
        cluster.ensure_database("smf")
        settings = Settings(
            cluster=cs, database="smf", external_url=None, local_timezone="America/Sao_Paulo"
        )
        migrate.upgrade(settings)
        yield settings
    finally:
        stop_all(cluster)


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMF_DATABASE", "SMF_BACKUP"))}
    env.update(
        SMF_PG_DATA=str(settings.cluster.data_dir),
        SMF_PG_PORT=str(settings.cluster.port),
        SMF_PG_DATABASE=settings.database,
        **extra,
    )
    return env


def smf(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`smf ARGS` against the cluster of `settings`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *args],
        cwd=REPO_ROOT,
        env=cli_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=600,
    )
