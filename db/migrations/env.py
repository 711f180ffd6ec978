"""Alembic environment: run the revisions; at head, re-apply every db/functions/*.sql file.

Revisions hold one-time DDL (tables, hypertables, indexes, drops) and are frozen once released:
what SQL they need while migrating they read from their own frozen copies
(db/migrations/frozen/NNNN/). The live functions are idempotent (`create or replace` only) and are
re-applied in the same transaction only when the database ends at head, so the functions in the
database are those of the checkout, and an edit to a function file cannot break an intermediate
revision. One migration runs at a time (a transaction-level advisory lock).
"""

from __future__ import annotations

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from db import functions as sql_functions
from db.driver import sqlalchemy_url
from db.settings import load

config = context.config
MIGRATION_LOCK = 0x534D46  # "SMF": pg_advisory_xact_lock key held while migrating


def _at_head() -> bool:
    have = set(context.get_context().get_current_heads())
    return have == set(ScriptDirectory.from_config(config).get_heads())


def run_migrations_online() -> None:
    url = config.attributes.get("url") or sqlalchemy_url(load().url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, transactional_ddl=True, version_table_schema="public"
        )
        with context.begin_transaction():
            connection.exec_driver_sql(f"select pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.run_migrations()
            # After a downgrade to base there is no schema to put functions in.
            wanted = config.attributes.get("apply_functions", True)
            if (
                wanted
                and _at_head()
                and connection.exec_driver_sql(
                    "select 1 from pg_namespace where nspname = 'smf'"
                ).first()
            ):
                sql_functions.apply_all(connection)


if context.is_offline_mode():
    raise SystemExit("offline mode is not supported: migrations apply SQL files to a live database")
run_migrations_online()
