"""Back-fill mode (issue 19 item 7): `smf import --backfill FILE...` loads history without VEE
validation or alarm evaluation in each file's transaction, then validates each meter-month the
files touched ONCE, over the whole local days they loaded in that month (the hull: a day between
two loaded days of the month counts as missing). What it finds equals what per-batch validation
finds over the same files. Local time is America/Sao_Paulo (-03:00, no DST)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from db.ingest import MonthSpan, ingest_csv, validate_months
from db.settings import Settings
from smf import cli
from tests.vee.conftest import findings, local, meter


def day_csv(serial: str, day: str, *, skip: set[int] = frozenset(), spike_at: int | None = None):
    """288 five-minute rows of local day `day`: interval i carries (i + 1) Wh of active energy,
    15 kWh at `spike_at`, none at the indexes in `skip`."""
    d0 = local(f"{day} 00:00")
    lines = ["meter_serial,ts,active_fwd_kwh"]
    for i in range(288):
        if i in skip:
            continue
        kwh = "15.0" if i == spike_at else f"{(i + 1) / 1000:.3f}"
        lines.append(f"{serial},{(d0 + timedelta(minutes=5 * i)).isoformat()},{kwh}")
    return "\n".join(lines) + "\n"


def two_files(tmp_path: Path, serial: str) -> tuple[Path, Path]:
    """31 October with a spike at 08:20 local; 1 November without 00:50 and 00:55."""
    a, b = tmp_path / f"{serial}-oct31.csv", tmp_path / f"{serial}-nov01.csv"
    a.write_text(day_csv(serial, "2026-10-31", spike_at=100))
    b.write_text(day_csv(serial, "2026-11-01", skip={10, 11}))
    return a, b


def new_meter(settings: Settings, serial: str) -> int:
    with psycopg.connect(settings.url) as c:
        return meter(c, serial)


def rows_and_findings(settings: Settings, meter_id: int) -> tuple[int, list[tuple[Any, ...]]]:
    with psycopg.connect(settings.url) as c:
        n = c.execute(
            "select count(*) from smf.interval_reading where meter_id = %s", (meter_id,)
        ).fetchone()[0]
        return n, [(f[0], f[1], f[2]) for f in findings(c, meter_id)]


def test_a_backfill_stores_every_row_and_validates_each_meter_month_once(
    db_settings: Settings, tmp_path: Path
):
    m = new_meter(db_settings, "BF-1")
    a, b = two_files(tmp_path, "BF-1")
    ra = ingest_csv(a, settings=db_settings, backfill=True)
    rb = ingest_csv(b, settings=db_settings, backfill=True)
    # stored (288 + 286 rows), nothing validated yet
    assert (ra.inserted, rb.inserted) == (288, 286)
    assert rows_and_findings(db_settings, m) == (574, [])
    # each file names the local month it touched and the whole local days it loaded there
    assert ra.months == (
        MonthSpan(
            m, "BF-1", date(2026, 10, 1), local("2026-10-31 00:00"), local("2026-11-01 00:00")
        ),
    )
    assert rb.months == (
        MonthSpan(
            m, "BF-1", date(2026, 11, 1), local("2026-11-01 00:00"), local("2026-11-02 00:00")
        ),
    )
    # validated once per meter-month, however often a month is named
    done = validate_months([*ra.months, *rb.months, *ra.months], settings=db_settings)
    assert (done.meter_months, done.errors) == (2, ())
    _, found = rows_and_findings(db_settings, m)
    assert found == [
        ("spike", local("2026-10-31 08:20"), local("2026-10-31 08:25")),
        ("missing", local("2026-11-01 00:50"), local("2026-11-01 01:00")),
    ]
    assert (done.found, done.new) == (2, 2)


def test_a_backfill_finds_what_validation_per_batch_finds(db_settings: Settings, tmp_path: Path):
    per_batch, backfill = new_meter(db_settings, "PB-1"), new_meter(db_settings, "BF-2")
    for f in two_files(tmp_path, "PB-1"):
        ingest_csv(f, settings=db_settings)
    spans: list[MonthSpan] = []
    for f in two_files(tmp_path, "BF-2"):
        spans += ingest_csv(f, settings=db_settings, backfill=True).months
    validate_months(spans, settings=db_settings)
    assert rows_and_findings(db_settings, backfill) == rows_and_findings(db_settings, per_batch)


def test_a_day_between_two_loaded_days_of_a_month_is_missing(db_settings: Settings, tmp_path):
    m = new_meter(db_settings, "BF-3")
    spans: list[MonthSpan] = []
    for day in ("2026-11-01", "2026-11-03"):  # 2 November is not in any file
        f = tmp_path / f"{day}.csv"
        f.write_text(day_csv("BF-3", day))
        spans += ingest_csv(f, settings=db_settings, backfill=True).months
    done = validate_months(spans, settings=db_settings)
    assert done.meter_months == 1  # one meter-month: 1 to 3 November, validated once
    _, found = rows_and_findings(db_settings, m)
    assert found == [("missing", local("2026-11-02 00:00"), local("2026-11-03 00:00"))]


def test_a_backfill_evaluates_no_alarm_while_loading(db_settings: Settings, tmp_path: Path):
    """Shown with an alarm evaluation planted to raise: it raises (a job_run error row) for a
    normal import, and is never called for a back-fill."""
    new_meter(db_settings, "AL-1")
    new_meter(db_settings, "AL-2")
    with psycopg.connect(db_settings.url) as c:
        c.execute(
            "alter function smf.alarm_eval_intervals(int[], timestamptz[], timestamptz[])"
            " rename to alarm_eval_intervals_real"
        )
        c.execute(
            "create function smf.alarm_eval_intervals(p_m int[], p_lo timestamptz[],"
            " p_hi timestamptz[]) returns void language plpgsql as $$ begin"
            " raise exception using errcode = '22003', message = 'planted'; end $$"
        )
    normal, history = tmp_path / "n.csv", tmp_path / "h.csv"
    normal.write_text(day_csv("AL-1", "2026-11-01"))
    history.write_text(day_csv("AL-2", "2026-11-01"))

    def alarm_errors() -> int:
        with psycopg.connect(db_settings.url) as c:
            return c.execute(
                "select count(*) from smf.job_run where job = 'alarm_eval' and outcome = 'error'"
            ).fetchone()[0]

    ingest_csv(history, settings=db_settings, backfill=True)
    assert alarm_errors() == 0
    ingest_csv(normal, settings=db_settings)
    assert alarm_errors() == 1


def test_the_cli_loads_several_files_then_validates(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
):
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    m = new_meter(db_settings, "BF-4")
    a, b = two_files(tmp_path, "BF-4")
    assert cli.main(["import", "--quiet", "--backfill", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "288 inserted" in out and "286 inserted" in out
    assert "back-fill: loaded without validation or alarms; validating 2 meter-month(s)" in out
    assert "back-fill: validated 2 meter-month(s): 2 finding(s), 2 new" in out
    assert [f[0] for f in rows_and_findings(db_settings, m)[1]] == ["spike", "missing"]


def test_a_rejected_file_still_leaves_the_files_before_it_validated(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
):
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    m = new_meter(db_settings, "BF-6")
    a, _ = two_files(tmp_path, "BF-6")
    bad = tmp_path / "bad.csv"
    bad.write_text("meter_serial,ts,active_fwd_kwh\nBF-6,2026-11-01T00:00:00-03:00,not-a-number\n")
    assert cli.main(["import", "--quiet", "--backfill", str(a), str(bad)]) != 0
    captured = capsys.readouterr()
    assert "bad.csv: rejected; validating the files loaded before it" in captured.out
    assert "back-fill: validated 1 meter-month(s): 1 finding(s), 1 new" in captured.out
    assert "line 2" in captured.err  # the rejected file's own message
    assert rows_and_findings(db_settings, m) == (
        288,
        [("spike", local("2026-10-31 08:20"), local("2026-10-31 08:25"))],
    )


def test_backfill_refuses_a_file_that_is_not_csv_before_loading_any(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path
):
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    m = new_meter(db_settings, "BF-5")
    a, _ = two_files(tmp_path, "BF-5")
    parquet = tmp_path / "lake.parquet"
    parquet.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    assert cli.main(["import", "--quiet", "--backfill", str(a), str(parquet)]) != 0
    assert "--backfill loads CSV files; lake.parquet is not one" in capsys.readouterr().err
    assert rows_and_findings(db_settings, m) == (0, [])
