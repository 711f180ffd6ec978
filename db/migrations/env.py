"""Alembic environment: run the revisions, then re-apply every db/functions/*.sql file.

Revisions hold one-time DDL (tables, hypertables, indexes, drops). Functions are idempotent
(`create or replace` only) and re-applied after every upgrade in the same transaction, so the
functions in the database are always those of the checkout.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from db import functions as sql_functions
from db.driver import sqlalchemy_url
from db.settings import load

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("url") or sqlalchemy_url(load().url)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, transactional_ddl=True, version_table_schema="public"
        )
        with context.begin_transaction():
            context.run_migrations()
            # After a downgrade to base there is no schema to put functions in.
            wanted = config.attributes.get("apply_functions", True)
            if (
                wanted
                and connection.exec_driver_sql(
                    "select 1 from pg_namespace where nspname = 'smf'"
                ).first()
            ):
                sql_functions.apply_all(connection)


if context.is_offline_mode():
    raise SystemExit("offline mode is not supported: migrations apply SQL files to a live database")
run_migrations_online()
