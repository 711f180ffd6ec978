"""Fleet-like interval data of the project's own (issue 24): deterministic by seed, numpy, fast.

A distributor's fleet as the ingest meets it, so that imports, VEE, alarms and the storage bench
run on data that looks like the field:

- six customer types with their own load shapes (residential, commercial, industrial one shift,
  industrial continuous, rural irrigation, public lighting); 5- and 15-minute meters side by side;
- supply interruptions of a whole feeder that start and end part-way through an interval (the
  interval keeps the energy and the mean voltage of the powered minutes: all three phases leave
  the band together);
- blown fuses (one phase lost for hours to days; its current and a third of the energy gone);
- phase unbalance (per-meter offsets, a few meters badly unbalanced), feeder voltage profiles
  with feeder sags (a few minutes at 0.6-0.9 pu) and on-load tap changes (+-1.25 or 2.5 % steps);
- PV export (clouds make intervals that both import and export), capacitor banks that make the
  nights capacitive, so intervals mix reactive quadrants;
- measured, estimated and adjusted rows; missing days and short communication gaps.

Everything is simulated minute by minute (local day = 1440 minutes, America/Sao_Paulo at -03:00,
no DST since 2019) and summed to the meter's interval, then rounded once to the storage units:
energies in integer Wh / varh, voltages in mV, currents in mA (interval means). What the files
and batches carry is exactly those integers: kWh, kvarh, V and A with three decimals, so an
import must store them unchanged. Voltages and currents of meters with a voltage transformer
(nominal 57.7/63.5/66.4/69.3 V) are secondary values; energies are primary kWh.

Each meter draws from its own generator seeded with (seed, meter index), each feeder from
(seed, 10**6 + feeder): meter i's data does not depend on how many meters the fleet has, and the
same seed gives the same bytes.

Use:
    fleet = Fleet(meters=1000, days=30, start=date(2026, 10, 1), seed=1)
    fleet.register(conn)                        # meters, UCs, distributor (psycopg connection)
    for chunk in fleet.csv_chunks(): ...        # bytes of one CSV file for `smf import`
    for rows in fleet.row_batches(): ingest_rows(conn, rows, source="import")
    data = fleet.meter_data(7)                  # the integers, for exactness checks
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np

OFFSET = timedelta(hours=-3)  # America/Sao_Paulo, no DST since 2019
MINUTES = 1440
QUANTITIES = (  # (CSV column, stored unit) in the ingest's column order
    ("active_fwd_kwh", "Wh"),
    ("active_rev_kwh", "Wh"),
    ("reactive_ind_fwd_kvarh", "varh"),
    ("reactive_ind_rev_kvarh", "varh"),
    ("reactive_cap_fwd_kvarh", "varh"),
    ("reactive_cap_rev_kvarh", "varh"),
    ("voltage_a_v", "mV"),
    ("voltage_b_v", "mV"),
    ("voltage_c_v", "mV"),
    ("current_a_a", "mA"),
    ("current_b_a", "mA"),
    ("current_c_a", "mA"),
)
NAMES = tuple(q for q, _ in QUANTITIES)
QUALITIES = ("measured", "estimated", "adjusted")

# Hourly load shapes (share of the customer's peak demand, local hour 0..23) and day factors
# (business day, Saturday, Sunday). Public lighting follows the night.
SHAPES: dict[str, tuple[Sequence[float], tuple[float, float, float]]] = {
    "residential": (
        [
            0.35,
            0.3,
            0.28,
            0.27,
            0.27,
            0.3,
            0.42,
            0.5,
            0.45,
            0.42,
            0.42,
            0.45,
            0.5,
            0.47,
            0.45,
            0.46,
            0.52,
            0.65,
            0.9,
            1.0,
            0.95,
            0.8,
            0.6,
            0.45,
        ],
        (1.0, 1.05, 1.08),
    ),
    "commercial": (
        [
            0.2,
            0.2,
            0.2,
            0.2,
            0.2,
            0.22,
            0.3,
            0.55,
            0.85,
            0.95,
            1.0,
            1.0,
            0.9,
            0.95,
            1.0,
            1.0,
            0.95,
            0.85,
            0.6,
            0.4,
            0.3,
            0.25,
            0.22,
            0.2,
        ],
        (1.0, 0.6, 0.3),
    ),
    "industrial_shift": (
        [
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.4,
            0.9,
            1.0,
            1.0,
            1.0,
            0.95,
            0.7,
            0.95,
            1.0,
            1.0,
            0.95,
            0.6,
            0.25,
            0.18,
            0.15,
            0.15,
            0.15,
            0.15,
        ],
        (1.0, 0.5, 0.15),
    ),
    "industrial_continuous": (
        [
            0.85,
            0.85,
            0.84,
            0.84,
            0.85,
            0.86,
            0.9,
            0.95,
            1.0,
            1.0,
            1.0,
            0.98,
            0.96,
            1.0,
            1.0,
            1.0,
            0.98,
            0.94,
            0.82,
            0.8,
            0.82,
            0.84,
            0.85,
            0.85,
        ],
        (1.0, 0.95, 0.9),
    ),
    "rural_irrigation": (
        [
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            0.95,
            0.3,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.2,
            0.5,
            0.95,
            1.0,
            1.0,
        ],
        (1.0, 1.0, 1.0),
    ),
    "public_lighting": (
        [
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            0.4,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0.6,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
        ],
        (1.0, 1.0, 1.0),
    ),
}
TYPE_WEIGHTS = {  # share of the fleet
    "residential": .40, "commercial": .22, "industrial_shift": .14,
    "industrial_continuous": .08, "rural_irrigation": .10, "public_lighting": .06,
}  # fmt: skip
PEAK_KW = {  # median peak demand, lognormal spread 0.6
    "residential": 8, "commercial": 60, "industrial_shift": 400, "industrial_continuous": 900,
    "rural_irrigation": 120, "public_lighting": 30,
}  # fmt: skip
TAN_PHI = {  # inductive reactive per active power of the load
    "residential": .25, "commercial": .35, "industrial_shift": .6, "industrial_continuous": .5,
    "rural_irrigation": .7, "public_lighting": .45,
}  # fmt: skip
VT_NOMINALS = (66.4, 63.5, 57.7, 69.3)  # phase-to-earth secondaries of 115, 110, 100, 120 V
LV_NOMINALS = (127.0, 220.0, 230.0)


@dataclass(frozen=True, slots=True)
class MeterSpec:
    index: int
    serial: str
    customer_type: str
    interval_minutes: int
    feeder: int
    nominal_v: float
    peak_kw: float
    max_power_kw: float
    pv_kw: float  # 0 = no PV
    capacitor_kvar: float  # 0 = no fixed capacitor bank
    ct_ratio: float  # primary A per secondary A (1 for direct metering)
    unbalance: tuple[float, float, float]  # per-phase voltage offsets (pu)


@dataclass(slots=True)
class MeterData:
    """One meter's generated intervals (only the rows a file would carry: missing ones absent)."""

    spec: MeterSpec
    ts: np.ndarray  # interval starts, int64 seconds since the epoch (UTC)
    values: dict[str, np.ndarray]  # quantity -> int64 in the stored unit (Wh, varh, mV, mA)
    quality: np.ndarray  # int8 index into QUALITIES
    events: list[dict[str, Any]] = field(default_factory=list)  # what was planted, for tests

    def __len__(self) -> int:
        return len(self.ts)


