"""High-level async meter client: typed reads and writes over a link :class:`Session`.

Meter-local timestamps are converted to aware UTC with a configured base offset (default
-03:00) and the DST settings the meter reports in its parameter block. Mass memory comes out
as intervals keyed by their START (UTC) with values under the canonical quantity names of
``db/channels.py`` in engineering units (kWh, kvarh, V, A), ``None`` where a channel is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from db.channels import QUANTITY_NAMES

from .codec.commands import (
    ReadOutages,
    ReadParameters,
    SetDate,
    SetDaylightSaving,
    SetHolidays,
    SetSegments,
    SetTime,
)
from .codec.events import AlterationLog, Outages, decode_alteration_log, decode_outages
from .codec.instant import Instantaneous, decode_instantaneous
from .codec.massmem import (
    CHANNELS_PER_GROUP,
    assemble_data,
    decode_mass_memory_block,
    interval_starts,
    period_anchor,
    pulse_scale,
    split_intervals,
    unpack_words,
)
from .codec.measurement import MeasurementParameters, decode_measurement_parameters
from .codec.mmlayout import DEFAULT_LAYOUT, Layout
from .codec.params import Parameters, decode_parameters
from .codec.quantities import ABSENT_CODES, DEFAULT_QUANTITY_MAP, QuantityKind
from .codec.registers import Registers, decode_registers
from .errors import DecodeError, SequenceBreakError, WrongMeterError
from .link import Session
from .timebase import DEFAULT_UTC_OFFSET, DstRule, local_to_utc, utc_to_local


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime  # aware UTC, interval START
    values: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class MassMemory:
    meter_serial: str
    previous: bool
    interval: timedelta
    intervals: list[Interval]
    #: canonical name → (group, channel index in group, ABNT quantity code)
    channels: dict[str, tuple[int, int, int]]
    parameters: tuple[Parameters, ...] = field(repr=False, default=())
    #: raw data of each channel group read (for other layouts and plausibility)
    groups: tuple[GroupData, ...] = field(repr=False, default=())
    layout: Layout = DEFAULT_LAYOUT


@dataclass(frozen=True, slots=True)
class GroupData:
    """The raw mass memory of one channel group: its parameter block and data octets."""

    group: int
    parameters: Parameters
    data: bytes


def mass_memory_plan(previous: bool, group: int) -> tuple[int, int]:
    """(parameter command, mass-memory command) for a channel group.

    ASSUMPTION [S/I]: group 0 (channels 1-3) is read with 0x21 + 0x26 (current) or 0x22 + 0x27
    (previous) [C]. Other groups: current period with 0x51 (octet 006 = group) + 0x52 [S];
    previous period with 0x22 (octet 006 = group) + 0x27 [I: the group parameter of 0x22
    selecting the group for 0x27 is not documented].
    """
    if previous:
        return 0x22, 0x27
    return (0x21, 0x26) if group == 0 else (0x51, 0x52)


class MeterClient:
    """Typed operations on one meter. ``meter_serial`` (8 digits), if given, is checked in
    every response (WrongMeterError otherwise)."""

    def __init__(
        self,
        session: Session,
        *,
        meter_serial: str | None = None,
        utc_offset: timedelta = DEFAULT_UTC_OFFSET,
        quantity_map: Mapping[int, tuple[str, QuantityKind]] = DEFAULT_QUANTITY_MAP,
        max_groups: int = 4,
        layout: Layout = DEFAULT_LAYOUT,
    ) -> None:
        self.session = session
        self.meter_serial = meter_serial
        self.utc_offset = utc_offset
        self.quantity_map = dict(quantity_map)
        self.max_groups = max_groups
        self.dst = DstRule()
        #: mass-memory word layout used to decode (see codec/mmlayout.py)
        self.layout: Layout = layout
        #: every response body received, in order (the raw blocks kept with a read)
        self.responses: list[bytes] = []

    # --- plumbing ---------------------------------------------------------------------------
    async def _one(self, code: int, params: bytes = b"") -> bytes:
        bodies = await self.session.request(code, params)
        self.responses.extend(bodies)
        body = bodies[0]
        serial = bytes(body[1:5]).hex()
        if self.meter_serial is not None and serial != self.meter_serial:
            raise WrongMeterError(
                f"response to 0x{code:02X} comes from meter {serial}, expected {self.meter_serial}",
                code=code,
            )
        return body

    def to_utc(self, local: datetime | None) -> datetime | None:
        """Meter-local naive time → aware UTC (base offset + the meter's DST rule)."""
        return None if local is None else local_to_utc(local, self.utc_offset, self.dst)

    def to_local(self, utc: datetime) -> datetime:
        return utc_to_local(utc, self.utc_offset, self.dst)

    def _learn(self, p: Parameters) -> Parameters:
        self.dst = DstRule(p.dst_enabled, p.dst_winter_end, p.dst_summer_end)
        return p

    # --- reads --------------------------------------------------------------------------------
    async def read_parameters(self, previous: bool = False, group: int = 0) -> Parameters:
        """0x21 (current) or 0x22 (previous) parameter block of a channel group."""
        req = ReadParameters(0x22 if previous else 0x21, group)
        return self._learn(decode_parameters(await self._one(req.code, req.params())))

    async def read_parameters_with_reset(self, group: int = 0) -> Parameters:
        """0x20: parameter block AND a demand reset (closes the billing period)."""
        req = ReadParameters(0x20, group)
        return self._learn(decode_parameters(await self._one(req.code, req.params())))

    async def read_registers(self, previous: bool = False) -> Registers:
        """0x23 (current period) or 0x24 (previous period) registers."""
        return decode_registers(await self._one(0x24 if previous else 0x23))

    async def read_instantaneous(self) -> Instantaneous:
        return decode_instantaneous(await self._one(0x14))

    async def read_outages(self, current: bool = True) -> Outages:
        return decode_outages(await self._one(0x25, ReadOutages(current).params()))

    async def read_alteration_log(self) -> AlterationLog:
        return decode_alteration_log(await self._one(0x28))

    async def read_measurement_parameters(self) -> MeasurementParameters:
        return decode_measurement_parameters(await self._one(0x80))

    async def read_meter_time(self) -> datetime:
        """The meter clock as aware UTC (from 0x21)."""
        p = await self.read_parameters()
        t = self.to_utc(p.current_time)
        if t is None:
            raise DecodeError("meter reports no current time")
        return t

    async def read_mass_memory(self, previous: bool = False) -> MassMemory:
        """Mass memory of the current (0x26) or previous (0x27) period, every channel group the
        meter has (up to ``max_groups``), decoded with ``self.layout``. The raw data of each
        group is kept (``groups``) so that other layouts can be tried without a re-read.
        Raises on any incomplete read: never partial."""
        base = await self.read_parameters(previous=previous)
        n_groups = max(1, min(base.channel_groups or 1, self.max_groups))
        params_read = [base]
        groups: list[GroupData] = []
        for group in range(n_groups):
            pcode, mcode = mass_memory_plan(previous, group)
            if group == 0 and pcode in (0x21, 0x22):
                p = base
            else:
                req = ReadParameters(pcode, group)
                p = self._learn(decode_parameters(await self._one(pcode, req.params())))
                params_read.append(p)
            if all(c in ABSENT_CODES for c in p.quantity_codes):
                continue
            groups.append(GroupData(group, p, await self._group_data(p, mcode, previous)))
        return self.decode_groups(base.meter_serial, previous, groups, self.layout, params_read)

    def decode_groups(
        self,
        meter_serial: str,
        previous: bool,
        groups: Sequence[GroupData],
        layout: Layout,
        params_read: Sequence[Parameters] = (),
    ) -> MassMemory:
        """Intervals of the raw ``groups`` under ``layout`` (pure: no I/O). Raises DecodeError."""
        merged: dict[datetime, dict[str, float | None]] = {}
        channels: dict[str, tuple[int, int, int]] = {}
        interval = timedelta(0)
        for g in groups:
            p = g.parameters
            interval = timedelta(seconds=p.mm_interval_seconds)
            # per channel of the group: (index, name, num, den); value = pulses × num / den
            plan = []
            for idx, code in enumerate(p.quantity_codes):
                mapped = self.quantity_map.get(code)
                if mapped is None:
                    continue
                name, kind = mapped
                channels[name] = (g.group, idx, code)
                plan.append((idx, name, *pulse_scale(p.constants[idx], kind, interval)))
            for start, pulses in self._group_pulses(p, g.data, previous, layout):
                row = merged.get(start)
                if row is None:
                    row = merged[start] = dict.fromkeys(QUANTITY_NAMES)
                for idx, name, num, den in plan:
                    row[name] = pulses[idx] * num / den
        intervals = [Interval(s, merged[s]) for s in sorted(merged)]
        return MassMemory(
            meter_serial, previous, interval, intervals, channels, tuple(params_read),
            tuple(groups), layout,
        )  # fmt: skip

    async def _group_data(self, p: Parameters, mcode: int, previous: bool) -> bytes:
        n_words = p.words_previous if previous else p.words_current
        bodies = await self.session.request(mcode)
        self.responses.extend(bodies)
        blocks = [decode_mass_memory_block(b) for b in bodies]
        for blk in blocks:
            if blk.meter_serial != p.meter_serial:
                raise WrongMeterError(
                    f"0x{mcode:02X} block {blk.number} comes from meter {blk.meter_serial}, "
                    f"parameters from {p.meter_serial}",
                    code=mcode,
                )
        try:
            return assemble_data(blocks, n_words)
        except SequenceBreakError as exc:
            exc.partial_blocks = tuple(bodies)
            raise

    def _group_pulses(
        self, p: Parameters, data: bytes, previous: bool, layout: Layout
    ) -> list[tuple[datetime, list[int]]]:
        n_words = p.words_previous if previous else p.words_current
        words = unpack_words(data, layout)[:n_words]
        rows = split_intervals(words, CHANNELS_PER_GROUP)
        if not rows:
            return []
        anchor_local = period_anchor(p, previous)
        anchor = self.to_utc(anchor_local)
        if anchor is None:
            raise DecodeError(
                f"{len(rows)} mass-memory intervals but no demand reset to anchor them"
            )
        starts = interval_starts(anchor, len(rows), timedelta(seconds=p.mm_interval_seconds))
        return list(zip(starts, rows, strict=True))

    # --- writes -------------------------------------------------------------------------------
    async def set_clock(self, when: datetime) -> None:
        """Set the meter date (0x29) and time (0x30) to ``when`` (aware), in meter-local time."""
        if when.tzinfo is None:
            raise ValueError("set_clock needs an aware datetime")
        local = self.to_local(when.astimezone(UTC))
        await self._one(SetDate.CODE, SetDate(local.date()).params())
        await self._one(SetTime.CODE, SetTime(local.time().replace(microsecond=0)).params())

    async def set_holidays(self, holidays: Sequence[date | None]) -> None:
        await self._one(SetHolidays.CODE, SetHolidays(tuple(holidays)).params())

    async def set_segments(self, segments: SetSegments) -> None:
        await self._one(SetSegments.CODE, segments.params())

    async def set_daylight_saving(self, setting: SetDaylightSaving) -> None:
        await self._one(SetDaylightSaving.CODE, setting.params())
        self.dst = DstRule(setting.enabled, setting.winter_end, setting.summer_end)
