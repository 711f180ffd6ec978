"""Registering meters without SQL: validation and the registry operations behind
``smf meter add | list | show | set | retire | redecode``.

Every input is validated BEFORE the database is touched: a bad serial, an unknown transport
scheme, a malformed URL or an out-of-range value raises :class:`RegistryError` with a specific
message, and nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from db import driver
from db.settings import Settings
from poller.connect import ConfigurationError, parse_transport
from poller.detect import REGISTER_UNITS
from poller.protocol.codec.mmlayout import UNDETERMINED, Layout
from poller.store import MeterInfo

PROTOCOLS = ("nbr14522", "nbr14522_wrapper", "nbr14522_addressed", "import_only")
SCHEDULES = ("15min", "hourly", "daily", "never")
INTERVALS = (5, 15)
LAYOUT_NAMES = (UNDETERMINED, *(x.value for x in Layout))
UNIT_NAMES = (UNDETERMINED, *REGISTER_UNITS)


class RegistryError(ValueError):
    """Bad input to a registry operation (nothing was written)."""


def check_serial(serial: str, protocol: str = "nbr14522") -> str:
    if protocol != "import_only":
        if not re.fullmatch(r"[0-9]{8}", serial):
            raise RegistryError(
                f"bad serial {serial!r}: an NBR 14522 meter serial is 8 decimal digits "
                "(4 BCD octets in every frame)"
            )
    elif not re.fullmatch(r"[0-9A-Za-z-]{1,20}", serial):
        raise RegistryError(f"bad serial {serial!r}: 1-20 letters, digits or '-'")
    return serial


def check_transport(url: str) -> str:
    try:
        parse_transport(url)
    except ConfigurationError as exc:
        raise RegistryError(str(exc)) from None
    return url


def parse_utc_offset(text: str) -> int:
    """Minutes east of UTC from ``-180``, ``-03:00`` or ``-3h``. Raises RegistryError."""
    m = re.fullmatch(r"([+-])(\d{1,2}):(\d{2})", text.strip())
    if m:
        minutes = int(m[2]) * 60 + int(m[3])
        value = -minutes if m[1] == "-" else minutes
    elif re.fullmatch(r"[+-]?\d{1,2}h", text.strip()):
        value = int(text.strip()[:-1]) * 60
    elif re.fullmatch(r"[+-]?\d{1,4}", text.strip()):
        value = int(text)
    else:
        raise RegistryError(f"bad UTC offset {text!r}: write minutes (-180) or ±HH:MM (-03:00)")
    if not -720 <= value <= 840:
        raise RegistryError(f"UTC offset {text!r} out of range (-12:00 to +14:00)")
    return value


def _choice(value: Any, allowed: tuple[Any, ...], what: str) -> Any:
    if value not in allowed:
        raise RegistryError(f"bad {what} {value!r}: one of {', '.join(map(str, allowed))}")
    return value


@dataclass(frozen=True, slots=True)
class Changes:
    """Fields of ``smf meter set`` (None: unchanged)."""

    transport: str | None = None
    interval_minutes: int | None = None
    utc_offset_minutes: int | None = None
    poll_schedule: str | None = None
    model: str | None = None
    protocol: str | None = None
    mm_layout: str | None = None
    register_unit: str | None = None
    enabled: bool | None = None
    channel_map: list[str] | None = None

    def validated(self) -> Changes:
        if self.transport is not None:
            check_transport(self.transport)
        if self.interval_minutes is not None:
            _choice(self.interval_minutes, INTERVALS, "interval (minutes)")
        if self.poll_schedule is not None:
            _choice(self.poll_schedule, SCHEDULES, "schedule")
        if self.protocol is not None:
            _choice(self.protocol, PROTOCOLS, "protocol")
        if self.mm_layout is not None:
            _choice(self.mm_layout, LAYOUT_NAMES, "mass-memory layout")
        if self.register_unit is not None:
            _choice(self.register_unit, UNIT_NAMES, "register unit")
        if self.model is not None and len(self.model) > 40:
            raise RegistryError("model: at most 40 characters")
        return self


def resolve_protocol(serial: str, transport: str | None, protocol: str | None) -> str:
    """The protocol of a new meter: as given, else ``import_only`` without a transport and
    ``nbr14522`` with one. A meter read over the protocol needs a transport; an import-only meter
    needs none (its data arrive by `smf import` or the API). Raises RegistryError."""
    chosen = protocol or ("import_only" if transport is None else "nbr14522")
    _choice(chosen, PROTOCOLS, "protocol")
    if transport is None and chosen != "import_only":
        raise RegistryError(
            f"meter {serial}: protocol {chosen} is read by the poller and needs --transport "
            "(tcp://HOST:PORT, wrapper://HOST:PORT or serial:///dev/X); a meter whose data only "
            "arrive by import needs none: leave out --transport (or --protocol import_only)"
        )
    return chosen


def check_channels(text: str) -> list[str]:
    """A channel map from ``all`` or a comma-separated list of quantity names (db.channels).
    Raises RegistryError naming the unknown ones."""
    from db.channels import QUANTITY_NAMES

    if text.strip() == "all":
        return list(QUANTITY_NAMES)
    names = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in QUANTITY_NAMES]
    if unknown or not names:
        raise RegistryError(
            f"bad channel list {text!r}: unknown {', '.join(unknown) or '(empty)'}; "
            f"'all' or some of {', '.join(QUANTITY_NAMES)}"
        )
    if len(set(names)) != len(names):
        raise RegistryError(f"bad channel list {text!r}: a channel is named twice")
    return [q for q in QUANTITY_NAMES if q in names]  # in storage order


def add(
    settings: Settings | str | None,
    serial: str,
    transport: str | None = None,
    *,
    interval_minutes: int = 5,
    utc_offset_minutes: int = -180,
    poll_schedule: str | None = None,
    model: str | None = None,
    protocol: str | None = None,
    channels: list[str] | None = None,
) -> int:
    """Register a meter; returns its id. Without a transport the meter is import-only (never
    polled; schedule 'never'). Raises RegistryError (nothing written)."""
    protocol = resolve_protocol(serial, transport, protocol)
    check_serial(serial, protocol)
    if transport is not None:
        check_transport(transport)
    if poll_schedule is None:
        poll_schedule = "never" if protocol == "import_only" else "daily"
    Changes(interval_minutes=interval_minutes, poll_schedule=poll_schedule, model=model).validated()
    if not -720 <= utc_offset_minutes <= 840:
        raise RegistryError(f"UTC offset {utc_offset_minutes} min out of range")
    with driver.connect(settings) as conn:
        row = driver.run_one(
            conn,
            "meter_add",
            serial=serial,
            model=model,
            protocol=protocol,
            interval_minutes=interval_minutes,
            utc_offset_minutes=utc_offset_minutes,
            transport=transport,
            poll_schedule=poll_schedule,
        )
        if row is not None and channels is not None:
            driver.run(conn, "meter_set", serial=serial, **asdict(Changes(channel_map=channels)))
    if row is None:
        raise RegistryError(
            f"meter {serial} is already registered (change it with `smf meter set`)"
        )
    return int(row["id"])


def list_meters(settings: Settings | str | None) -> list[dict[str, Any]]:
    with driver.connect(settings) as conn:
        return driver.run(conn, "meter_list")


def show(settings: Settings | str | None, serial: str, events: int = 10) -> dict[str, Any]:
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_get", serial=serial)
        if row is None:
            raise RegistryError(f"no meter with serial {serial!r} (see `smf meter list`)")
        row["events"] = driver.run(conn, "meter_recent_events", meter_id=row["id"], limit=events)
    return row


def set_fields(settings: Settings | str | None, serial: str, changes: Changes) -> dict[str, Any]:
    """Apply ``changes``; a changed mass-memory layout re-decodes the stored raw reads in the
    same transaction. Returns {"redecoded": Redecoded | None}."""
    from poller.redecode import redecode

    changes.validated()
    with driver.connect(settings) as conn:
        before = driver.run_one(conn, "meter_get", serial=serial)
        if before is None:
            raise RegistryError(f"no meter with serial {serial!r} (see `smf meter list`)")
        driver.run(conn, "meter_set", serial=serial, **asdict(changes))
        after = driver.run_one(conn, "meter_get", serial=serial)
        assert after is not None
        done = None
        if changes.mm_layout not in (None, UNDETERMINED, before["mm_layout"]):
            assert changes.mm_layout is not None
            done = redecode(conn, MeterInfo.from_row(after), Layout(changes.mm_layout))
    return {"redecoded": done}


def parse_nominal_voltage(text: str) -> float:
    """Volts from ``66.4`` (or ``66,4``), or 0 from ``auto`` (detect from the data again).
    Raises RegistryError."""
    t = text.strip().lower()
    if t in ("auto", "detect", "0"):
        return 0.0
    try:
        value = float(t.replace(",", "."))
    except ValueError:
        raise RegistryError(
            f"bad nominal voltage {text!r}: volts phase to neutral (66.4, 127, 220) or 'auto'"
        ) from None
    if not 20 <= value <= 1000:
        raise RegistryError(
            f"nominal voltage {value:g} V out of range: 20-1000 V phase to neutral, or 'auto'"
        )
    return value


def set_nominal_voltage(
    settings: Settings | str | None, serial: str, volts: float, valid_from: str | None = None
) -> dict[str, Any]:
    """The meter's own voltage_nominal_v VEE parameter from local day `valid_from` (default:
    all its data) on; 0 = detect from the data. Returns {"volts", "valid_from", "standard"}.
    Raises RegistryError (unknown meter) or db.errors.InvalidParameter."""
    with driver.connect(settings) as conn:
        row = driver.run_one(
            conn,
            "meter_set_nominal_voltage",
            serial=serial,
            volts=Decimal(repr(volts)),
            valid_from=valid_from,
        )
    assert row is not None
    return dict(row["result"])


def nominal_voltage(settings: Settings | str | None, serial: str) -> dict[str, Any]:
    """The nominal voltage VEE uses for the meter now: {"nominal_v", "how"} over its last 7
    days of data (configured, or detected with the mean it came from)."""
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_nominal_voltage", serial=serial)
    return dict(row) if row else {"nominal_v": None, "how": "no meter"}


def retire(settings: Settings | str | None, serial: str) -> datetime:
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_retire", serial=serial)
    if row is None:
        raise RegistryError(f"no meter with serial {serial!r} (see `smf meter list`)")
    return row["retired_at"]  # type: ignore[no-any-return]


def redecode_serial(
    settings: Settings | str | None,
    serial: str,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> Any:
    """``smf meter redecode``: the meter's stored raw reads, with its current layout."""
    from poller.redecode import redecode

    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_get", serial=serial)
        if row is None:
            raise RegistryError(f"no meter with serial {serial!r} (see `smf meter list`)")
        if row["mm_layout"] == UNDETERMINED:
            raise RegistryError(
                f"meter {serial}: mass-memory layout undetermined; nothing to re-decode with "
                f"(set one with `smf meter set {serial} --layout LAYOUT`)"
            )
        return redecode(conn, MeterInfo.from_row(row), Layout(row["mm_layout"]), lo, hi)
