"""Helpers for storage tests: a small registry, table fingerprints, CSV files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from db.settings import REPO_ROOT

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


def smf_cli(
    url: str, *argv: str, timeout: float = 120, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `smf ARGV` as a separate process against the database at `url`."""
    env = {**os.environ, "SMF_DATABASE_URL": url, **(extra_env or {})}
    env.pop("SMF_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=timeout,
    )


def smf_cli_start(url: str, *argv: str) -> subprocess.Popen[str]:
    """Start `smf ARGV` as a separate process (for concurrency tests); communicate() to end it."""
    env = {**os.environ, "SMF_DATABASE_URL": url}
    env.pop("SMF_DEBUG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "smf.cli", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A refused command: non-zero exit, no traceback, one line on stderr containing `needles`."""
    err = proc.stderr.strip()
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in err.splitlines() if not ln.startswith("database: ")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]
