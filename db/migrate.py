"""Programmatic migrations: upgrade to head (functions re-applied), current revision, heads."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from db.driver import sqlalchemy_url
from db.settings import REPO_ROOT, Settings, load


def alembic_config(settings: Settings | None = None) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["url"] = sqlalchemy_url((settings or load()).url)
    return cfg


def upgrade(settings: Settings | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings | None = None, revision: str = "base") -> None:
    cfg = alembic_config(settings)
    cfg.attributes["apply_functions"] = False  # they may name tables the downgrade dropped
    command.downgrade(cfg, revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())
