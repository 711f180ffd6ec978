"""A DLMS load profile → our intervals, and the decisions its data make (pure: no I/O).

* Columns: the capture objects. The clock column (class 8) stamps each entry with the END of
  its interval (the capture time), meter local wall time; a null stamp (a compressed profile)
  means the previous stamp + the capture period. A status column (OBIS 0.0.96.10.x.255) is the
  profile status octet. Every other column is mapped through smf.dlms_obis_channel; a column
  the table does not know is kept raw (smf.raw_read) and reported.
* Scaling: value × 10^scaler in the unit of attribute 3 (Wh, varh, V, A); we store kWh/kvarh,
  V, A (the ingest keeps integer Wh, mV ...).
* Detect, never guess — cumulative registers vs interval values: the data decide when they
  can (a register never decreases and stands far above its steps: cumulative; an energy that
  decreases somewhere: interval values); when the data cannot (too few entries, flat values),
  the OBIS code's D group does (8 = time integral 1, a register; 29 = time integral 5, the
  energy of the recording period); when neither can, nothing is stored and the event says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from . import axdr
from .client import CaptureObject, ScalerUnit

ENERGY_UNITS = {30: "Wh", 32: "varh"}
STATUS_PREFIX = "0.0.96.10."


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    capture: CaptureObject
    role: str  # 'clock', 'status', 'channel', 'unknown'
    channel: str | None = None
    kind: str | None = None  # smf.dlms_obis_channel.kind: interval, cumulative, mean


def columns(
    captures: Sequence[CaptureObject], obis_map: Mapping[str, tuple[str, str]]
) -> list[Column]:
    out = []
    for i, c in enumerate(captures):
        if c.class_id == 8:
            out.append(Column(i, c, "clock"))
        elif c.obis.startswith(STATUS_PREFIX):
            out.append(Column(i, c, "status"))
        elif c.obis in obis_map:
            ch, kind = obis_map[c.obis]
            out.append(Column(i, c, "channel", ch, kind))
        else:
            out.append(Column(i, c, "unknown"))
    return out


@dataclass(frozen=True, slots=True)
class KindDecision:
    kind: str  # 'interval', 'cumulative' or 'undetermined'
    by: str  # 'data', 'obis', 'stored', 'none'
    evidence: dict[str, Any] = field(default_factory=dict)
    contradiction: bool = False

    def text(self) -> str:
        ev = "; ".join(f"{k}: {v}" for k, v in self.evidence.items())
        return f"profile holds {self.kind} values, decided by the {self.by} ({ev})"


def decide_kind(cols: Sequence[Column], rows: Sequence[Sequence[Any]], stored: str) -> KindDecision:
    """Interval values or cumulative registers (see the module docstring)."""
    energy = [c for c in cols if c.role == "channel" and c.kind in ("interval", "cumulative")]
    if not energy:
        return KindDecision("interval", "none", {"energy columns": 0})
    if stored in ("interval", "cumulative"):
        return KindDecision(stored, "stored", {})
    obis_kinds = {c.kind for c in energy}
    obis_says = obis_kinds.pop() if len(obis_kinds) == 1 else None
    data_says = None
    verdicts = {}
    for c in energy:
        vals = [r[c.index] for r in rows if isinstance(r[c.index], int)]
        if len(vals) < 3:
            verdicts[c.capture.obis] = "too few entries"
            continue
        steps = [b - a for a, b in pairwise(vals)]
        if any(s < 0 for s in steps):
            verdicts[c.capture.obis] = "decreases: interval values"
            data_says = data_says or "interval"
            if data_says != "interval":
                data_says = "conflict"
        elif max(steps) > 0 and vals[0] > 2 * max(steps):
            verdicts[c.capture.obis] = (
                f"never decreases, first value {vals[0]} > 2 x largest step {max(steps)}: registers"
            )
            data_says = data_says or "cumulative"
            if data_says != "cumulative":
                data_says = "conflict"
        else:
            verdicts[c.capture.obis] = "inconclusive"
    evidence: dict[str, Any] = {"obis D group says": obis_says or "mixed", "data": verdicts}
    if data_says in ("interval", "cumulative"):
        return KindDecision(
            data_says,
            "data",
            evidence,
            contradiction=obis_says is not None and obis_says != data_says,
        )
    if data_says is None and obis_says is not None:
        return KindDecision(obis_says, "obis", evidence)
    return KindDecision("undetermined", "none", evidence)


@dataclass(slots=True)
class Decoded:
    intervals: list[
        tuple[datetime, dict[str, float | None], str, int | None]
    ]  # start, values, quality, status
    unknown: list[str]
    duplicates: list[datetime]
    flagged: dict[str, int]  # status meaning → intervals flagged
    cumulative_breaks: list[datetime]  # a register that went down: interval left empty


def decode_rows(
    cols: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    scalers: Mapping[str, ScalerUnit],
    kind: str,
    step: timedelta,
    utc_offset: timedelta,
    status_table: Mapping[int, tuple[str, list[str]]],
) -> Decoded:
    """Intervals (UTC starts) with engineering values, quality and raw status."""
    clock_col = next((c for c in cols if c.role == "clock"), None)
    status_col = next((c for c in cols if c.role == "status"), None)
    chans = [c for c in cols if c.role == "channel"]
    out = Decoded([], [c.capture.obis for c in cols if c.role == "unknown"], [], {}, [])
    seen: dict[datetime, int] = {}
    prev_stamp: datetime | None = None
    prev_raw: dict[str, int] = {}
    for r in rows:
        stamp = None
        if clock_col is not None and isinstance(r[clock_col.index], bytes):
            stamp = axdr.parse_datetime(r[clock_col.index]).local
        if stamp is None:
            if prev_stamp is None:
                continue  # nothing to anchor this entry
            stamp = prev_stamp + step
        prev_stamp = stamp
        start = axdr.local_to_utc(stamp, utc_offset) - step
        status = r[status_col.index] if status_col is not None else None
        quality, flags = status_table.get(
            status if isinstance(status, int) else 0, ("measured", [])
        )
        for f in flags:
            out.flagged[f] = out.flagged.get(f, 0) + 1
        values: dict[str, float | None] = {}
        broken = False
        for c in chans:
            raw = r[c.index]
            su = scalers.get(c.capture.obis)
            if not isinstance(raw, int) or su is None:
                continue
            if kind == "cumulative" and c.kind in ("interval", "cumulative"):
                before = prev_raw.get(c.capture.obis)
                prev_raw[c.capture.obis] = raw
                if before is None:
                    continue  # the first entry only anchors the next one
                if raw < before:
                    broken = True
                    continue
                raw = raw - before
            values[c.channel or ""] = _scale(raw, su, c.channel or "")
        if kind == "cumulative" and not values and not broken:
            continue  # the anchoring entry of a read
        if broken:
            out.cumulative_breaks.append(start)
        if quality == "missing":
            values = {}
        if start in seen:
            out.duplicates.append(start)
            out.intervals[seen[start]] = (
                start,
                values,
                quality,
                status if isinstance(status, int) else None,
            )
            continue
        seen[start] = len(out.intervals)
        out.intervals.append((start, values, quality, status if isinstance(status, int) else None))
    return out


def _scale(raw: int, su: ScalerUnit, channel: str) -> float:
    """Engineering units: kWh/kvarh for energy (from Wh/varh), V, A."""
    value = Decimal(raw).scaleb(su.scaler)
    if su.unit in ENERGY_UNITS or channel.endswith(("kwh", "kvarh")):
        value = value / 1000
    return float(value)
