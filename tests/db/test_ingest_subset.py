"""A file that names some channels leaves the others as stored (once: erased to NULL).

Rules (README, "Import"): a column the file does not name leaves the stored channel as it is; an
empty field leaves it too (it means "no value here"), except in a row whose source is 'manual',
where an empty field deliberately clears the stored value. History keeps every superseded row.
"""

from __future__ import annotations

import io
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import driver
from db.ingest import ingest_csv, ingest_csv_stream
from db.settings import Settings
from tests.db.helpers import query, write_csv

TS = "2026-10-01T00:00:00-03:00"
STORED = "select active_fwd_wh, reactive_ind_fwd_varh, source::text from smf.interval_reading"


def _store_first(meters: Settings, tmp_path: Path) -> None:
    ingest_csv(
        write_csv(
            tmp_path / "first.csv",
            "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh",
            f"M1,{TS},1.000,0.500",
        ),
        settings=meters,
    )


# (header, row, expected active_fwd_wh, reactive_ind_fwd_varh, source) over stored 1000 Wh /
# 500 varh from an import.
CASES = {
    "absent column keeps": (
        "meter_serial,ts,reactive_ind_fwd_kvarh",
        f"M1,{TS},0.700",
        (1000, 700, "import"),
    ),
    "empty field keeps": (
        "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh",
        f"M1,{TS},,0.700",
        (1000, 700, "import"),
    ),
    "present value replaces": (
        "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh",
        f"M1,{TS},2.000,0.700",
        (2000, 700, "import"),
    ),
    "manual empty field clears": (
        "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,source",
        f"M1,{TS},,0.700,manual",
        (None, 700, "manual"),
    ),
    "manual absent column keeps": (
        "meter_serial,ts,reactive_ind_fwd_kvarh,source",
        f"M1,{TS},0.700,manual",
        (1000, 700, "manual"),
    ),
    "all fields empty changes nothing": (
        "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh",
        f"M1,{TS},,",
        (1000, 500, "import"),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_second_file_over_stored_row(meters: Settings, tmp_path: Path, case: str) -> None:
    header, row, want = CASES[case]
    _store_first(meters, tmp_path)
    result = ingest_csv(write_csv(tmp_path / "second.csv", header, row), settings=meters)
    assert query(meters.url, STORED) == [want]
    changed = want != (1000, 500, "import")
    assert (result.updated, result.unchanged) == ((1, 0) if changed else (0, 1))
    # the superseded row is in history when (and only when) the row changed
    hist = query(
        meters.url, "select active_fwd_wh, reactive_ind_fwd_varh from smf.interval_reading_history"
    )
    assert hist == ([(1000, 500)] if changed else [])
    # and the rollups follow: the quarter-hour holds the stored value
    assert query(meters.url, "select active_fwd_wh from smf.rollup_15min") == [(want[0],)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("header", "row", "want"),
    [
        ("meter_serial,ts,reactive_ind_fwd_kvarh", f"M1,{TS},0.700", (None, 700, "import")),
        ("meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh", f"M1,{TS},,0.7",
         (None, 700, "import")),
        ("meter_serial,ts,active_fwd_kwh", f"M1,{TS},3", (3000, None, "import")),
    ],
)  # fmt: skip
def test_new_row_stores_what_is_given(
    meters: Settings, tmp_path: Path, header: str, row: str, want: tuple[object, ...]
) -> None:
    ingest_csv(write_csv(tmp_path / "a.csv", header, row), settings=meters)
    assert query(meters.url, STORED) == [want]


@pytest.mark.slow
def test_poller_rows_leave_other_channels(meters: Settings, tmp_path: Path) -> None:
    """Rows (the poller's and the public-format path) name their channels by their keys."""
    from datetime import UTC, datetime

    from db.ingest import IntervalRow, ingest_rows

    _store_first(meters, tmp_path)
    with driver.connect(meters) as conn:
        ingest_rows(
            conn,
            [IntervalRow(ts=datetime(2026, 10, 1, 3, tzinfo=UTC), meter_serial="M1",
                         values={"reactive_ind_fwd_kvarh": 0.9})],
            source="import",
        )  # fmt: skip
    assert query(meters.url, STORED) == [(1000, 900, "import")]


CHANNELS = ["active_fwd_kwh", "active_rev_kwh", "reactive_ind_fwd_kvarh", "voltage_a_v"]
COLUMN = {
    "active_fwd_kwh": "active_fwd_wh",
    "active_rev_kwh": "active_rev_wh",
    "reactive_ind_fwd_kvarh": "reactive_ind_fwd_varh",
    "voltage_a_v": "voltage_a_mv",
}
cell = st.one_of(st.none(), st.integers(0, 5000))  # None: empty field; n: n/1000 kWh
files = st.dictionaries(st.sampled_from(CHANNELS), cell, min_size=1)


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(first=files, second=files)
def test_import_never_changes_a_channel_its_file_does_not_name(
    meters: Settings, first: dict[str, int | None], second: dict[str, int | None]
) -> None:
    def csv(cells: dict[str, int | None]) -> io.BytesIO:
        names = sorted(cells)
        values = ["" if cells[n] is None else f"{cells[n] / 1000:.3f}" for n in names]
        return io.BytesIO(
            f"meter_serial,ts,{','.join(names)}\nM1,{TS},{','.join(values)}\n".encode()
        )

    with psycopg.connect(meters.url) as conn:
        ingest_csv_stream(conn, csv(first))
        ingest_csv_stream(conn, csv(second))
        cols = ", ".join(COLUMN[c] for c in CHANNELS)
        row = conn.execute(f"select {cols} from smf.interval_reading").fetchone()
        conn.rollback()
    assert row is not None
    for name, got in zip(CHANNELS, row, strict=True):
        # a value the second file gives wins; absent or empty there: the first file's
        want = second[name] if second.get(name) is not None else first.get(name)
        assert got == want, (name, first, second)
