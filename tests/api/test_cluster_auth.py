"""The local cluster over TCP asks for a password (SCRAM-SHA-256); the owner's is generated at
initialisation and kept under .smf/ with mode 0600; a scoped login role connects over TCP with
the password `smf user add --db-role` printed and sees only its scope."""

from __future__ import annotations

import os
import stat

import psycopg
import pytest

from db import driver
from db.cluster import scram_verifier
from tests.api.conftest import Seed


def test_tcp_needs_the_password(seeded: Seed) -> None:
    cs = seeded.settings.cluster
    if seeded.settings.external_url:
        pytest.skip("an external server has its own authentication")
    mode = stat.S_IMODE(os.stat(cs.password_file).st_mode)
    assert mode == 0o600
    password = cs.password_file.read_text().strip()
    assert len(password) >= 24
    db = seeded.settings.database
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(cs.tcp_url(db, cs.user, "wrong-password")).close()
    with psycopg.connect(cs.tcp_url(db, cs.user, password)) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_scoped_role_over_tcp(seeded: Seed) -> None:
    cs = seeded.settings.cluster
    if seeded.settings.external_url:
        pytest.skip("an external server has its own authentication")
    role = f"smf_t_tcp_{os.getpid()}"
    with driver.connect(seeded.settings) as conn:
        driver.run(conn, "user_add", name=f"tcp{os.getpid()}", role="client", db_role=role)
        driver.run(
            conn, "user_scope_add", name=f"tcp{os.getpid()}", kind="uc", ref=seeded.ucs["M-B1"]
        )
        driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("s3cret!"))
    try:
        url = cs.tcp_url(seeded.settings.database, role, "s3cret!")
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "select array_agg(distinct serial) from smf_read.meter_15min"
            ).fetchone()
            assert row == (["M-B1"],)
    finally:
        with psycopg.connect(seeded.settings.url, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")
