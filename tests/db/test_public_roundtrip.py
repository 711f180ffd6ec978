"""ABNT public format: `smf export` then `smf import` of the same meter-month changes nothing,
even where the file's 12-bit words force a constant coarser than the stored Wh; corrupt files
are refused whole."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db.ingest import ingest_csv
from db.settings import Settings
from poller import public_io
from poller.protocol.errors import NBR14522Error
from tests.db.helpers import add_meters, fingerprint, write_csv

HEADER = "meter_serial,ts,active_fwd_kwh,reactive_ind_fwd_kvarh,voltage_a_v"


SERIAL = "12345678"


@pytest.fixture
def meters(db_settings: Settings) -> Settings:
    add_meters(db_settings.url, SERIAL)  # public-format serials are 8 BCD digits
    return db_settings


def _month(meters: Settings, tmp_path: Path) -> None:
    # One local day (-03:00) of M1. Peaks of 9.xxx kWh per 5 minutes do not fit 4095 pulses of
    # 1 Wh, so the export uses 10 Wh per pulse: 9.237 kWh is written as 924 pulses = 9.240 kWh,
    # 3 Wh off, within half a pulse (5 Wh) of the stored value.
    rows = [
        f"{SERIAL},2026-10-01T{m // 60:02d}:{m % 60:02d}:00-03:00,"
        f"{9 + (m * 37 % 1000) / 1000:.3f},{(m * 13 % 997) / 1000:.3f},{220 + (m % 7) / 10:.1f}"
        for m in range(0, 1440, 5)
    ]
    ingest_csv(write_csv(tmp_path / "a.csv", HEADER, *rows), settings=meters)


@pytest.mark.slow
def test_export_then_import_changes_nothing(meters: Settings, tmp_path: Path) -> None:
    _month(meters, tmp_path)
    before = fingerprint(meters.url)
    data, n = public_io.export_month(meters.url, SERIAL, "2026-10")
    assert n == 288
    serial, result = asyncio.run(public_io.import_file(meters.url, data, "M1.bin"))
    assert serial == SERIAL
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (288, 0, 0, 288)
    assert fingerprint(meters.url) == before


@pytest.mark.slow
def test_a_real_change_in_the_file_is_still_imported(meters: Settings, tmp_path: Path) -> None:
    _month(meters, tmp_path)
    data, _ = public_io.export_month(meters.url, SERIAL, "2026-10")
    # Rewrite interval 0's active word (first 12 bits of block 1's data) to 0 pulses.
    blocks = [bytearray(data[i : i + 256]) for i in range(0, len(data), 256)]
    mm = next(b for b in blocks if b[0] == 0x26)
    mm[7] = 0
    mm[8] = 0
    changed = b"".join(bytes(b) for b in blocks)
    _serial, result = asyncio.run(public_io.import_file(meters.url, changed, "M1.bin"))
    assert result.updated >= 1  # the differing interval replaces the stored one


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "what"),
    [
        ("length", "file size"),
        ("serial", "mixes meter serials"),
        ("type", "has type 0x50, which no reading produces"),
        ("number", "block"),
    ],
)
def test_corrupt_file_is_refused(meters: Settings, tmp_path: Path, where: str, what: str) -> None:
    _month(meters, tmp_path)
    data = bytearray(public_io.export_month(meters.url, SERIAL, "2026-10")[0])
    before = fingerprint(meters.url)
    types = [data[i] for i in range(0, len(data), 256)]
    if where == "length":
        data = data[:-1]
    elif where == "serial":
        data[256 + 1] ^= 0x01  # a flipped bit in the serial of the second block
    elif where == "type":  # the second group's parameter block 0x51 becomes 0x50
        data[256 * (len(types) - 1 - types[::-1].index(0x51))] ^= 0x01
    else:  # a flipped bit in the number of the third mass-memory block
        data[256 * 2 + 6] ^= 0x01
    with pytest.raises(NBR14522Error, match=what):
        asyncio.run(public_io.import_file(meters.url, bytes(data), "bad.bin"))
    assert fingerprint(meters.url) == before
