"""The start-up check: the API refuses to serve a database whose schema is not at head.

check_schema_at_head is the one function to point at db.migrate.require_head once the
migration-hardening work lands (it raises with the same meaning).
"""

from __future__ import annotations

from functools import cache

from db import driver, migrate
from db.settings import Settings


class SchemaNotAtHead(RuntimeError):
    """The database is behind (or ahead of) the code: run `smf db migrate`."""


@cache
def heads() -> frozenset[str]:
    return frozenset(migrate.heads())


def is_head(revision: str | None) -> bool:
    return revision in heads()


def check_schema_at_head(settings: Settings) -> None:
    """Raise SchemaNotAtHead unless the database's Alembic revision is the code's head.
    Raises db.errors.DatabaseUnavailable when the database cannot be reached."""
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "api_health")
    revision = row["revision"] if row else None
    if not is_head(revision):
        raise SchemaNotAtHead(
            f"database {settings.database} is at revision {revision or 'none'}, the code's head "
            f"is {', '.join(sorted(heads()))}: run `smf db migrate` first"
        )
