"""Only `smf db migrate` (and set-up) migrates; every other command checks the schema is at head.

Each CLI case runs `smf` as a separate process: one clear line and a non-zero exit when refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from db import migrate
from db.errors import SchemaNotAtHead
from db.settings import Settings
from tests.db.helpers import (
    assert_one_line_error,
    query,
    smf_cli,
    smf_cli_start,
    write_csv,
)

HEADER = "meter_serial,ts,active_fwd_kwh"


def day_rows(serial: str, day: str = "2026-10-01", kwh: str = "1.000") -> list[str]:
    """288 five-minute rows of one local day (-03:00)."""
    return [f"{serial},{day}T{m // 60:02d}:{m % 60:02d}:00-03:00,{kwh}" for m in range(0, 1440, 5)]


@pytest.mark.slow
def test_require_head_passes_at_head(db_settings: Settings) -> None:
    migrate.require_head(db_settings)  # raises otherwise


@pytest.mark.slow
def test_require_head_names_both_revisions(db_settings: Settings) -> None:
    migrate.downgrade(db_settings, "0002")
    head = migrate.heads()[0]
    with pytest.raises(
        SchemaNotAtHead, match=rf"at revision 0002, .*head is {head}: run `smf db migrate`"
    ):
        migrate.require_head(db_settings)
    migrate.downgrade(db_settings, "base")
    with pytest.raises(SchemaNotAtHead, match=r"revision none \(never migrated\)"):
        migrate.require_head(db_settings)


@pytest.mark.slow
def test_cli_import_refuses_a_schema_behind_head_and_does_not_migrate(
    meters: Settings, tmp_path: Path
) -> None:
    migrate.downgrade(meters, "0002")
    path = write_csv(tmp_path / "a.csv", HEADER, *day_rows("M1"))
    proc = smf_cli(meters.url, "import", "--quiet", str(path))
    assert_one_line_error(proc, "revision 0002", "run `smf db migrate`")
    assert migrate.current(meters) == ["0002"]  # the import did not migrate
    ok = smf_cli(meters.url, "db", "migrate")
    assert ok.returncode == 0, ok.stderr
    assert migrate.current(meters) == migrate.heads()


@pytest.mark.slow
def test_cli_refuses_a_schema_ahead_of_the_checkout(meters: Settings, tmp_path: Path) -> None:
    with psycopg.connect(meters.url) as conn:
        conn.execute("update public.alembic_version set version_num = '9999'")
    path = write_csv(tmp_path / "a.csv", HEADER, *day_rows("M1"))
    proc = smf_cli(meters.url, "import", "--quiet", str(path))
    assert_one_line_error(proc, "revision 9999", "does not know", "update the checkout")


@pytest.mark.slow
def test_analyst_view_on_documented_view_survives_import_and_migrate(
    meters: Settings, tmp_path: Path
) -> None:
    with psycopg.connect(meters.url) as conn:
        conn.execute("create schema analyst")
        conn.execute(
            "create view analyst.monthly_kwh as select serial, bucket_start, active_fwd_kwh "
            "from smf.meter_monthly"
        )
    path = write_csv(tmp_path / "a.csv", HEADER, *day_rows("M1"))
    proc = smf_cli(meters.url, "import", "--quiet", str(path))
    assert proc.returncode == 0, proc.stderr
    again = smf_cli(meters.url, "db", "migrate")  # re-applies the views in place
    assert again.returncode == 0, again.stderr
    # 288 intervals x 1.000 kWh = 288.000 kWh in October 2026, through the analyst's view
    got = query(meters.url, "select serial, active_fwd_kwh::text from analyst.monthly_kwh")
    assert got == [("M1", "288.000")]


@pytest.mark.slow
def test_view_shape_change_names_the_dependent_objects(meters: Settings) -> None:
    """When re-applying would change a documented view's shape, the migration fails with one
    line naming the analyst's objects, and changes nothing."""
    with psycopg.connect(meters.url) as conn:
        # stand-in for an older shape: meter_monthly with a column of another type
        conn.execute("drop view smf.meter_monthly")
        conn.execute(
            "create view smf.meter_monthly as select 1::int as meter_id, 'x'::varchar(5) as serial"
        )
        conn.execute("create schema analyst")
        conn.execute("create view analyst.mine as select serial from smf.meter_monthly")
    proc = smf_cli(meters.url, "db", "migrate")
    assert_one_line_error(proc, "smf.meter_monthly changes shape", "analyst.mine")
    assert query(meters.url, "select count(*) from analyst.mine") == [(1,)]


@pytest.mark.slow
def test_import_is_not_blocked_by_an_idle_in_transaction_reader(
    meters: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, *day_rows("M1"))
    with psycopg.connect(meters.url) as reader:
        reader.execute("select count(*) from smf.meter_monthly")  # now idle in transaction
        started = time.monotonic()
        proc = smf_cli(meters.url, "import", "--quiet", str(path), timeout=60)
        took = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr
        assert "288 rows: 288 inserted" in proc.stdout
        reader.rollback()
    print(f"288-row import beside an idle-in-transaction reader: {took:.1f} s")


@pytest.mark.slow
def test_concurrent_cli_imports_both_succeed(meters: Settings, tmp_path: Path) -> None:
    """Two `smf import` started together (once: `tuple concurrently updated` from the
    migrations both ran) both store their rows, three times over."""
    for trial in range(3):
        day = f"2026-10-0{trial + 1}"
        a = write_csv(tmp_path / f"a{trial}.csv", HEADER, *day_rows("M1", day))
        b = write_csv(tmp_path / f"b{trial}.csv", HEADER, *day_rows("M2", day))
        procs = [smf_cli_start(meters.url, "import", "--quiet", str(p)) for p in (a, b)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err
            assert "288 rows: 288 inserted" in out
    # 2 meters x 3 days x 288 intervals
    assert query(meters.url, "select count(*) from smf.interval_reading") == [(1728,)]


@pytest.mark.slow
def test_import_beside_poll_once(meters: Settings, tmp_path: Path) -> None:
    """`smf poll --once` started with an import: both finish (no meter is due to poll)."""
    path = write_csv(tmp_path / "a.csv", HEADER, *day_rows("M1"))
    with psycopg.connect(meters.url) as conn:
        conn.execute("update smf.meter set poll_schedule = 'never'")
    procs = [
        smf_cli_start(meters.url, "import", "--quiet", str(path)),
        smf_cli_start(meters.url, "poll", "--once"),
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert procs[0].returncode == 0, outs[0][1]
    assert "288 rows: 288 inserted" in outs[0][0]
    assert "Traceback" not in outs[1][1], outs[1][1]
    assert procs[1].returncode == 0, outs[1][1]


@pytest.mark.slow
def test_db_psql_passes_its_arguments(meters: Settings) -> None:
    proc = smf_cli(meters.url, "db", "psql", "--", "-Atc", "select 6 * 7")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "42"
