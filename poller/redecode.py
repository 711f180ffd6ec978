"""Re-decode stored raw reads (smf.raw_read) with a meter's current mass-memory layout and
correct its intervals through the normal ingest path (db.ingest.ingest_rows: changed rows are
updated, the old versions kept in smf.interval_reading_history, rollups refreshed). No re-read of
the meter. Used when a layout is decided late (poller/store.py, in the deciding read's
transaction), when an operator changes it (`smf meter set --layout`), and by
`smf meter redecode SERIAL [--from --to]`.

A raw read is the concatenation of the session's 256-octet response bodies in arrival order; a
mass-memory answer is the run of 0x26/0x27/0x52 blocks after the parameter block (0x21, 0x22 or
0x51) that announced its word count, as :meth:`MeterClient.read_mass_memory` reads them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import driver
from db.ingest import IntervalRow, ingest_rows
from poller.protocol.client import GroupData, Interval, MeterClient
from poller.protocol.codec.massmem import (
    MASS_MEMORY_CODES,
    assemble_data,
    decode_mass_memory_block,
)
from poller.protocol.codec.mmlayout import Layout
from poller.protocol.codec.params import PARAMETER_CODES, decode_parameters

BODY = 256
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
FOREVER = datetime.fromisoformat("9999-01-01T00:00:00+00:00")


class _NoSession:
    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        raise RuntimeError("re-decoding never talks to a meter")


@dataclass(frozen=True, slots=True)
class Redecoded:
    reads: int
    intervals: int
    updated: int
    inserted: int


def split_bodies(blob: bytes) -> list[bytes]:
    data = zlib.decompress(blob)
    if len(data) % BODY:
        raise ValueError(f"raw read of {len(data)} octets is not a whole number of bodies")
    return [data[i : i + BODY] for i in range(0, len(data), BODY)]


def decode_raw(bodies: list[bytes], layout: Layout, utc_offset_minutes: int) -> list[Interval]:
    """Every interval of one raw read under ``layout``, one per start (later answers win)."""
    from datetime import timedelta

    client = MeterClient(_NoSession(), utc_offset=timedelta(minutes=utc_offset_minutes))
    got: dict[datetime, Interval] = {}
    param = None
    i = 0
    while i < len(bodies):
        code = bodies[i][0]
        if code in PARAMETER_CODES:
            param = client._learn(decode_parameters(bodies[i]))
            i += 1
            continue
        if code not in MASS_MEMORY_CODES or param is None:
            i += 1
            continue
        run = []
        while i < len(bodies) and bodies[i][0] == code:
            blk = decode_mass_memory_block(bodies[i])
            run.append(blk)
            i += 1
            if blk.last:
                break
        previous = code == 0x27
        n = param.words_previous if previous else param.words_current
        group = GroupData(0 if code != 0x52 else 1, param, assemble_data(run, n))
        mm = client.decode_groups(param.meter_serial, previous, [group], layout, [param])
        for iv in mm.intervals:
            row = got.setdefault(iv.start, Interval(iv.start, dict(iv.values)))
            row.values.update({k: v for k, v in iv.values.items() if v is not None})
    return [got[t] for t in sorted(got)]


def redecode(
    conn: driver.Connection,
    meter: Any,
    layout: Layout,
    lo: datetime | None = None,
    hi: datetime | None = None,
    only_other_layouts: bool = False,
) -> Redecoded:
    """Re-decode the raw reads of ``meter`` (a MeterInfo) holding intervals in [lo, hi) and
    ingest the intervals in that range. ``only_other_layouts``: skip reads already decoded with
    ``layout``. Runs in the caller's transaction."""
    lo_, hi_ = lo or EPOCH, hi or FOREVER
    reads = driver.run(conn, "poll_raw_reads", meter_id=meter.id, lo=lo_, hi=FOREVER)
    n_reads = n_int = updated = inserted = 0
    for r in reads:
        if only_other_layouts and r["layout"] == layout.value:
            continue
        intervals = decode_raw(split_bodies(r["blocks"]), layout, meter.utc_offset_minutes)
        rows = [
            IntervalRow(
                ts=iv.start,
                meter_id=meter.id,
                values={k: v for k, v in iv.values.items() if v is not None},
                quality="measured",
                source="meter",
            )
            for iv in intervals
            if lo_ <= iv.start < hi_
        ]
        n_reads += 1
        if rows:
            origin = f"redecode {meter.serial} read {r['read_at'].isoformat()} as {layout.value}"
            res = ingest_rows(conn, rows, source="meter", origin=origin)
            n_int += len(rows)
            updated += res.updated
            inserted += res.inserted
        driver.run(
            conn,
            "poll_raw_read_layout",
            meter_id=meter.id,
            read_at=r["read_at"],
            layout=layout.value,
        )
    return Redecoded(n_reads, n_int, updated, inserted)
