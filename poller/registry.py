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

PROTOCOLS = ("nbr14522", "nbr14522_wrapper", "nbr14522_addressed", "dlms", "import_only")
DLMS_AUTHS = ("none", "lls", "hls_gmac")
SCHEDULES = ("15min", "hourly", "daily", "never")
INTERVALS = (5, 15)
LAYOUT_NAMES = (UNDETERMINED, *(x.value for x in Layout))
UNIT_NAMES = (UNDETERMINED, *REGISTER_UNITS)


class RegistryError(ValueError):
    """Bad input to a registry operation (nothing was written)."""


def check_serial(serial: str, protocol: str = "nbr14522") -> str:
    if protocol not in ("import_only", "dlms"):
        if not re.fullmatch(r"[0-9]{8}", serial):
            raise RegistryError(
                f"bad serial {serial!r}: an NBR 14522 meter serial is 8 decimal digits "
                "(4 BCD octets in every frame)"
            )
    elif not re.fullmatch(r"[0-9A-Za-z-]{1,20}", serial):  # DLMS: the device id (0.0.96.1.0.255)
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
    if protocol == "dlms":  # default DLMS settings (public client, no authentication)
        assert transport is not None  # resolve_protocol: a polled meter has a transport
        return add_dlms(
            settings,
            serial,
            transport,
            DlmsOptions(),
            interval_minutes=interval_minutes,
            utc_offset_minutes=utc_offset_minutes,
            poll_schedule=poll_schedule or "daily",
            model=model,
        )
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
        row["dlms"] = driver.run_one(conn, "dlms_meter_get", meter_id=row["id"])
        row["clock_corrections"] = driver.run(
            conn, "clock_corrections_of", meter_id=row["id"], limit=5
        )
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
        dlms = (changes.protocol or before["protocol"]) == "dlms"
        if dlms and (changes.mm_layout is not None or changes.register_unit is not None):
            raise RegistryError(
                f"meter {serial} speaks DLMS: the mass-memory layout and register unit are NBR "
                "14522's (a DLMS profile's scaling is --dlms-energy-unit)"
            )
        driver.run(conn, "meter_set", serial=serial, **asdict(changes))
        if (
            changes.protocol == "dlms"
            and driver.run_one(conn, "dlms_meter_get", meter_id=before["id"]) is None
        ):  # a meter switched to DLMS gets the default settings (public client, no auth)
            set_dlms(conn, int(before["id"]), DlmsOptions())
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


# --- DLMS ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DlmsOptions:
    """DLMS settings of ``smf meter add --protocol dlms`` (keys come from a file or the
    environment, never the command line, and are stored encrypted: poller/dlms/keystore.py)."""

    client_sap: int = 16
    server_logical: int = 1
    server_physical: int | None = None
    auth: str = "none"
    profile_obis: str = "1.0.99.1.0.255"
    password: bytes = b""
    authentication_key: bytes = b""
    encryption_key: bytes = b""
    system_title: bytes = b"SMF00001"

    def __repr__(self) -> str:
        return (
            f"DlmsOptions(client_sap={self.client_sap}, server={self.server_logical}/"
            f"{self.server_physical}, auth={self.auth!r}, profile={self.profile_obis}, ***)"
        )

    def validated(self, transport: str) -> DlmsOptions:
        from poller.dlms.axdr import obis_bytes

        if parse_transport(transport).scheme == "wrapper":
            raise RegistryError(
                "a DLMS meter is reached by tcp://HOST:PORT (IEC 62056-47 wrapper), "
                "hdlc://HOST:PORT or serial:///dev/DEVICE; wrapper:// is NBR 14522's"
            )
        if not 1 <= self.client_sap <= 127:
            raise RegistryError(f"client address {self.client_sap}: 1-127 (16 = public client)")
        if not 0 <= self.server_logical <= 16383:
            raise RegistryError(f"server logical address {self.server_logical}: 0-16383")
        if self.server_physical is not None and not 0 <= self.server_physical <= 16383:
            raise RegistryError(f"server physical address {self.server_physical}: 0-16383")
        _choice(self.auth, DLMS_AUTHS, "DLMS authentication")
        try:
            obis_bytes(self.profile_obis)
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
        if self.auth == "lls" and not self.password:
            raise RegistryError(
                "LLS needs a password (password= in --keys-file, or SMF_DLMS_PASSWORD)"
            )
        if self.auth == "lls" and len(self.password) > 64:
            raise RegistryError("LLS password: at most 64 octets")
        if self.auth == "hls_gmac":
            if len(self.authentication_key) != 16 or len(self.encryption_key) != 16:
                raise RegistryError(
                    "HLS-GMAC needs authentication_key= and encryption_key= (32 hex digits "
                    "each) in --keys-file, or SMF_DLMS_AK / SMF_DLMS_EK"
                )
            if len(self.system_title) != 8:
                raise RegistryError("the client system title must be 8 octets (16 hex digits)")
        return self


