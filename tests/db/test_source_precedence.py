"""Source precedence (smf.source_precedence, revision 0004): which stored row an incoming one may
replace, history kept, and every measured disagreement between sources recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from db import driver
from db.ingest import IngestResult, IntervalRow, ingest_rows
from db.settings import Settings
from tests.db.helpers import query

T = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


def put(s: Settings, source: str, kwh: float, quality: str = "measured") -> IngestResult:
    with driver.connect(s) as conn:
        row = IntervalRow(ts=T, meter_serial="M1", values={"active_fwd_kwh": kwh},
                          quality=quality, source=source)  # fmt: skip
        return ingest_rows(conn, [row], source=source)


def stored(s: Settings) -> tuple[object, ...]:
    rows = query(
        s.url, "select active_fwd_wh, source::text, quality::text from smf.interval_reading"
    )
    assert len(rows) == 1
    return rows[0]


# (first source, quality, second source, quality, expected stored source after both)
# first writes 1.000 kWh, second 1.100 kWh.
CASES = [
    ("import", "measured", "meter", "measured", "meter"),  # a meter read wins over an import
    ("meter", "measured", "import", "measured", "meter"),  # ... in either order
    ("meter", "measured", "estimate", "estimated", "meter"),  # (a) estimate never over measured
    ("meter", "measured", "backup_meter", "adjusted", "meter"),  # (a) nor a backup fill
    ("import", "measured", "backup_meter", "adjusted", "import"),
    ("estimate", "estimated", "meter", "measured", "meter"),  # (b) real data replaces estimate
    ("estimate", "estimated", "import", "measured", "import"),
    ("backup_meter", "adjusted", "meter", "measured", "meter"),
    ("meter", "measured", "manual", "adjusted", "manual"),  # (c) manual edit applies
    ("manual", "adjusted", "meter", "measured", "manual"),  # ... and a later poll keeps it
    ("import", "measured", "import", "measured", "import"),  # same source: a correction
]


@pytest.mark.slow
@pytest.mark.parametrize(("src1", "q1", "src2", "q2", "winner"), CASES)
def test_precedence(meters: Settings, src1: str, q1: str, src2: str, q2: str, winner: str) -> None:
    put(meters, src1, 1.0, q1)
    second = put(meters, src2, 1.1, q2)
    got = stored(meters)
    assert got[1] == winner
    replaced = winner == src2
    assert got[0] == (1100 if replaced else 1000)
    assert second.updated == (1 if replaced else 0)
    # history keeps the superseded row, and only then
    hist = query(meters.url, "select active_fwd_wh, source::text from smf.interval_reading_history")
    assert hist == ([(1000, src1)] if replaced else [])


@pytest.mark.slow
def test_disagreements_are_recorded_whichever_is_kept(meters: Settings) -> None:
    put(meters, "import", 1.0)
    put(meters, "meter", 1.1)  # meter wins: kept 'incoming'
    put(meters, "import", 1.2)  # import loses: kept 'stored'
    put(meters, "estimate", 0.5, "estimated")  # not a measured value: no disagreement
    rows = query(
        meters.url,
        "select channel, stored_value, stored_source::text, incoming_value, "
        "incoming_source::text, kept from smf.reading_disagreement order by id",
    )
    assert rows == [
        ("active_fwd_wh", 1000, "import", 1100, "meter", "incoming"),
        ("active_fwd_wh", 1100, "meter", 1200, "import", "stored"),
    ]
    assert stored(meters)[:2] == (1100, "meter")


@pytest.mark.slow
def test_precedence_is_configurable(meters: Settings) -> None:
    with psycopg.connect(meters.url) as conn:
        conn.execute("update smf.source_precedence set rank = 45 where source = 'import'")
    put(meters, "meter", 1.0)
    put(meters, "import", 1.1)
    assert stored(meters)[:2] == (1100, "import")
    kept = query(meters.url, "select kept from smf.reading_disagreement")
    assert kept == [("incoming",)]
