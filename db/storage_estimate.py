"""The storage cost estimator (`smf storage estimate`): bytes per tier for a fleet, from the bytes
per interval MEASURED by a benchmark and recorded in bench/storage_figures.json. It computes
nothing else: no figure is assumed, and it says which measurement it used, when and where.

The figures file (schema `smf-storage-figures/1`): each tier carries its own provenance, since
different benchmarks measure different tiers (bench/storage_figures.py: hot and archive;
bench/scale.py: sealed, and hot again on its own data); `update_figures()` replaces one tier
and keeps the others.

    {
      "schema": "smf-storage-figures/1",
      "hot_days_default": 62,                      intervals younger than this stay hot rows
      "tiers": {
        "<tier>": {                                hot | sealed | archive
          "what": "...",                           one line: what the bytes are
          "online": true,                          in the database, so in the total (archive:
                                                   false, printed apart)
          "measured_at": "2026-12-07T07:10:00+00:00",   when (UTC)
          "command": ".venv/bin/python bench/...",     what produced the figures
          "machine": {...},                        where (CPU, cores, PostgreSQL, ...)
          "data": {...},                           on what data (meters, days, generator)
          "figures": [
            {"interval_minutes": 5, "channels": 12,     the meters it was measured on
             "intervals": 4032000,                      how many intervals were measured
             "bytes_per_interval": 154.2,               the tier's own bytes (heap, indexes,
                                                        TOAST) per stored interval
             "rollups": {"rollup_15min": 44.1, ...}}    bytes per interval of each rollup
          ]                                             level kept for this tier ({}: none)
        }
      }
    }

How a fleet is split: each meter has 1440 / interval intervals a day and 365.25 days a year.
The last `hot_days` days of each meter are in the `hot` tier, the rest in `sealed`; when the
file has no `sealed` figures yet, the rest is counted at `hot` figures and the output says so.
A tier that is not online (`archive`: the Parquet files) holds every interval and is printed
apart, outside the total. A figure is looked up by (interval, channels); for a channel count
that was not measured, the two measured counts nearest to it (same interval) give a straight
line, and the output says "interpolated" or "extrapolated"; with a single measured count the
figure is used as measured and the output says so.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import errors
from db.settings import REPO_ROOT

FIGURES_SCHEMA = "smf-storage-figures/1"
FIGURES_FILE = REPO_ROOT / "bench" / "storage_figures.json"
DAYS_PER_YEAR = 365.25
DEFAULT_HOT_DAYS = 62  # the VEE/edit window: younger intervals stay rows (issue 19)


@dataclass(frozen=True, slots=True)
class TierEstimate:
    tier: str
    online: bool
    intervals: int
    bytes_per_interval: float  # the tier's own bytes
    rollup_bytes_per_interval: dict[str, float]
    how: str  # "measured" | "interpolated ..." | "extrapolated ..." | "as measured at K channels"
    measured_at: str  # the provenance of the figures used (their tier's)
    command: str
    machine: dict[str, Any]
    counted_as: str | None = None  # set when a tier's intervals are counted at another's figures

    @property
    def total_per_interval(self) -> float:
        return self.bytes_per_interval + sum(self.rollup_bytes_per_interval.values())

    @property
    def bytes(self) -> int:
        return round(self.intervals * self.total_per_interval)


@dataclass(frozen=True, slots=True)
class Estimate:
    meters: int
    interval_minutes: int
    channels: int
    years: float
    hot_days: float
    tiers: list[TierEstimate]
    figures_file: str
    notes: list[str] = field(default_factory=list)

    @property
    def total_online(self) -> int:
        return sum(t.bytes for t in self.tiers if t.online)

    def as_dict(self) -> dict[str, Any]:
        return {
            "meters": self.meters,
            "interval_minutes": self.interval_minutes,
            "channels": self.channels,
            "years": self.years,
            "hot_days": self.hot_days,
            "tiers": [
                {
                    "tier": t.tier,
                    "online": t.online,
                    "intervals": t.intervals,
                    "bytes_per_interval": round(t.bytes_per_interval, 3),
                    "rollups": {k: round(v, 3) for k, v in t.rollup_bytes_per_interval.items()},
                    "total_bytes_per_interval": round(t.total_per_interval, 3),
                    "bytes": t.bytes,
                    "figure": t.how,
                    "counted_as": t.counted_as,
                    "measured_at": t.measured_at,
                    "command": t.command,
                    "machine": t.machine,
                }
                for t in self.tiers
            ],
            "total_online_bytes": self.total_online,
            "figures_file": self.figures_file,
            "notes": self.notes,
        }


def load_figures(path: Path | None = None) -> dict[str, Any]:
    """The figures file, checked. Raises errors.InvalidParameter naming what is wrong."""
    path = path or FIGURES_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise errors.InvalidParameter(
            f"{path}: no figures file (bench/storage_figures.py measures and writes it)"
        ) from None
    except (OSError, ValueError) as exc:
        raise errors.InvalidParameter(f"{path}: not a readable JSON figures file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != FIGURES_SCHEMA:
        raise errors.InvalidParameter(
            f"{path}: schema {doc.get('schema') if isinstance(doc, dict) else None!r}, "
            f"expected {FIGURES_SCHEMA!r}"
        )
    if not isinstance(doc.get("tiers"), dict) or "hot" not in doc["tiers"]:
        raise errors.InvalidParameter(f"{path}: no figures for the hot tier")
    for name, tier in doc["tiers"].items():
        figs = tier.get("figures") if isinstance(tier, dict) else None
        if not figs:
            raise errors.InvalidParameter(f"{path}: tier {name!r} has no figures")
        for key in ("measured_at", "command"):
            if not tier.get(key):
                raise errors.InvalidParameter(
                    f"{path}: tier {name!r} does not say {key.replace('_', ' ')} (the figures "
                    "must say when and how they were measured)"
                )
        for f in figs:
            for key in ("interval_minutes", "channels", "bytes_per_interval"):
                if not isinstance(f.get(key), int | float) or f[key] < 0:
                    raise errors.InvalidParameter(
                        f"{path}: tier {name!r}: a figure without a valid {key!r}: {f}"
                    )
            for level, value in (f.get("rollups") or {}).items():
                if not isinstance(value, int | float) or value < 0:
                    raise errors.InvalidParameter(
                        f"{path}: tier {name!r}: rollup {level!r} is not a byte count: {value!r}"
                    )
    doc["_path"] = str(path)
    return doc


def _figure(tier: str, figs: list[dict[str, Any]], interval: int, channels: int) -> tuple:
    """(bytes per interval, rollups, how) of a tier for (interval, channels)."""
    same = sorted(
        (f for f in figs if f["interval_minutes"] == interval), key=lambda f: f["channels"]
    )
    if not same:
        measured = sorted({f["interval_minutes"] for f in figs})
        raise errors.InvalidParameter(
            f"no {tier}-tier figures for {interval}-minute meters in the figures file "
            f"(measured: {', '.join(f'{m} min' for m in measured)})"
        )
    for f in same:
        if f["channels"] == channels:
            return float(f["bytes_per_interval"]), dict(f.get("rollups") or {}), "measured"
    if len(same) == 1:
        f = same[0]
        return (
            float(f["bytes_per_interval"]),
            dict(f.get("rollups") or {}),
            f"as measured at {f['channels']} channels (no other count measured)",
        )
    # the two measured channel counts nearest to `channels` (ties: the lower)
    a, b = sorted(
        sorted(same, key=lambda f: (abs(f["channels"] - channels), f["channels"]))[:2],
        key=lambda f: f["channels"],
    )
    k = (channels - a["channels"]) / (b["channels"] - a["channels"])

    def line(x: float, y: float) -> float:
        return max(0.0, x + (y - x) * k)

    ra, rb = a.get("rollups") or {}, b.get("rollups") or {}
    rollups = {lvl: line(ra.get(lvl, 0.0), rb.get(lvl, 0.0)) for lvl in sorted({*ra, *rb})}
    inside = a["channels"] <= channels <= b["channels"]
    how = (
        f"{'interpolated' if inside else 'extrapolated'} from {a['channels']} and "
        f"{b['channels']} channels"
    )
    return line(a["bytes_per_interval"], b["bytes_per_interval"]), rollups, how


def estimate(
    meters: int,
    interval_minutes: int,
    channels: int,
    years: float,
    hot_days: float | None = None,
    figures: dict[str, Any] | None = None,
    path: Path | None = None,
) -> Estimate:
    """Bytes per tier and the online total for `meters` meters, from `figures` (else the file
    at `path`, else bench/storage_figures.json). Raises errors.InvalidParameter."""
    if meters < 1:
        raise errors.InvalidParameter(f"--meters {meters}: at least 1")
    if interval_minutes not in (5, 15):
        raise errors.InvalidParameter(f"--interval {interval_minutes}: 5 or 15 (minutes)")
    if not 1 <= channels <= 12:
        raise errors.InvalidParameter(f"--channels {channels}: 1 to 12")
    if not years > 0:
        raise errors.InvalidParameter(f"--years {years}: more than 0")
    if hot_days is not None and hot_days < 0:
        raise errors.InvalidParameter(f"--hot-days {hot_days}: 0 or more")
    doc = figures if figures is not None else load_figures(path)
    hot = float(hot_days if hot_days is not None else doc.get("hot_days_default", DEFAULT_HOT_DAYS))
    per_day = 1440 // interval_minutes
    days = years * DAYS_PER_YEAR
    all_intervals = round(meters * per_day * days)
    hot_intervals = round(meters * per_day * min(hot, days))
    cold_intervals = all_intervals - hot_intervals
    tiers_doc = doc["tiers"]
    notes: list[str] = []
    out: list[TierEstimate] = []

    def tier(name: str, intervals: int, figs_of: str, counted_as: str | None = None) -> None:
        t = tiers_doc[figs_of]
        b, r, how = _figure(figs_of, t["figures"], interval_minutes, channels)
        out.append(
            TierEstimate(
                name,
                bool(t.get("online", True)),
                intervals,
                b,
                r,
                how,
                str(t["measured_at"]),
                str(t["command"]),
                dict(t.get("machine") or {}),
                counted_as,
            )
        )

    tier("hot", hot_intervals, "hot")
    if "sealed" in tiers_doc:
        tier("sealed", cold_intervals, "sealed")
    elif cold_intervals:
        tier("sealed", cold_intervals, "hot", counted_as="hot")
        notes.append(
            "the figures file has no sealed-tier figures: intervals older than "
            f"{hot:g} days are counted at hot-tier (row) bytes"
        )
    for name, t in tiers_doc.items():
        if name in ("hot", "sealed"):
            continue
        if t.get("online", True):
            notes.append(f"tier {name!r} ignored: online data is split into hot and sealed only")
            continue
        tier(name, all_intervals, name)  # an off-database copy of every interval
    return Estimate(
        meters=meters,
        interval_minutes=interval_minutes,
        channels=channels,
        years=years,
        hot_days=hot,
        tiers=out,
        figures_file=str(doc.get("_path", FIGURES_FILE)),
        notes=notes,
    )


def human(n: float) -> str:
    """Decimal units (1 TB = 10^12 bytes), as disks are sold."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"


