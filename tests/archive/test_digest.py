"""The values digest of the archive (`smf-values-sha256/1`): independent of how the rows are cut
into row groups, and sensitive to every value, every null and every string."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from db import archive


def _table(active: list[int | None], quality: str = "measured") -> pa.Table:
    n = len(active)
    t0 = int(datetime(2026, 10, 1, 3, tzinfo=UTC).timestamp()) * 1_000_000
    cols = {c: pa.array([0] * n, pa.int32()) for c in archive.CHANNEL_COLUMNS}
    cols["active_fwd_wh"] = pa.array(active, pa.int32())
    return pa.Table.from_arrays(
        [
            pa.array(["59000001"] * n),
            pa.array([t0 + i * 300_000_000 for i in range(n)], pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            *(cols[c] for c in archive.CHANNEL_COLUMNS),
            pa.array([quality] * n),
            pa.array(["meter"] * n),
        ],
        schema=archive.SCHEMA,
    )


def _digest(*tables: pa.Table) -> str:
    d = archive.Digest()
    for t in tables:
        d.update(t)
    return d.hexdigest()


def test_the_digest_does_not_depend_on_row_groups() -> None:
    t = _table([10, 20, None, 40, 50, 60, 70])
    whole = _digest(t)
    assert _digest(t.slice(0, 3), t.slice(3, 1), t.slice(4)) == whole
    assert _digest(t.slice(0, 0), t) == whole  # an empty slice adds nothing


def test_every_value_null_and_string_changes_the_digest() -> None:
    base = _digest(_table([10, 20, 30]))
    assert _digest(_table([10, 21, 30])) != base  # one Wh
    assert _digest(_table([10, 0, 30])) != _digest(_table([10, None, 30]))  # 0 is not empty
    assert _digest(_table([10, 20, 30], quality="adjusted")) != base
    assert _digest(_table([10, 20])) != base  # a row less
    # Two strings moved across their boundary ("ab","c" against "a","bc") differ too.
    a = _table([1, 2]).set_column(0, "meter_serial", pa.array(["ab", "c"]))
    b = _table([1, 2]).set_column(0, "meter_serial", pa.array(["a", "bc"]))
    assert _digest(a) != _digest(b)
