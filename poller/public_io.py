"""Stored data ↔ ABNT public-format files (poller/protocol/public_format.py).

Export writes one local month of a meter as a reading would have produced it: per channel group
a parameter block (0x21 for group 0, 0x51 for groups 0-3 so a reader finds group g at index g)
followed by its mass memory (0x26 / 0x52), the month being the "current period" opened by a
demand reset at its first local midnight. Values become pulses with the meter's channel
constants (smf.meter.channel_constants, or a power of ten that fits 12 bits). The file spans the
first to the newest stored interval of the month; an interval missing INSIDE that span is
written as 0 pulses, since the format cannot say "missing".

Import decodes a file with the same MeterClient a live read uses (FileSession) and ingests its
intervals through db.ingest.ingest_rows (source 'import'). A file holds pulses: a value is only
known to ± half a pulse (the channel constant). Where the stored value lies within that of the
file's, the stored (finer) value is kept, so exporting and re-importing changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from db import driver
from db.errors import InvalidParameter, NotFound
from db.ingest import IngestResult, IntervalRow, ingest_rows
from db.settings import Settings
from poller import store
from poller.protocol.bcd import day_of_week
from poller.protocol.client import MassMemory, MeterClient
from poller.protocol.codec.massmem import MAX_WORD, encode_mass_memory_blocks, pulses_to_value
from poller.protocol.codec.params import ChannelConstant, Parameters, encode_parameters
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP, QuantityKind
from poller.protocol.errors import CommandNotImplementedError
from poller.protocol.public_format import FileSession, write_public_file

CODE_OF = {name: (code, kind) for code, (name, kind) in DEFAULT_QUANTITY_MAP.items()}


def month_bounds(month: str, utc_offset: timedelta) -> tuple[datetime, datetime]:
    """UTC [start, end) of local month ``YYYY-MM``. Raises InvalidParameter."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise InvalidParameter(f"month {month!r} is not YYYY-MM") from None
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)

    def utc(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=UTC) - utc_offset

    return utc(first), utc(nxt)


def _constant(value: Decimal | None, peak: float) -> ChannelConstant:
    if value is not None and value > 0:
        f = Fraction(value)
        return ChannelConstant(f.numerator, f.denominator)
    k = Fraction(1, 1000)  # Wh resolution, coarser only when the peak does not fit 12 bits
    while peak / k > MAX_WORD:
        k *= 10
    return ChannelConstant(k.numerator, k.denominator)


def _params(
    code: int, serial: str, start: datetime, end: datetime, minutes: int, n: int,
    codes: tuple[int, ...], constants: tuple[ChannelConstant, ...], groups: int,
) -> Parameters:  # fmt: skip
    return Parameters(
        code=code, meter_serial=serial, current_time=end, day_of_week=day_of_week(end.date()),
        last_interval_end=end, last_demand_reset=start, penultimate_demand_reset=None,
        ponta_start=(None,) * 4, fora_ponta_start=(None,) * 4, reservado_start=(None,) * 4,
        words_current=n * 3, words_previous=0, demand_reset_count=0,
        demand_interval_current=15, demand_interval_previous=15, holidays=(None,) * 15,
        constants=constants, battery=0, software_version="0000", model="0000",
        auto_demand_reset=False, auto_demand_reset_day=0, dst_enabled=False,
        dst_winter_end=(0, 0), dst_summer_end=(0, 0), quantity_codes=codes, pf_composition=0,
        time_base=1, mm_interval_min=minutes, mm_interval_s=0, mm_interval_cs=0, tariff_type=0,
        reactive_intervals=(60, 60), pf_reference=(92, 92), tariff_segments=2,
        channel_groups=groups,
    )  # fmt: skip