def read_keys(path: str | None, env: dict[str, str]) -> dict[str, bytes]:
    """Key material from a ``key=value`` file (password=, authentication_key=, encryption_key=,
    system_title=) or the environment (SMF_DLMS_PASSWORD, SMF_DLMS_AK, SMF_DLMS_EK,
    SMF_DLMS_SYSTEM_TITLE). Raises RegistryError naming the bad item (never its value)."""
    from pathlib import Path

    from poller.dlms.keystore import parse_key

    items: dict[str, str] = {}
    if path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise RegistryError(f"keys file {path}: {exc.strerror}") from None
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if "=" not in line:
                raise RegistryError(f"keys file {path} line {n}: expected name=value")
            k, v = line.split("=", 1)
            items[k.strip()] = v.strip()
        unknown = set(items) - {"password", "authentication_key", "encryption_key", "system_title"}
        if unknown:
            raise RegistryError(f"keys file {path}: unknown item(s) {', '.join(sorted(unknown))}")
    for k, var in (
        ("password", "SMF_DLMS_PASSWORD"),
        ("authentication_key", "SMF_DLMS_AK"),
        ("encryption_key", "SMF_DLMS_EK"),
        ("system_title", "SMF_DLMS_SYSTEM_TITLE"),
    ):
        if k not in items and env.get(var):
            items[k] = env[var]
    out: dict[str, bytes] = {}
    try:
        if "password" in items:
            out["password"] = items["password"].encode()
        for k in ("authentication_key", "encryption_key"):
            if k in items:
                out[k] = parse_key(items[k], k)
        if "system_title" in items:
            raw = bytes.fromhex(items["system_title"])
            out["system_title"] = raw
    except ValueError as exc:
        raise RegistryError(str(exc).split(":")[0] + ": malformed (value not shown)") from None
    return out


def set_dlms(conn: Any, meter_id: int, opts: DlmsOptions) -> None:
    """Store the DLMS settings and (sealed) keys of a meter, in the caller's transaction."""
    from poller.dlms import keystore

    driver.run(
        conn,
        "dlms_meter_upsert",
        meter_id=meter_id,
        client_sap=opts.client_sap,
        server_logical=opts.server_logical,
        server_physical=opts.server_physical,
        auth=opts.auth,
        profile_obis=opts.profile_obis,
    )
    if opts.auth == "none":
        driver.run(conn, "dlms_key_delete", meter_id=meter_id)
        return
    blob, kid = keystore.seal(
        keystore.Secrets(opts.password, opts.authentication_key, opts.encryption_key)
    )
    driver.run(
        conn,
        "dlms_key_upsert",
        meter_id=meter_id,
        secret=blob,
        key_id=kid,
        client_system_title=opts.system_title if opts.auth == "hls_gmac" else None,
    )


def add_dlms(
    settings: Settings | str | None,
    serial: str,
    transport: str,
    opts: DlmsOptions,
    *,
    interval_minutes: int = 15,
    utc_offset_minutes: int = -180,
    poll_schedule: str = "daily",
    model: str | None = None,
) -> int:
    """Register a DLMS meter and its settings in one transaction. Raises RegistryError."""
    check_serial(serial, "dlms")
    check_transport(transport)
    opts.validated(transport)
    Changes(interval_minutes=interval_minutes, poll_schedule=poll_schedule, model=model).validated()

    def work(conn: driver.Connection) -> int:
        row = driver.run_one(
            conn,
            "meter_add",
            serial=serial,
            model=model,
            protocol="dlms",
            interval_minutes=interval_minutes,
            utc_offset_minutes=utc_offset_minutes,
            transport=transport,
            poll_schedule=poll_schedule,
        )
        if row is None:
            raise RegistryError(
                f"meter {serial} is already registered (change it with `smf meter set`)"
            )
        set_dlms(conn, int(row["id"]), opts)
        return int(row["id"])

    return driver.in_transaction(settings, work)


def set_dlms_decision(
    settings: Settings | str | None,
    serial: str,
    *,
    energy_unit: str | None = None,
    profile_kind: str | None = None,
    status_scheme: str | None = None,
) -> None:
    """Operator override of a DLMS decision (smf meter set --dlms-...)."""
    if energy_unit is not None:
        _choice(energy_unit, ("undetermined", "attribute3", "wh", "kwh"), "DLMS energy unit")
    if profile_kind is not None:
        _choice(profile_kind, ("undetermined", "interval", "cumulative"), "DLMS profile kind")
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_get", serial=serial)
        if row is None or row["protocol"] != "dlms":
            raise RegistryError(f"no DLMS meter with serial {serial!r}")
        driver.run(
            conn,
            "dlms_meter_set",
            meter_id=row["id"],
            energy_unit=energy_unit,
            profile_kind=profile_kind,
            status_scheme=status_scheme,
        )


def set_clock_policy(
    settings: Settings | str | None,
    serial: str,
    *,
    auto_correct: bool | None = None,
    correct_min_s: int | None = None,
    correct_max_s: int | None = None,
    boundary_guard_s: int | None = None,
) -> None:
    """A meter's own clock policy (None keeps the current value or the default)."""
    for name, v in (("min", correct_min_s), ("max", correct_max_s)):
        if v is not None and v <= 0:
            raise RegistryError(f"clock correction {name}: a positive number of seconds")
    if boundary_guard_s is not None and boundary_guard_s < 0:
        raise RegistryError("clock boundary guard: zero or more seconds")
    with driver.connect(settings) as conn:
        row = driver.run_one(conn, "meter_get", serial=serial)
        if row is None:
            raise RegistryError(f"no meter with serial {serial!r} (see `smf meter list`)")
        driver.run(
            conn,
            "clock_policy_set",
            meter_id=row["id"],
            auto_correct=auto_correct,
            correct_min_s=correct_min_s,
            correct_max_s=correct_max_s,
            boundary_guard_s=boundary_guard_s,
        )


def reports(
    settings: Settings | str | None,
    which: str,
    *,
    days: int = 30,
    lo: datetime | None = None,
    hi: datetime | None = None,
) -> list[dict[str, Any]]:
    """Meter reports: 'config', 'clock' (last ``days``), 'connectivity' ([lo, hi))."""
    with driver.connect(settings) as conn:
        if which == "config":
            return driver.run(conn, "report_meter_config")
        if which == "clock":
            return driver.run(conn, "report_meter_clock", days=days)
        if which == "connectivity":
            return driver.run(conn, "report_meter_connectivity", lo=lo, hi=hi)
    raise RegistryError(f"unknown report {which!r}: config, clock or connectivity")
