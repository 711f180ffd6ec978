"""The poll verbs refuse a database whose schema is not at this checkout's head (before reading
any meter), with a one-line message naming both revisions."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings

from .conftest import q


@pytest.mark.slow
@pytest.mark.parametrize("argv", [("poll", "--once"), ("read", "32600760")])
def test_poll_verbs_refuse_a_schema_not_at_head(db_settings: Settings, argv: tuple[str]) -> None:
    with psycopg.connect(db_settings.url) as conn:
        conn.execute("update public.alembic_version set version_num = '9999'")
    env = {**os.environ, "SMF_DATABASE_URL": db_settings.url}
    done = subprocess.run([sys.executable, "-m", "smf.cli", *argv], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0
    assert "9999" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert q(db_settings, "select count(*) from smf.poll_attempt") == [(0,)]
