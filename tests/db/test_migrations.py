"""Migrations: one head, a migrated database equals the declared schema, down and up again."""

from __future__ import annotations

import difflib

import psycopg

from db import migrate, schema
from db.settings import Settings


def test_single_head() -> None:
    assert len(migrate.heads()) == 1, migrate.heads()


def test_migrated_schema_equals_declared(db_settings: Settings) -> None:
    got = schema.dump(db_settings)
    want = schema.SCHEMA_FILE.read_text()
    diff = "\n".join(
        difflib.unified_diff(
            want.splitlines(), got.splitlines(), "declared", "migrated", lineterm="", n=1
        )
    )
    assert got == want, f"run `smf db schema --write` after a migration:\n{diff[:4000]}"


def test_downgrade_then_upgrade_equals_fresh_install(db_settings: Settings) -> None:
    fresh = schema.dump(db_settings)
    migrate.downgrade(db_settings, "base")
    with psycopg.connect(db_settings.url) as conn:
        gone = conn.execute("select count(*) from pg_namespace where nspname = 'smf'").fetchone()
    assert gone == (0,)
    migrate.upgrade(db_settings)
    assert schema.dump(db_settings) == fresh
