"""Idempotent SQL (create or replace only), applied in file-name order after every migration."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

FUNCTIONS_DIR = Path(__file__).resolve().parent


def files() -> list[Path]:
    return sorted(FUNCTIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def apply_file(connection: Connection, path: Path) -> None:
    # One simple query (no parameters): dollar quotes and many statements are fine.
    connection.connection.driver_connection.execute(path.read_text())  # type: ignore[union-attr]


def apply_all(connection: Connection) -> None:
    """Every file in name order, then the catalogue (db/catalogue.py: the month overloads and a
    COMMENT ON for every function and view, from the banner above each definition)."""
    from db import catalogue

    connection.execute(text("set local check_function_bodies = off"))
    for path in files():
        apply_file(connection, path)
    catalogue.apply(connection.connection.driver_connection, files())
