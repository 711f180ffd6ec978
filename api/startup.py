"""The start-up check: the API refuses to serve a database whose schema is not at head.

It is db.migrate.require_head, the check every command but `smf db migrate` makes; `is_head`
serves /health.
"""

from __future__ import annotations

from functools import cache

from db import migrate
from db.errors import SchemaNotAtHead
from db.settings import Settings

__all__ = ["SchemaNotAtHead", "check_schema_at_head", "heads", "is_head"]


@cache
def heads() -> frozenset[str]:
    return frozenset(migrate.heads())


def is_head(revision: str | None) -> bool:
    return revision in heads()


def check_schema_at_head(settings: Settings) -> None:
    """Raise db.errors.SchemaNotAtHead (naming both revisions) unless the database is at the
    code's head. Raises db.errors.DatabaseUnavailable when the database cannot be reached."""
    migrate.require_head(settings)
