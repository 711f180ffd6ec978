"""The emulated meter's state and its answers to commands (no I/O).

Time: ``clock()`` returns the true UTC time; the meter clock runs ``clock_offset`` ahead plus
``drift_ppm`` since ``config.epoch``, and displays local time at ``utc_offset`` (+1 h under the
DST rule). Mass memory is generated on demand from :mod:`.load` for every interval of a period,
so nothing is stored but the reset times, outages and settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from poller.protocol.bcd import day_of_week, digits_to_bcd
from poller.protocol.codec.commands import (
    ReadParameters,
    SetDate,
    SetDaylightSaving,
    SetHolidays,
    SetSegments,
    SetTime,
)
from poller.protocol.codec.events import (
    Alteration,
    AlterationLog,
    Outage,
    Outages,
    encode_alteration_log,
    encode_outages,
)
from poller.protocol.codec.instant import Instantaneous, encode_instantaneous
from poller.protocol.codec.massmem import WORDS_PER_BLOCK
from poller.protocol.codec.measurement import MeasurementParameters, encode_measurement_parameters
from poller.protocol.codec.params import ChannelConstant, Parameters, encode_parameters
from poller.protocol.codec.registers import (
    ChannelRegisters,
    IntermediarioRegisters,
    Registers,
    encode_registers,
)
from poller.protocol.framing import CODE_NOT_IMPLEMENTED, CODE_OCCURRENCE, Command, response_body
from poller.protocol.timebase import DEFAULT_UTC_OFFSET, DstRule, local_to_utc, utc_to_local

from .load import (
    GROUPS_3,
    GROUPS_12,
    default_constant,
    interval_pulses,
    pulse_weight,
    quantity_value,
)
from .mmwords import LAYOUTS, pack

#: register units "kwh_xN": the register holds kWh (kvarh) × N
REGISTER_SCALE = {
    "kwh_x1": 1,
    "kwh_x10": 10,
    "kwh_x100": 100,
    "kwh_x1000": 1000,
    "kwh_x10000": 10000,
}

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A settable clock for tests: ``clock.now = ...`` or ``clock.advance(...)``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(slots=True)
class MeterConfig:
    serial: str = "12345678"
    channels: int = 3  # 3 (legacy) or 12
    interval_min: int = 5
    utc_offset: timedelta = DEFAULT_UTC_OFFSET
    clock_offset: timedelta = timedelta(0)  # meter clock error at epoch
    drift_ppm: float = 0.0
    epoch: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    model: str = "8721"
    software_version: str = "0168"
    #: last / penultimate demand reset (UTC); default: 00:00 local today / yesterday
    last_reset: datetime | None = None
    penultimate_reset: datetime | None = None
    outages: tuple[tuple[datetime, datetime], ...] = ()  # UTC [start, end)
    dst: DstRule = field(default_factory=DstRule)
    #: mass-memory word layout (see mmwords.LAYOUTS); BCD meters use coarser pulses
    mm_layout: str = "hi-first/bin"
    #: unit of the 0x23/0x24 energy registers: "pulses", or "kwh_xN" = kWh × N (N = 1 ... 10000)
    register_unit: str = "kwh_x1000"
    #: fault: registers report this fraction more energy than the mass memory holds
    register_skew: float = 0.0
    #: raw battery octet 147 of 0x20/0x21 (0 = no fault; its coding is the manufacturer's)
    battery: int = 0

    @property
    def bcd(self) -> bool:
        return self.mm_layout.endswith("bcd")


class EmulatedMeter:
    def __init__(self, config: MeterConfig | None = None, clock: Clock = system_clock) -> None:
        self.config = cfg = config or MeterConfig()
        if cfg.channels not in (3, 12):
            raise ValueError("channels must be 3 or 12")
        if cfg.mm_layout not in LAYOUTS:
            raise ValueError(f"mm_layout must be one of {LAYOUTS}")
        if cfg.register_unit != "pulses" and cfg.register_unit not in REGISTER_SCALE:
            raise ValueError(f"register_unit must be 'pulses' or one of {sorted(REGISTER_SCALE)}")
        self.clock = clock
        self.serial = cfg.serial
        self.groups = GROUPS_12 if cfg.channels == 12 else GROUPS_3
        self.interval = timedelta(minutes=cfg.interval_min)
        self.clock_offset = cfg.clock_offset
        self.dst = cfg.dst
        today = utc_to_local(clock(), cfg.utc_offset).replace(hour=0, minute=0, second=0)
        self.last_reset = cfg.last_reset or local_to_utc(today, cfg.utc_offset)
        self.penultimate_reset = cfg.penultimate_reset or self.last_reset - timedelta(days=1)
        self.install = self.penultimate_reset
        self.reset_count = 1
        self.selected_group = 0
        self.holidays: tuple[date | None, ...] = (None,) * 15
        self.segments = SetSegments((time(18),) * 4, (time(21),) * 4, count=2)
        self.alterations: list[Alteration] = []

    # --- clock -------------------------------------------------------------------------------
    def meter_utc(self) -> datetime:
        """The meter's idea of UTC now (true time + offset + drift)."""
        now = self.clock()
        drift = (now - self.config.epoch) * (self.config.drift_ppm / 1e6)
        return now + self.clock_offset + drift

    def local(self, utc: datetime) -> datetime:
        return utc_to_local(utc, self.config.utc_offset, self.dst)

    def floor(self, utc: datetime) -> datetime:
        step = int(self.interval.total_seconds())
        return datetime.fromtimestamp(int(utc.timestamp()) // step * step, UTC)

    def constants(self, group: int) -> tuple[ChannelConstant, ...]:
        cfg = self.config
        return tuple(default_constant(c, cfg.interval_min, cfg.bcd) for c in self.groups[group])

    # --- periods -----------------------------------------------------------------------------
    def period(self, previous: bool) -> tuple[datetime, datetime]:
        """[first interval start, end of last complete interval) in UTC."""
        if previous:
            return self.floor(self.penultimate_reset), self.floor(self.last_reset)
        return self.floor(self.last_reset), self.floor(self.meter_utc())

    def interval_starts(self, previous: bool) -> list[datetime]:
        start, end = self.period(previous)
        n = max(0, int((end - start) / self.interval))
        return [start + i * self.interval for i in range(n)]

    def in_outage(self, start: datetime) -> bool:
        return any(a <= start < b for a, b in self.config.outages)

    def pulses(self, start: datetime, code: int) -> int:
        if self.in_outage(start):
            return 0
        return interval_pulses(self.serial, start, self.config.interval_min, code, self.config.bcd)

    def words(self, group: int, previous: bool) -> list[int]:
        if group >= len(self.groups):
            return []
        codes = self.groups[group]
        return [self.pulses(s, c) for s in self.interval_starts(previous) for c in codes]

    def register_total(self, code: int, until: datetime) -> int:
        """Register of a channel at ``until`` in ``config.register_unit``: the pulse count, or
        the energy (pulses × num / den, kWh) times N for ``kwh_xN``; ``register_skew`` inflates
        it (a meter whose registers disagree with its mass memory)."""
        cfg = self.config
        pulses = 0
        t = self.floor(self.install)
        while t + self.interval <= until:
            pulses += self.pulses(t, code)
            t += self.interval
        if cfg.register_unit == "pulses":
            total = Fraction(pulses)
        else:
            num, den = pulse_weight(code, cfg.interval_min, cfg.bcd)
            total = Fraction(pulses * num * REGISTER_SCALE[cfg.register_unit], den)
        return round(total * (1 + Fraction(cfg.register_skew)))

    # --- responses ---------------------------------------------------------------------------
    def parameters(self, code: int, group: int) -> Parameters:
        now_utc = self.meter_utc()
        exists = group < len(self.groups)
        n_cur = len(self.interval_starts(False)) * 3 if exists else 0
        n_prev = len(self.interval_starts(True)) * 3 if exists else 0
        local_now = self.local(now_utc)
        return Parameters(
            code=code,
            meter_serial=self.serial,
            current_time=local_now.replace(microsecond=0),
            day_of_week=day_of_week(local_now.date()),
            last_interval_end=self.local(self.floor(now_utc)),
            last_demand_reset=self.local(self.last_reset).replace(microsecond=0),
            penultimate_demand_reset=self.local(self.penultimate_reset).replace(microsecond=0),
            ponta_start=self.segments.ponta,
            fora_ponta_start=self.segments.fora_ponta,
            reservado_start=self.segments.reservado,
            words_current=n_cur,
            words_previous=n_prev,
            demand_reset_count=self.reset_count % 100,
            demand_interval_current=15,
            demand_interval_previous=15,
            holidays=self.holidays,
            constants=self.constants(group) if exists else (ChannelConstant(0, 0),) * 3,
            battery=self.config.battery,
            software_version=self.config.software_version,
            model=self.config.model,
            auto_demand_reset=False,
            auto_demand_reset_day=0,
            dst_enabled=self.dst.enabled,
            dst_winter_end=self.dst.winter_end,
            dst_summer_end=self.dst.summer_end,
            quantity_codes=self.groups[group] if exists else (99, 99, 99),
            pf_composition=52,
            time_base=1,
            mm_interval_min=self.config.interval_min,
            mm_interval_s=0,
            mm_interval_cs=0,
            tariff_type=0,
            reactive_intervals=(60, 60),
            pf_reference=(92, 92),
            tariff_segments=self.segments.count,
            channel_groups=len(self.groups),
        )

    def registers(self, previous: bool) -> Registers:
        until = self.floor(self.last_reset) if previous else self.floor(self.meter_utc())
        chans = []
        for code in self.groups[0]:
            total = self.register_total(code, until)
            chans.append(ChannelRegisters((total, 0, 0, total, 0, 0, 0), (0,) * 7))
        return Registers(0x24 if previous else 0x23, self.serial, tuple(chans),
                         IntermediarioRegisters(0, 0, 0, 0))  # fmt: skip

    def instantaneous(self) -> Instantaneous:
        now = self.meter_utc()
        start = self.floor(now)
        im = self.config.interval_min
        v = {f"V{p}": quantity_value(self.serial, start, im, 17 + i) for i, p in enumerate("ABC")}
        i_ = {f"I{p}": quantity_value(self.serial, start, im, 20 + i) for i, p in enumerate("ABC")}
        values: dict[str, float | None] = {**v, **i_, "P3": 1000 * quantity_value(
            self.serial, start, 60, 1), "frequency": 60.0}  # fmt: skip
        return Instantaneous(self.serial, self.local(now).replace(microsecond=0), values,
                             "LLLL", b"\xff" * 10, 0xFF)  # fmt: skip

    def outages(self) -> Outages:
        recs = tuple(
            Outage(self.local(a).replace(microsecond=0), self.local(b).replace(microsecond=0))
            for a, b in self.config.outages[-20:]
        )
        return Outages(self.serial, recs)

    def _log(self, code: int, reader: str) -> None:
        when = self.local(self.meter_utc()).replace(microsecond=0)
        self.alterations = [*self.alterations, Alteration(code, reader, when)][-25:]

    def _set_local(self, new_local: datetime) -> None:
        target = local_to_utc(new_local, self.config.utc_offset, self.dst)
        self.clock_offset += target - self.meter_utc()

    def demand_reset(self) -> None:
        self.penultimate_reset = self.last_reset
        self.last_reset = self.meter_utc()
        self.reset_count += 1

    def handle(self, cmd: Command) -> list[bytes]:
        """Response bodies (256 octets) for one command; several for composite commands."""
        code, p = cmd.code, cmd.params
        if code in (0x20, 0x21, 0x22, 0x51):
            group = ReadParameters.from_params(code, p).group
            self.selected_group = group
            body = encode_parameters(self.parameters(code, group))
            if code == 0x20:
                self.demand_reset()
                self._log(code, cmd.reader_serial)
            return [body]
        if code in (0x26, 0x27, 0x52):
            words = self.words(self.selected_group, previous=code == 0x27)
            return self.mass_memory_bodies(code, words)
        if code in (0x23, 0x24):
            return [encode_registers(self.registers(code == 0x24))]
        if code == 0x14:
            return [encode_instantaneous(self.instantaneous())]
        if code == 0x25:
            return [encode_outages(self.outages())]
        if code == 0x28:
            return [encode_alteration_log(AlterationLog(self.serial, tuple(self.alterations)))]
        if code == 0x80:
            return [encode_measurement_parameters(self.measurement_parameters())]
        if code in (0x29, 0x30, 0x32, 0x35, 0x64):
            self._write(cmd)
            self._log(code, cmd.reader_serial)
            return [response_body(code, self.serial, b"")]
        return [response_body(CODE_NOT_IMPLEMENTED, self.serial, b"")]

    def _write(self, cmd: Command) -> None:
        now_local = self.local(self.meter_utc())
        if cmd.code == 0x29:
            d = SetDate.from_params(cmd.params).day
            self._set_local(datetime.combine(d, now_local.time()))
        elif cmd.code == 0x30:
            t = SetTime.from_params(cmd.params).at
            self._set_local(datetime.combine(now_local.date(), t))
        elif cmd.code == 0x32:
            self.holidays = SetHolidays.from_params(cmd.params).holidays
        elif cmd.code == 0x35:
            self.segments = SetSegments.from_params(cmd.params)
        elif cmd.code == 0x64:
            s = SetDaylightSaving.from_params(cmd.params)
            self.dst = DstRule(s.enabled, s.winter_end, s.summer_end)

    def mass_memory_bodies(self, code: int, words: list[int]) -> list[bytes]:
        """Composite answer: block header [C] then 166 words per block in the meter's layout,
        packed by the emulator's own code (mmwords), the last block padded with zeros."""
        n = max(1, -(-len(words) // WORDS_PER_BLOCK))
        bodies = []
        for i in range(n):
            chunk = words[i * WORDS_PER_BLOCK : (i + 1) * WORDS_PER_BLOCK]
            number = i + 1
            hundreds, rest = divmod(number, 100)
            header = bytes((hundreds | (0x10 if i == n - 1 else 0), (rest // 10) << 4 | rest % 10))
            data = pack(chunk, self.config.mm_layout).ljust(249, b"\x00")
            bodies.append(response_body(code, self.serial, header + data))
        return bodies

    def measurement_parameters(self) -> MeasurementParameters:
        return MeasurementParameters(
            self.serial, bytes(7), 0, bytes(128), bytes(24), 1, 1, bytes(6), 10,
            (None,) * 4, bytes(8), 0, 0, 1, 0, 0, bytes(6), b"EMULATOR".ljust(14),
        )  # fmt: skip

    def occurrence_body(self) -> bytes:
        return response_body(CODE_OCCURRENCE, self.serial, b"\x01")

    def with_serial(self, body: bytes, serial: str) -> bytes:
        return body[:1] + digits_to_bcd(serial, 4) + body[5:]


__all__ = ["WORDS_PER_BLOCK", "EmulatedMeter", "FixedClock", "MeterConfig", "system_clock"]
