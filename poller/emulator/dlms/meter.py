"""The emulated DLMS meter: its clock, load profile, event logs, registers and association rules,
and its answers to (plain) APDUs. No I/O (server.py carries the bytes).

Values (the emulator's own arithmetic; tests work them out by hand):
* The grid: interval starts at multiples of ``interval_min`` minutes of the meter's LOCAL wall
  time. An entry is stamped with the END of its interval (the capture time), local wall time.
* Energy capture k (0-based among energy captures) of the interval starting at UTC ``s``:
  raw = 100 × (k + 1) + 10 × (slot mod 6), slot = (s.hour × 60 + s.minute) // interval_min;
  the energy is raw × 10^scaler in the capture's unit (Wh or varh). A cumulative profile
  (``cumulative=True``) reports instead 1 000 000 + the sum of raw over every interval from
  ``profile_start`` through this one.
* Voltage capture: raw = 1270 + 10 × (slot mod 3) (scaler -1: 127.0, 128.0, 129.0 V); current:
  raw = 50 + slot mod 4 (scaler -1: 5.0 ... 5.3 A); anything else: raw = 7.
* Status octet (IDIS bits): 7 power failure (the interval overlaps a configured outage),
  5 clock adjusted (the clock was set or shifted while the meter was in that interval),
  2 data not valid (``invalid_starts``).

Clock changes move the meter's offset from true time. One that crosses an interval boundary
forward LOSES the intervals jumped over (no entry), one that crosses backward DOUBLES the
intervals lived twice (two entries with the same stamp): what the poller's policy must avoid.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import cosem as C

Clock = Callable[[], datetime]
STATUS_OBIS = "0.0.96.10.1.255"
CLOCK_OBIS = "0.0.1.0.0.255"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Capture:
    obis: str
    class_id: int = 3
    scaler: int = 0
    unit: int = 30  # 30 Wh, 32 varh, 35 V, 33 A
    kind: str = "energy"  # energy, voltage, current, other


DEFAULT_CAPTURES = (
    Capture("1.0.1.29.0.255", unit=30),
    Capture("1.0.2.29.0.255", unit=30),
    Capture("1.0.5.29.0.255", unit=32),
    Capture("1.0.8.29.0.255", unit=32),
    Capture("1.0.32.27.0.255", scaler=-1, unit=35, kind="voltage"),
)


@dataclass(slots=True)
class DlmsMeterConfig:
    serial: str = "DLMS0001"
    interval_min: int = 15
    utc_offset: timedelta = timedelta(hours=-3)
    clock_offset: timedelta = timedelta(0)  # meter clock minus true time
    profile_obis: str = "1.0.99.1.0.255"
    captures: tuple[Capture, ...] = DEFAULT_CAPTURES
    with_status: bool = True
    cumulative: bool = False
    #: scaler_unit (attribute 3) readable; False answers read-write-denied
    scaler_readable: bool = True
    profile_days: int = 3  # depth of the profile before the emulator's start
    outages: tuple[tuple[datetime, datetime], ...] = ()  # true UTC [start, end)
    invalid_starts: frozenset[datetime] = frozenset()  # UTC interval starts flagged invalid
    power_quality: tuple[tuple[datetime, int], ...] = ()  # (UTC, event code)
    standard_events: tuple[tuple[datetime, int], ...] = ()  # (UTC, event code)
    auth: str = "none"  # none, lls, hls_gmac
    password: bytes = b""
    authentication_key: bytes = b""
    encryption_key: bytes = b""
    system_title: bytes = b"EMU\x00\x00\x00\x00\x01"
    client_sap: int = 16
    block_size: int = 240  # raw octets per GET data block
    #: instantaneous values: (OBIS, scaler, unit, raw)
    instantaneous: tuple[tuple[str, int, int, int], ...] = (
        ("1.0.32.7.0.255", -1, 35, 2201),
        ("1.0.52.7.0.255", -1, 35, 2199),
        ("1.0.72.7.0.255", -1, 35, 2203),
        ("1.0.31.7.0.255", -2, 33, 512),
        ("1.0.51.7.0.255", -2, 33, 498),
        ("1.0.71.7.0.255", -2, 33, 505),
        ("1.0.1.7.0.255", 0, 27, 3350),
        ("1.0.14.7.0.255", -2, 44, 6000),
    )


@dataclass(slots=True)
class Association:
    """State of one application association (one connection)."""

    accepted: bool = False
    authenticated: bool = False
    client_title: bytes = b""
    client_challenge: bytes = b""
    meter_challenge: bytes = b""
    last_client_ic: int = -1
    #: invoke id → raw blocks of a long GET under way
    blocks: dict[int, list[bytes]] = field(default_factory=dict)
    gap_done: bool = False


class DlmsMeter:
    def __init__(self, config: DlmsMeterConfig | None = None, clock: Clock = system_clock) -> None:
        self.config = cfg = config or DlmsMeterConfig()
        self.clock = clock
        self.serial = cfg.serial
        self.offset = cfg.clock_offset
        self.step = timedelta(minutes=cfg.interval_min)
        start_local = self._floor(self.meter_local() - timedelta(days=cfg.profile_days))
        self.profile_start = start_local  # first interval start, local
        self.lost: set[datetime] = set()  # local interval starts with no entry
        self.doubled: set[datetime] = set()  # local interval starts with two entries
        self.adjusted: set[datetime] = set()  # local interval starts with the clock-adjusted bit
        self.clock_sets: list[tuple[datetime, datetime, datetime]] = []  # (true UTC, before, after)
        self.meter_ic = 1
        self.refuse_associations = 0
        self.requests = 0

    # --- clock ---------------------------------------------------------------------------------
    def meter_local(self) -> datetime:
        """The meter's local wall time now (naive)."""
        t = self.clock() + self.offset + self.config.utc_offset
        return t.replace(tzinfo=None)

    def _floor(self, local: datetime) -> datetime:
        m = self.config.interval_min
        return local.replace(minute=local.minute // m * m, second=0, microsecond=0)

    def set_local(self, new_local: datetime) -> None:
        """Set the clock (SET attribute 2, shift_time): the profile records the consequences."""
        before = self.meter_local()
        self.offset += new_local - before
        self.clock_sets.append((self.clock(), before, new_local))
        a, b = self._floor(before), self._floor(new_local)
        self.adjusted.add(a)
        self.adjusted.add(b)
        if b > a:  # forward across boundaries: the intervals jumped over have no entry
            t = a + self.step
            while t < b:
                self.lost.add(t)
                t += self.step
        elif b < a:  # backward: the intervals from b up to a are lived (and recorded) twice
            t = b
            while t < a:
                self.doubled.add(t)
                t += self.step

    # --- values --------------------------------------------------------------------------------
    def _utc_of(self, local: datetime) -> datetime:
        return (local - self.config.utc_offset).replace(tzinfo=UTC)

    def _slot(self, local_start: datetime) -> int:
        s = self._utc_of(local_start)
        return (s.hour * 60 + s.minute) // self.config.interval_min

    def raw_value(self, k_energy: int, cap: Capture, local_start: datetime) -> int:
        slot = self._slot(local_start)
        if cap.kind == "energy":
            if self.config.cumulative:
                total = 1_000_000
                t = self.profile_start
                while t <= local_start:
                    total += 100 * (k_energy + 1) + 10 * (self._slot(t) % 6)
                    t += self.step
                return total
            return 100 * (k_energy + 1) + 10 * (slot % 6)
        if cap.kind == "voltage":
            return 1270 + 10 * (slot % 3)
        if cap.kind == "current":
            return 50 + slot % 4
        return 7

    def status(self, local_start: datetime) -> int:
        s = self._utc_of(local_start)
        e = s + self.step
        bits = 0
        if any(a < e and s < b for a, b in self.config.outages):
            bits |= 0x80
        if local_start in self.adjusted:
            bits |= 0x20
        if s in self.config.invalid_starts:
            bits |= 0x04
        return bits

    def entries(self) -> list[tuple[datetime, bytes]]:
        """(end stamp, local) and the encoded entry, oldest first, every closed interval."""
        now = self.meter_local()
        out = []
        t = self.profile_start
        captures = self.config.captures
        while t + self.step <= now:
            if t not in self.lost:
                k = 0
                cols = [C.octets(C.date_time(t + self.step))]
                if self.config.with_status:
                    cols.append(C.u8(self.status(t)))
                for cap in captures:
                    raw = self.raw_value(k, cap, t)
                    if cap.kind == "energy":
                        k += 1
                    cols.append(C.u32(raw) if raw >= 0 else C.i32(raw))
                entry = C.struct_(*cols)
                out.append((t + self.step, entry))
                if t in self.doubled:
                    out.append((t + self.step, entry))
            t += self.step
        return out

    def capture_objects(self) -> bytes:
        items = [C.struct_(C.u16(8), C.octets(C.obis(CLOCK_OBIS)), C.i8(2), C.u16(0))]
        if self.config.with_status:
            items.append(C.struct_(C.u16(1), C.octets(C.obis(STATUS_OBIS)), C.i8(2), C.u16(0)))
        for cap in self.config.captures:
            items.append(
                C.struct_(C.u16(cap.class_id), C.octets(C.obis(cap.obis)), C.i8(2), C.u16(0))
            )
        return C.array(items)

    # --- objects -------------------------------------------------------------------------------
    def get(self, class_id: int, obis: str, attr: int, selector: int, params: Any) -> bytes | int:
        """Encoded Data for an attribute, or a data-access-result (int) on failure."""
        cfg = self.config
        if obis == CLOCK_OBIS and class_id == 8:
            if attr == 2:
                return C.octets(C.date_time(self.meter_local()))
            if attr == 3:
                return C.i16(-int(cfg.utc_offset.total_seconds() // 60))
            return 4
        if obis == "0.0.96.1.0.255" and attr == 2:
            return C.octets(self.serial.encode())
        if obis == cfg.profile_obis and class_id == 7:
            if attr == 2:
                rows = self.entries()
                if selector == 1 and isinstance(params, list) and len(params) >= 3:
                    lo, hi = C.read_date_time(params[1]), C.read_date_time(params[2])
                    rows = [r for r in rows if lo <= r[0] <= hi]
                return C.array([e for _, e in rows])
            if attr == 3:
                return self.capture_objects()
            if attr == 4:
                return C.u32(cfg.interval_min * 60)
            if attr == 7:
                return C.u32(len(self.entries()))
            return 4
        for cap in cfg.captures:
            if cap.obis == obis and class_id == cap.class_id:
                if attr == 3:
                    return (
                        C.struct_(C.i8(cap.scaler), C.enum(cap.unit)) if cfg.scaler_readable else 3
                    )
                if attr == 2:
                    return C.u32(0)
        for code, scaler, unit, raw in cfg.instantaneous:
            if code == obis and class_id == 3:
                if attr == 2:
                    return C.u32(raw)
                if attr == 3:
                    return C.struct_(C.i8(scaler), C.enum(unit))
        if obis == "0.0.99.97.0.255" and class_id == 7 and attr == 2:  # power failure log
            log: list[bytes] = []
            for a, b in cfg.outages:
                if b <= self.clock():
                    end_local = (b + cfg.utc_offset).replace(tzinfo=None)
                    log.append(
                        C.struct_(
                            C.octets(C.date_time(end_local)), C.u32(int((b - a).total_seconds()))
                        )
                    )
            return C.array(log)
        logs = {"0.0.99.98.4.255": cfg.power_quality, "0.0.99.98.0.255": cfg.standard_events}
        if obis in logs and class_id == 7 and attr == 2:  # (clock, event code) logs
            pq = [
                C.struct_(
                    C.octets(C.date_time((t + cfg.utc_offset).replace(tzinfo=None))), C.u8(code)
                )
                for t, code in logs[obis]
            ]
            return C.array(pq)
        return 4  # object-undefined

    # --- association ---------------------------------------------------------------------------
    def gcm(self, title: bytes, counter: int, aad: bytes, plain: bytes) -> tuple[bytes, bytes]:
        iv = title + counter.to_bytes(4, "big")
        enc = Cipher(algorithms.AES(self.config.encryption_key), modes.GCM(iv)).encryptor()
        enc.authenticate_additional_data(aad)
        ct = enc.update(plain) + enc.finalize()
        return ct, enc.tag[:12]

    def ungcm(self, title: bytes, counter: int, aad: bytes, ct: bytes, tag: bytes) -> bytes:
        iv = title + counter.to_bytes(4, "big")
        dec = Cipher(
            algorithms.AES(self.config.encryption_key), modes.GCM(iv, tag, min_tag_length=12)
        ).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(ct) + dec.finalize()

    def wrap(self, tag: int, plain: bytes) -> bytes:
        self.meter_ic += 1
        sc = 0x30
        ct, t = self.gcm(
            self.config.system_title,
            self.meter_ic,
            bytes([sc]) + self.config.authentication_key,
            plain,
        )
        body = bytes([sc]) + self.meter_ic.to_bytes(4, "big") + ct + t
        return bytes([tag]) + C.length(len(body)) + body

    def unwrap(self, assoc: Association, apdu: bytes) -> bytes | None:
        n, pos = C.read_length(apdu, 1)
        body = apdu[pos : pos + n]
        sc, ic = body[0], int.from_bytes(body[1:5], "big")
        if sc != 0x30 or ic <= assoc.last_client_ic:
            return None  # replayed or unsupported: no answer
        try:
            plain = self.ungcm(
                assoc.client_title,
                ic,
                bytes([sc]) + self.config.authentication_key,
                body[5:-12],
                body[-12:],
            )
        except Exception:
            return None
        assoc.last_client_ic = ic
        return plain

    def f_challenge(self, title: bytes, counter: int, challenge: bytes) -> bytes:
        _, tag = self.gcm(title, counter, b"\x10" + self.config.authentication_key + challenge, b"")
        return b"\x10" + counter.to_bytes(4, "big") + tag

    def aare(self, assoc: Association, aarq: bytes) -> bytes:
        cfg = self.config
        items: dict[int, bytes] = {}
        pos = 2
        while pos < len(aarq):
            tag, n = aarq[pos], aarq[pos + 1]
            items[tag] = aarq[pos + 2 : pos + 2 + n]
            pos += 2 + n
        mech = items.get(0x8B, b"\x00" * 7)[-1] if 0x8B in items else 0
        auth_value = items.get(0xAC, b"\x80\x00")[2:]
        wanted = {"none": 0, "lls": 1, "hls_gmac": 5}[cfg.auth]
        ctx = 3 if cfg.auth == "hls_gmac" else 1
        if self.refuse_associations > 0:
            self.refuse_associations -= 1
            return self._aare(ctx, 1, 1)
        if mech != wanted:
            return self._aare(ctx, 1, 11 if wanted else 1)
        if cfg.auth == "lls" and auth_value != cfg.password:
            return self._aare(ctx, 1, 13)
        initiate = b"\x08\x00\x06\x5f\x1f\x04\x00\x00\x7e\x1f\x04\x00\x00\x07"
        if cfg.auth == "hls_gmac":
            assoc.client_title = items.get(0xA6, b"\x04\x08")[2:]
            assoc.client_challenge = auth_value
            ui = items.get(0xBE, b"")[2:]
            if self.unwrap(assoc, ui) is None:
                return self._aare(ctx, 1, 13)
            assoc.meter_challenge = os.urandom(16)
            assoc.accepted = True
            return self._aare(
                ctx,
                0,
                14,
                title=cfg.system_title,
                challenge=assoc.meter_challenge,
                ui=self.wrap(0x28, initiate),
            )
        assoc.accepted = assoc.authenticated = True
        return self._aare(ctx, 0, 0, ui=initiate)

    @staticmethod
    def _aare(
        ctx: int,
        result: int,
        diag: int,
        *,
        title: bytes | None = None,
        challenge: bytes | None = None,
        ui: bytes = b"",
    ) -> bytes:
        body = b"\xa1\x09\x06\x07\x60\x85\x74\x05\x08\x01" + bytes([ctx])
        body += b"\xa2\x03\x02\x01" + bytes([result])
        body += b"\xa3\x05\xa1\x03\x02\x01" + bytes([diag])
        if title is not None:
            body += b"\xa4\x0a\x04\x08" + title
        if challenge is not None:
            body += b"\x88\x02\x07\x80\x89\x07\x60\x85\x74\x05\x08\x02\x05"
            body += bytes([0xAA, len(challenge) + 2, 0x80, len(challenge)]) + challenge
        if ui:
            body += bytes([0xBE, len(ui) + 2, 0x04, len(ui)]) + ui
        return bytes([0x61, len(body)]) + body
