"""Helpers for storage tests: a small registry, table fingerprints, CSV files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

TABLES = (
    "interval_reading",
    "interval_reading_history",
    "rollup_15min",
    "rollup_hour",
    "rollup_day",
    "rollup_month",
)


def add_meters(url: str, *serials: str, interval: int = 5, max_power_kw: float = 1000) -> None:
    with psycopg.connect(url) as conn:
        for serial in serials:
            conn.execute(
                "insert into smf.meter (serial, interval_minutes, max_power_kw, channel_map) "
                "values (%s, %s, %s, %s)",
                (
                    serial,
                    interval,
                    max_power_kw,
                    [
                        "active_fwd_kwh",
                        "active_rev_kwh",
                        "reactive_ind_fwd_kvarh",
                        "reactive_cap_fwd_kvarh",
                        "voltage_a_v",
                        "current_a_a",
                    ],
                ),
            )


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every stored-data table: equal fingerprints mean nothing changed."""
    out = {}
    with psycopg.connect(url) as conn:
        for t in TABLES:
            row = conn.execute(
                f"select count(*), coalesce(md5(string_agg(x::text, '|' order by x::text)), '') "
                f"from smf.{t} x"
            ).fetchone()
            assert row is not None
            out[t] = (row[0], row[1])
    return out


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()