class Fleet:
    """A deterministic fleet: `meters` meters over `days` local days from `start`."""

    def __init__(
        self,
        meters: int = 200,
        days: int = 14,
        *,
        start: date = date(2026, 10, 1),
        seed: int = 1,
        five_minute_share: float = 0.5,
        meters_per_feeder: int = 20,
        serial_base: int = 70_000_000,
        missing_day_rate: float = 0.01,
        quality_rate: float = 0.003,
        gaps_per_month: float = 2.0,
        outages_per_feeder_month: float = 1.5,
        fuse_rate: float = 0.03,
        sags_per_feeder_month: float = 4.0,
        taps_per_feeder_month: float = 2.0,
        pv_share: float = 0.25,
        capacitor_share: float = 0.4,
    ):
        if meters < 1 or days < 1:
            raise ValueError("a fleet has at least one meter and one day")
        self.n_meters, self.days, self.start, self.seed = meters, days, start, seed
        self.five_minute_share = five_minute_share
        self.meters_per_feeder = meters_per_feeder
        self.serial_base = serial_base
        self.missing_day_rate, self.quality_rate = missing_day_rate, quality_rate
        self.gaps_per_month = gaps_per_month
        self.outages_rate, self.fuse_rate = outages_per_feeder_month, fuse_rate
        self.sags_rate, self.taps_rate = sags_per_feeder_month, taps_per_feeder_month
        self.pv_share, self.capacitor_share = pv_share, capacitor_share
        self.t0 = int(datetime.combine(start, datetime.min.time(), UTC).timestamp()) - int(
            OFFSET.total_seconds()
        )  # local midnight of `start` in epoch seconds
        self._feeders: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------------ the fleet's meters
    @cached_property
    def meters(self) -> list[MeterSpec]:
        return [self._spec(i) for i in range(self.n_meters)]

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *key])

    def _spec(self, i: int) -> MeterSpec:
        rng = self._rng(i, 0)
        types = list(TYPE_WEIGHTS)
        ctype = types[int(rng.choice(len(types), p=list(TYPE_WEIGHTS.values())))]
        interval = 5 if rng.random() < self.five_minute_share else 15
        peak = float(PEAK_KW[ctype] * math.exp(rng.normal(0, 0.6)))
        medium_voltage = ctype.startswith("industrial") or (
            ctype == "rural_irrigation" and rng.random() < 0.5
        )
        if medium_voltage:
            nominal = float(rng.choice(VT_NOMINALS, p=[0.55, 0.3, 0.1, 0.05]))
            ct = float(rng.choice([20, 40, 80, 160]))
        else:
            nominal = float(rng.choice(LV_NOMINALS, p=[0.6, 0.35, 0.05]))
            ct = 1.0
        pv = (
            peak * rng.uniform(0.3, 1.4)
            if (ctype in ("residential", "commercial") and rng.random() < self.pv_share)
            else 0.0
        )
        cap = (
            peak * rng.uniform(0.15, 0.35)
            if (
                ctype in ("industrial_shift", "industrial_continuous", "rural_irrigation")
                and rng.random() < self.capacitor_share
            )
            else 0.0
        )
        spread = 0.05 if rng.random() < 0.05 else 0.012  # a few meters badly unbalanced
        unb = tuple(float(x) for x in rng.normal(0, spread, 3))
        return MeterSpec(
            index=i,
            serial=f"{self.serial_base + i + 1:08d}",
            customer_type=ctype,
            interval_minutes=interval,
            feeder=i // self.meters_per_feeder,
            nominal_v=nominal,
            peak_kw=round(peak, 3),
            max_power_kw=round(max(peak, pv) * 3, 1),
            pv_kw=round(pv, 3),
            capacitor_kvar=round(cap, 3),
            ct_ratio=ct,
            unbalance=(unb[0], unb[1], unb[2]),
        )

    # ------------------------------------------------------------------ feeders
    def _feeder(self, f: int) -> dict[str, Any]:
        """Minute arrays of one feeder: voltage factor (pu) and powered flag, and its events."""
        rng = self._rng(10**6 + f)
        n = self.days * MINUTES
        minute = np.arange(n) % MINUTES
        hour = minute / 60.0
        # a feeder profile: higher at night, lower at the evening peak; a feeder-level bias
        pu = 1.0 + rng.normal(0.005, 0.012) + 0.025 * np.cos((hour - 3.0) / 24 * 2 * np.pi)
        events: list[dict[str, Any]] = []
        month = self.days / 30.0
        for _ in range(rng.poisson(self.taps_rate * month)):
            at = int(rng.integers(0, n))
            step = float(rng.choice([-0.025, -0.0125, 0.0125, 0.025]))
            pu[at:] += step
            events.append({"kind": "tap_change", "minute": at, "step_pu": step})
        for _ in range(rng.poisson(self.sags_rate * month)):
            at, dur = int(rng.integers(0, n)), int(rng.integers(1, 9))
            depth = float(rng.uniform(0.6, 0.9))
            pu[at : at + dur] *= depth
            events.append({"kind": "sag", "minute": at, "minutes": dur, "pu": depth})
        powered = np.ones(n, dtype=bool)
        for _ in range(rng.poisson(self.outages_rate * month)):
            at = int(rng.integers(0, n))
            dur = int(rng.choice([int(rng.integers(3, 30)), int(rng.integers(30, 240))]))
            powered[at : at + dur] = False
            events.append({"kind": "outage", "minute": at, "minutes": dur})
        return {"pu": pu, "powered": powered, "events": events}

    def feeder(self, f: int) -> dict[str, Any]:
        if f not in self._feeders:
            self._feeders[f] = self._feeder(f)
        return self._feeders[f]

    # ------------------------------------------------------------------ one meter
    def meter_data(self, i: int) -> MeterData:
        """Meter i's intervals over the whole period (integers in the stored units)."""
        s = self.meters[i]
        rng = self._rng(i, 1)
        fd = self.feeder(s.feeder)
        n = self.days * MINUTES
        minute = np.arange(n)
        hour = (minute % MINUTES) / 60.0
        day = minute // MINUTES
        weekday = np.array(
            [(self.start + timedelta(days=int(d))).weekday() for d in range(self.days)]
        )[day]
        shape, (f_bus, f_sat, f_sun) = SHAPES[s.customer_type]
        hourly = np.asarray(shape, dtype=float)
        # the hourly shape, interpolated minute by minute (circular), times the day factor
        load_shape = np.interp(hour, np.arange(25), np.append(hourly, hourly[0]))
        dayf = np.where(weekday == 6, f_sun, np.where(weekday == 5, f_sat, f_bus))
        # smooth noise: a value per 15 minutes, interpolated, plus a little per minute
        coarse = rng.normal(1.0, 0.08, n // 15 + 2)
        noise = np.interp(minute / 15.0, np.arange(len(coarse)), coarse)
        noise *= rng.normal(1.0, 0.02, n)
        load_kw = np.clip(s.peak_kw * load_shape * dayf * noise, 0, None)
        if s.customer_type == "public_lighting":
            load_kw = np.where(load_shape > 0.05, s.peak_kw * (load_shape > 0.05) * noise, 0.0)
        powered = fd["powered"].copy()
        events = [dict(e) for e in fd["events"] if e["kind"] == "outage"]
        # blown fuse: one phase lost for 2 hours to 3 days
        lost = np.full(n, -1, dtype=np.int8)
        if rng.random() < self.fuse_rate * self.days / 30:
            at, dur = int(rng.integers(0, n)), int(rng.integers(120, 3 * MINUTES))
            ph = int(rng.integers(0, 3))
            lost[at : at + dur] = ph
            events.append({"kind": "blown_fuse", "minute": at, "minutes": dur, "phase": "ABC"[ph]})
        phase_on = np.stack([(lost != k) & powered for k in range(3)])  # (3, n)
        share_on = phase_on.sum(axis=0) / 3.0
        p_kw = load_kw * share_on
        if s.pv_kw:
            sun = np.clip(np.sin((hour - 6.0) / 12.0 * np.pi), 0, None) ** 1.3
            clouds = np.repeat(rng.uniform(0.25, 1.0, n // 10 + 1), 10)[:n]
            p_kw = p_kw - s.pv_kw * sun * clouds * powered
        q_kvar = load_kw * share_on * TAN_PHI[s.customer_type]
        if s.capacitor_kvar:
            q_kvar = q_kvar - s.capacitor_kvar * share_on
        # per-minute energies by direction and quadrant (Wh, varh): the quadrant follows the
        # minute's active direction and the sign of its reactive power
        to_wh = 1000.0 / 60.0
        imp, exp_ = np.clip(p_kw, 0, None) * to_wh, np.clip(-p_kw, 0, None) * to_wh
        ind, cap = np.clip(q_kvar, 0, None) * to_wh, np.clip(-q_kvar, 0, None) * to_wh
        fwd = p_kw >= 0
        # voltages per phase (V): feeder profile x per-meter unbalance, 0 when unpowered or lost;
        # a lost phase keeps a few volts induced from the others
        v = np.empty((3, n))
        for k in range(3):
            v[k] = s.nominal_v * fd["pu"] * (1 + s.unbalance[k]) * phase_on[k]
            v[k] += np.where((lost == k) & powered, s.nominal_v * 0.03, 0.0)
        pf = 1.0 / np.sqrt(1 + TAN_PHI[s.customer_type] ** 2)
        v_primary = 13_800 / math.sqrt(3) if s.ct_ratio > 1 else s.nominal_v
        amps = np.where(share_on > 0, np.abs(load_kw) * 1000 / 3 / (v_primary * pf), 0.0)
        cur = np.stack([amps * phase_on[k] * (1 + 2 * s.unbalance[k]) for k in range(3)])
        cur /= s.ct_ratio

        step = s.interval_minutes

        def total(x: np.ndarray) -> np.ndarray:
            return np.rint(x.reshape(-1, step).sum(axis=1)).astype(np.int64)

        def mean_milli(x: np.ndarray) -> np.ndarray:
            return np.rint(x.reshape(-1, step).mean(axis=1) * 1000).astype(np.int64)

        values = {
            "active_fwd_kwh": total(imp),
            "active_rev_kwh": total(exp_),
            "reactive_ind_fwd_kvarh": total(np.where(fwd, ind, 0)),
            "reactive_ind_rev_kvarh": total(np.where(fwd, 0, ind)),
            "reactive_cap_fwd_kvarh": total(np.where(fwd, cap, 0)),
            "reactive_cap_rev_kvarh": total(np.where(fwd, 0, cap)),
            "voltage_a_v": mean_milli(v[0]),
            "voltage_b_v": mean_milli(v[1]),
            "voltage_c_v": mean_milli(v[2]),
            "current_a_a": mean_milli(cur[0]),
            "current_b_a": mean_milli(cur[1]),
            "current_c_a": mean_milli(cur[2]),
        }
        m = n // step
        ts = self.t0 + np.arange(m, dtype=np.int64) * step * 60
        quality = np.zeros(m, dtype=np.int8)
        per_day = MINUTES // step
        # estimated and adjusted rows, in short runs
        for q in (1, 2):
            for _ in range(rng.poisson(self.quality_rate * m / 4)):
                at = int(rng.integers(0, m))
                quality[at : at + int(rng.integers(1, 8))] = q
        keep = np.ones(m, dtype=bool)
        for d in range(self.days):  # missing days
            if rng.random() < self.missing_day_rate:
                keep[d * per_day : (d + 1) * per_day] = False
                events.append({"kind": "missing_day", "day": str(self.start + timedelta(days=d))})
        for _ in range(rng.poisson(self.gaps_per_month * self.days / 30)):  # communication gaps
            at = int(rng.integers(0, m))
            keep[at : at + int(rng.integers(1, 13))] = False
        return MeterData(
            spec=s,
            ts=ts[keep],
            values={k: a[keep] for k, a in values.items()},
            quality=quality[keep],
            events=events,
        )

    def data(self, meters: Iterable[int] | None = None) -> Iterator[MeterData]:
        for i in range(self.n_meters) if meters is None else meters:
            yield self.meter_data(i)

    # ------------------------------------------------------------------ outputs
    HEADER = ",".join(("meter_serial", "ts", *NAMES, "quality")) + "\n"

    def csv_chunks(
        self, meters: Iterable[int] | None = None, *, header: bool = True
    ) -> Iterator[bytes]:
        """The fleet as one CSV file for `smf import`, one chunk per meter: `meter_serial`, `ts`
        (local time with its -03:00 offset), the twelve quantities in kWh/kvarh/V/A with three
        decimals (zero-padded to a fixed width per chunk: 0012.345), and `quality`."""
        if header:
            yield self.HEADER.encode()
        for d in self.data(meters):
            yield csv_bytes(d)

    def csv_text(self, meters: Iterable[int] | None = None) -> str:
        return b"".join(self.csv_chunks(meters)).decode()

    def write_csv(self, path: Any, meters: Iterable[int] | None = None) -> int:
        """Write the CSV file; returns its size in bytes."""
        size = 0
        with open(path, "wb") as fh:
            for chunk in self.csv_chunks(meters):
                fh.write(chunk)
                size += len(chunk)
        return size

    def row_batches(
        self, meters: Iterable[int] | None = None, *, meters_per_batch: int = 50
    ) -> Iterator[list[Any]]:
        """Lists of db.ingest.IntervalRow (kWh etc. as floats of three decimals, which the
        ingest stores back as the same integers), `meters_per_batch` meters per list."""
        from db.ingest import IntervalRow

        batch: list[Any] = []
        for n, d in enumerate(self.data(meters), start=1):
            cols = [d.values[k] / 1000.0 for k in NAMES]
            qual = [QUALITIES[q] for q in d.quality.tolist()]
            for j, t in enumerate(d.ts.tolist()):
                batch.append(
                    IntervalRow(
                        ts=datetime.fromtimestamp(t, UTC),
                        meter_serial=d.spec.serial,
                        values={k: float(c[j]) for k, c in zip(NAMES, cols, strict=True)},
                        quality=qual[j],
                        source="import",
                    )
                )
            if n % meters_per_batch == 0:
                yield batch
                batch = []
        if batch:
            yield batch

    # ------------------------------------------------------------------ registration
    def register(self, conn: Any, *, aneel: str = "991", uc_base: int = 9_100_000) -> None:
        """Register the fleet in the caller's transaction (psycopg connection): a distributor,
        each meter (import-only, every quantity in its channel map) and a UC per meter, of
        class has_generation when it has PV. Does nothing for a meter already registered."""
        row = conn.execute("select id from smf.distributor where aneel_code = %s", (aneel,))
        got = row.fetchone()
        dist = (
            got[0]
            if got
            else conn.execute(
                "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
                " values (%s, %s, 'Fleet generator') returning id",
                (7000 + int(aneel), aneel),
            ).fetchone()[0]
        )
        for s in self.meters:
            got = conn.execute(
                "insert into smf.meter (serial, interval_minutes, max_power_kw, channel_map,"
                " protocol, utc_offset_minutes) values (%s, %s, %s, %s, 'import_only', -180)"
                " on conflict (serial) do nothing returning id",
                (s.serial, s.interval_minutes, s.max_power_kw, list(NAMES)),
            ).fetchone()
            if got is None:
                continue
            code = conn.execute(
                "select smf.uc_code_with_check_digits(%s, %s)", (uc_base + s.index, int(aneel))
            ).fetchone()[0]
            mv = s.ct_ratio > 1
            uc = conn.execute(
                "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
                " tariff_group, modality, contracted_demand_fora_ponta_kw, supply_voltage_kv,"
                " main_meter_id) values (%s, %s, %s, 'SE/CO', %s, 'verde', %s, %s, %s)"
                " returning id",
                (code, dist, f"{s.customer_type} {s.serial}", "A4" if mv else "B1",
                 round(s.peak_kw, 1), 13.8 if mv else 0.22, got[0]),
            ).fetchone()[0]  # fmt: skip
            conn.execute(
                "insert into smf.consumer_unit_class values (%s, 'free', %s)", (uc, s.pv_kw > 0)
            )


_TRIPLES = np.array([list(f"{k:03d}".encode()) for k in range(1000)], dtype=np.uint8)


def _milli_field(v: np.ndarray) -> np.ndarray:
    """(n, w) ASCII of integers v / 1000 with three decimals, zero-padded: 12345 -> 0012.345 (the
    width is the widest value's, at least one integer digit). Digits come three at a time from a
    table (a gather per group instead of a division per digit)."""
    if len(v) and int(v.min()) < 0:
        raise ValueError("the generator writes non-negative values only")
    q, frac = np.divmod(v, 1000)
    int_digits = max(1, len(str(int(q.max()))) if len(v) else 1)
    groups = []
    for _ in range((int_digits + 2) // 3):
        q, g = np.divmod(q, 1000)
        groups.append(_TRIPLES[g])
    whole = np.concatenate(groups[::-1], axis=1)[:, -int_digits:]
    dot = np.full((len(v), 1), ord("."), np.uint8)
    return np.concatenate([whole, dot, _TRIPLES[frac]], axis=1)


def csv_bytes(d: MeterData) -> bytes:
    """The CSV rows (no header) of one meter's data; see Fleet.csv_chunks."""
    n = len(d)
    if n == 0:
        return b""
    comma = np.full((n, 1), ord(","), np.uint8)
    local = (d.ts + int(OFFSET.total_seconds())).astype("datetime64[s]")
    ts = np.char.add(np.datetime_as_string(local, unit="s"), "-03:00").astype("S25")
    parts = [
        np.frombuffer(d.spec.serial.encode() * n, np.uint8).reshape(n, -1),
        comma,
        ts.view(np.uint8).reshape(n, 25),
    ]
    for k in NAMES:
        parts += [comma, _milli_field(d.values[k])]
    fixed = np.concatenate([*parts, comma], axis=1)
    # rows of one quality come in runs: each run is one block of fixed-width lines
    qbytes = [np.frombuffer(q.encode() + b"\n", np.uint8) for q in QUALITIES]
    cut = np.flatnonzero(np.diff(d.quality)) + 1
    out = []
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, n], strict=True):
        qb = qbytes[int(d.quality[lo])]
        block = np.concatenate([fixed[lo:hi], np.broadcast_to(qb, (hi - lo, len(qb)))], axis=1)
        out.append(block.tobytes())
    return b"".join(out)
