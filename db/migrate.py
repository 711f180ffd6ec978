"""Migrations: upgrade to head (functions re-applied there), the current revision, and
`require_head`, the check every command but `smf db migrate` (and set-up) makes before it works.

Only `smf db migrate`, `smf demo` / `make run` and the test fixtures migrate. Everything else (the
CLI verbs, the poller, the API, the jobs) calls `require_head(settings)` and refuses to run against
a schema that is not at this checkout's head: migrating from every command re-created functions
and views under running imports and beside analysts' open transactions.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from db import driver, errors
from db.driver import sqlalchemy_url
from db.settings import REPO_ROOT, Settings, load


def alembic_config(settings: Settings | None = None) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["url"] = sqlalchemy_url((settings or load()).url)
    return cfg


def upgrade(settings: Settings | None = None, revision: str = "head") -> None:
    """Run the revisions up to `revision`; when the database ends at head, re-apply every
    db/functions/*.sql file in the same transaction (db/migrations/env.py). Database errors
    arrive as the domain errors of db.errors (e.g. SMF02 naming objects that depend on a view
    whose shape changes)."""
    with driver.translate_errors():
        command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings | None = None, revision: str = "base") -> None:
    cfg = alembic_config(settings)
    cfg.attributes["apply_functions"] = False  # they may name tables the downgrade dropped
    command.downgrade(cfg, revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current(settings: Settings | None = None) -> list[str]:
    """The revisions recorded in the database (empty when it was never migrated)."""
    with driver.connect(settings) as conn:
        if not driver.run_scalar(conn, "schema_version_table_exists"):
            return []
        return sorted(r["version_num"] for r in driver.run(conn, "schema_versions"))


def require_head(settings: Settings | None = None) -> None:
    """Raise errors.SchemaNotAtHead unless the database is at this checkout's head revision.

    Raises errors.DatabaseUnavailable when the database cannot be reached."""
    have, want = current(settings), sorted(heads())
    if have == want:
        return
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    shown_have = ", ".join(have) or "none (never migrated)"
    shown_want = ", ".join(want)
    if set(have) - known:
        raise errors.SchemaNotAtHead(
            f"the database schema is at revision {shown_have}, which this checkout does not know "
            f"(its head is {shown_want}): update the checkout"
        )
    raise errors.SchemaNotAtHead(
        f"the database schema is at revision {shown_have}, this checkout's head is "
        f"{shown_want}: run `smf db migrate`"
    )