def render(e: Estimate) -> str:
    rel = e.figures_file
    with contextlib.suppress(ValueError):
        rel = str(Path(e.figures_file).resolve().relative_to(REPO_ROOT))
    lines = [
        f"Storage estimate: {e.meters:,} meters, {e.interval_minutes}-minute intervals, "
        f"{e.channels} channels, {e.years:g} years ({e.years * DAYS_PER_YEAR:g} days), the last "
        f"{e.hot_days:g} days hot",
        f"From the bytes per interval measured by benchmarks and recorded in {rel}:",
    ]
    seen: set[tuple[str, str]] = set()
    for t in e.tiers:
        if (t.measured_at, t.command) in seen:
            continue
        seen.add((t.measured_at, t.command))
        names = [
            x.tier
            for x in e.tiers
            if (x.measured_at, x.command) == (t.measured_at, t.command) and not x.counted_as
        ]
        machine = ", ".join(f"{k} {v}" for k, v in t.machine.items()) or "machine not recorded"
        lines.append(f"  {'/'.join(names)}: measured {t.measured_at} by `{t.command}`")
        lines.append(f"    on {machine}")
    lines += [
        "",
        f"{'tier':<10}{'intervals':>18}{'B/interval':>12}{'own':>8} + {'rollups':<8}"
        f"{'bytes':>20}  figure",
    ]
    for t in e.tiers:
        name = t.tier + ("" if t.online else " *")
        lines.append(
            f"{name:<10}{t.intervals:>18,}{t.total_per_interval:>12.1f}"
            f"{t.bytes_per_interval:>8.1f} + {sum(t.rollup_bytes_per_interval.values()):<8.1f}"
            f"{t.bytes:>20,}  {human(t.bytes)}; {t.how}"
            + (f"; counted at {t.counted_as}-tier figures" if t.counted_as else "")
        )
        if t.rollup_bytes_per_interval and not t.counted_as:
            parts = ", ".join(f"{k} {v:.1f}" for k, v in t.rollup_bytes_per_interval.items())
            lines.append(f"{'':<10}rollups per interval: {parts}")
    lines += [
        "",
        f"total online (database): {e.total_online:,} bytes = {human(e.total_online)} "
        "(decimal units: 1 TB = 10^12 bytes)",
    ]
    if any(not t.online for t in e.tiers):
        lines.append("* not in the database and not in the total (the Parquet archive files)")
    lines += [f"note: {n}" for n in e.notes]
    return "\n".join(lines)


def update_figures(
    tier: str,
    *,
    what: str,
    online: bool,
    figures: list[dict[str, Any]],
    command: str,
    machine: dict[str, Any],
    data: dict[str, Any],
    measured_at: str,
    path: Path | None = None,
) -> Path:
    """Replace one tier's figures in the figures file (created when missing), keeping the
    other tiers and their provenance. Benchmarks call this after measuring."""
    path = path or FIGURES_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = {}
    doc.setdefault("schema", FIGURES_SCHEMA)
    doc.setdefault("hot_days_default", DEFAULT_HOT_DAYS)
    doc.setdefault("tiers", {})
    doc["tiers"][tier] = {
        "what": what,
        "online": online,
        "measured_at": measured_at,
        "command": command,
        "machine": machine,
        "data": data,
        "figures": figures,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