def export_month(settings: Settings | str | None, serial: str, month: str) -> tuple[bytes, int]:
    """The public-format file of ``serial``'s stored intervals in local month ``month``
    (from its first to its newest stored interval) and the number of intervals written.
    Raises NotFound (unknown meter, no data in the month)."""
    meter = store.meter_by_serial(settings, serial)
    if meter is None:
        raise NotFound(f"no meter with serial {serial!r}")
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "poll_meter_by_serial", serial=serial)
    assert row is not None
    lo, hi = month_bounds(month, meter.utc_offset)
    rows = store.export_intervals(settings, meter.id, lo, hi)
    if not rows:
        raise NotFound(f"meter {serial} has no stored interval in {month}")
    step = meter.step
    # From the first to the newest stored interval: no invented zeros before or after.
    lo, hi = max(lo, rows[0]["ts"]), min(hi, rows[-1]["ts"] + step)
    n = int((hi - lo) / step)
    by_ts = {r["ts"]: r for r in rows}
    names = list(meter.channel_map)
    constants_in: list[Any] = list(row["channel_constants"] or [None] * len(names))
    names += [""] * (-len(names) % 3)  # pad the last group with absent channels
    constants_in += [None] * (len(names) - len(constants_in))
    groups = len(names) // 3
    hours = Fraction(meter.interval_minutes, 60)
    local = lambda t: (t + meter.utc_offset).replace(tzinfo=None)  # noqa: E731
    bodies: list[bytes] = []
    for g in range(groups):
        gnames = names[3 * g : 3 * g + 3]
        codes = tuple(CODE_OF[x][0] if x else 99 for x in gnames)
        consts = []
        for x, c in zip(gnames, constants_in[3 * g : 3 * g + 3], strict=True):
            peak = max((float(r[x] or 0) for r in rows), default=0.0) if x else 0.0
            if x and CODE_OF[x][1] is QuantityKind.HOUR_INTEGRAL:
                peak *= float(hours)
            consts.append(_constant(c, peak) if x else ChannelConstant(0, 0))
        words: list[int] = []
        for i in range(n):
            r = by_ts.get(lo + i * step)
            for x, k in zip(gnames, consts, strict=True):
                v = r.get(x) if (r is not None and x) else None
                if v is None or k.value == 0:
                    words.append(0)
                    continue
                value = Fraction(Decimal(v))
                if CODE_OF[x][1] is QuantityKind.HOUR_INTEGRAL:
                    value *= hours
                words.append(min(MAX_WORD, max(0, round(value / k.value))))
        args = (serial, local(lo), local(hi), meter.interval_minutes, n, codes, tuple(consts))
        if g == 0:
            bodies.append(encode_parameters(_params(0x21, *args, groups)))
            bodies += encode_mass_memory_blocks(0x26, serial, words)
            bodies.append(encode_parameters(_params(0x51, *args, groups)))
        else:
            bodies.append(encode_parameters(_params(0x51, *args, groups)))
            bodies += encode_mass_memory_blocks(0x52, serial, words)
    return write_public_file(bodies), n


async def decode_file(data: bytes, utc_offset: timedelta) -> list[MassMemory]:
    """Mass memory of the current period (and the previous one, if the file holds 0x27)."""
    client = MeterClient(FileSession(data), utc_offset=utc_offset)
    out = [await client.read_mass_memory()]
    with contextlib.suppress(CommandNotImplementedError):  # no previous-period blocks
        out.append(await client.read_mass_memory(previous=True))
    return out


async def import_file(
    settings: Settings | str | None, data: bytes, origin: str
) -> tuple[str, IngestResult]:
    """Ingest a public-format file; returns the meter serial and the ingest result.
    Raises NotFound (meter not registered), DecodeError (not a valid file)."""
    params = await MeterClient(FileSession(data)).read_parameters()
    meter = store.meter_by_serial(settings, params.meter_serial)
    if meter is None:
        raise NotFound(f"{origin}: meter {params.meter_serial} is not registered in smf.meter")
    periods = await decode_file(data, meter.utc_offset)
    resolution = file_resolution(periods)
    starts = [iv.start for mm in periods for iv in mm.intervals]

    def work(conn: driver.Connection) -> IngestResult:
        stored: dict[datetime, dict[str, Any]] = {}
        if starts:
            stored = {
                r["ts"]: r
                for r in driver.run(conn, "poll_export_intervals", meter_id=meter.id,
                                    lo=min(starts), hi=max(starts) + timedelta(seconds=1))
            }  # fmt: skip
        rows = [
            IntervalRow(ts=iv.start, meter_id=meter.id, quality="measured", source="import",
                        values=_at_file_resolution(iv.values, stored.get(iv.start), resolution))
            for mm in periods for iv in mm.intervals
        ]  # fmt: skip
        return ingest_rows(conn, rows, source="import", origin=origin)

    return meter.serial, driver.in_transaction(settings, work)


def file_resolution(periods: list[MassMemory]) -> dict[str, float]:
    """Per quantity, the value of one pulse in the file (engineering units): the file cannot
    say anything finer."""
    out: dict[str, float] = {}
    for mm in periods:
        for name, (group, idx, code) in mm.channels.items():
            p = mm.parameters[group] if group < len(mm.parameters) else mm.parameters[0]
            kind = DEFAULT_QUANTITY_MAP[code][1] if code in DEFAULT_QUANTITY_MAP else None
            if kind is None:
                continue
            step = pulses_to_value(1, p.constants[idx], kind, mm.interval)
            out[name] = max(out.get(name, 0.0), step)
    return out


def _at_file_resolution(
    values: dict[str, float | None],
    stored: dict[str, Any] | None,
    resolution: dict[str, float],
) -> dict[str, float | Decimal]:
    """The file's values, except where a stored value rounds to the same pulse count: that
    finer stored value is kept, so a coarser copy (an export of our own data, re-imported)
    never overwrites finer stored values. 0 pulses over a stored NULL leaves the NULL (the
    format cannot say "no value", an export writes 0)."""
    out: dict[str, float | Decimal] = {}
    for name, v in values.items():
        if v is None:
            continue
        s = stored.get(name) if stored else None
        if stored is not None and s is None and v == 0:
            continue  # 0 pulses is how an export writes a channel with no stored value
        half = resolution.get(name, 0.0) / 2
        if s is not None and abs(float(s) - v) <= half * (1 + 1e-9) + 1e-12:
            out[name] = Decimal(s)
        else:
            out[name] = v
    return out
