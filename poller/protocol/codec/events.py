"""0x25 (power outages) and 0x28 (alteration log) responses.

0x25 [S, FITec]: 20 records × 12 octets from 006, each ``start hh mm ss DD MM YY`` then
``end``; octets 246-256 are totals whose bit layout is [?] (kept raw). Empty slots are zero.
0x28 [S sizes, I field order]: 25 records × 10 octets from 006: command code (1), reader
serial (3 BCD), ``hh mm ss DD MM YY``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..bcd import bcd_digits, decode_datetime, digits_to_bcd, encode_datetime
from ._fields import BodyWriter, require_body, span

OUTAGE_SLOTS = 20
ALTERATION_SLOTS = 25


@dataclass(frozen=True, slots=True)
class Outage:
    start: datetime  # meter-local
    end: datetime | None  # None: still open, or not recorded


@dataclass(frozen=True, slots=True)
class Outages:
    meter_serial: str
    records: tuple[Outage, ...]  # in slot order
    trailer: bytes = bytes(11)  # octets 246-256 [?]
    raw: bytes = field(default=b"", compare=False, repr=False)


def decode_outages(body: bytes) -> Outages:
    require_body(body, (0x25,))
    records = []
    for i in range(OUTAGE_SLOTS):
        first = 6 + 12 * i
        start = decode_datetime(span(body, first, first + 5))
        if start is None:
            continue
        records.append(Outage(start, decode_datetime(span(body, first + 6, first + 11))))
    return Outages(bcd_digits(span(body, 2, 5)), tuple(records), span(body, 246, 256), body)


def encode_outages(o: Outages) -> bytes:
    if len(o.records) > OUTAGE_SLOTS:
        raise ValueError(f"at most {OUTAGE_SLOTS} outage records fit in one 0x25 response")
    w = BodyWriter(0x25, o.meter_serial)
    for i, rec in enumerate(o.records):
        w.put(6 + 12 * i, encode_datetime(rec.start) + encode_datetime(rec.end))
    w.put(246, o.trailer[:11].ljust(11, b"\x00"))
    return w.bytes()


@dataclass(frozen=True, slots=True)
class Alteration:
    command_code: int  # e.g. 0x29 date, 0x30 time
    reader_serial: str
    when: datetime | None  # meter-local


@dataclass(frozen=True, slots=True)
class AlterationLog:
    meter_serial: str
    records: tuple[Alteration, ...]
    raw: bytes = field(default=b"", compare=False, repr=False)


def decode_alteration_log(body: bytes) -> AlterationLog:
    require_body(body, (0x28,))
    records = []
    for i in range(ALTERATION_SLOTS):
        rec = span(body, 6 + 10 * i, 15 + 10 * i)
        if all(b == 0 for b in rec) or all(b == 0xFF for b in rec):
            continue
        records.append(Alteration(rec[0], bcd_digits(rec[1:4]), decode_datetime(rec[4:10])))
    return AlterationLog(bcd_digits(span(body, 2, 5)), tuple(records), body)


def encode_alteration_log(log: AlterationLog) -> bytes:
    if len(log.records) > ALTERATION_SLOTS:
        raise ValueError(f"at most {ALTERATION_SLOTS} alteration records fit in one response")
    w = BodyWriter(0x28, log.meter_serial)
    for i, r in enumerate(log.records):
        rec = bytes((r.command_code,)) + digits_to_bcd(r.reader_serial, 3)
        w.put(6 + 10 * i, rec + encode_datetime(r.when))
    return w.bytes()
