"""Stored data → ABNT public-format file → the same values decoded; importing it through the
ingest path changes nothing (every interval already stored, identical)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from db.settings import REPO_ROOT, Settings
from poller import public_io
from poller.emulator import FixedClock, MeterConfig
from poller.protocol.public_format import public_file_name

from .conftest import expected_rows, poller, site, stored_rows


@pytest.mark.slow
@pytest.mark.parametrize("channels", [3, 12])
async def test_export_then_import_round_trip(
    db_settings: Settings, clock: FixedClock, channels: int
) -> None:
    cfg = MeterConfig(serial="32600760", channels=channels, interval_min=15)
    async with site(db_settings, clock, cfg) as s:
        await poller(db_settings, clock).read_meter(s.info)
    data, n = public_io.export_month(db_settings.url, "32600760", "2024-03")
    # from the first stored interval (00:00 local on the 7th) to the newest (15:00 UTC on the 8th)
    assert n == (24 + 12) * 4
    periods = await public_io.decode_file(data, s.info.utc_offset)
    got = {iv.start: iv.values for iv in periods[0].intervals}
    want = expected_rows(
        s.meter, datetime(2024, 3, 7, 3, tzinfo=UTC), datetime(2024, 3, 8, 15, tzinfo=UTC)
    )
    stored = stored_rows(db_settings, "32600760")
    for ts, cols in want.items():
        assert stored[ts]["active_fwd_wh"] == cols["active_fwd_wh"]
        for q in ("active_fwd_kwh", "reactive_ind_fwd_kvarh", "reactive_cap_fwd_kvarh"):
            col = q.replace("kwh", "wh").replace("kvarh", "varh")
            assert round((got[ts][q] or 0) * 1000) == cols[col], (ts, q)
    # Re-imported: every stored value comes back identical, and a meter read wins over an
    # import (smf.source_precedence), so nothing is rewritten.
    serial, result = await public_io.import_file(
        db_settings.url, data, public_file_name("32600760", datetime(2024, 3, 8))
    )
    assert serial == "32600760" and result.rows == n and result.quarantined_total == 0
    assert result.unchanged == len(want) == n and result.inserted == result.updated == 0
    values = [c for c in stored[next(iter(want))] if c.endswith(("wh", "varh", "mv", "ma"))]
    after = stored_rows(db_settings, "32600760")
    for ts in want:
        assert [after[ts][c] for c in values] == [stored[ts][c] for c in values], ts


@pytest.mark.slow
async def test_cli_import_detects_public_format(
    db_settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    async with site(db_settings, clock, MeterConfig(serial="32600760", interval_min=15)) as s:
        await poller(db_settings, clock).read_meter(s.info)
    data, n = public_io.export_month(db_settings.url, "32600760", "2024-03")
    good, bad = tmp_path / "32600$AB.CDE", tmp_path / "junk.bin"
    good.write_bytes(data)
    bad.write_bytes(bytes([0x20]) + b"\xff" * 255)  # a block type, then nothing decodable
    env = {**os.environ, "SMF_DATABASE_URL": db_settings.url}

    def smf(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "smf.cli", *argv], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    ok = smf("import", str(good))
    assert ok.returncode == 0, ok.stderr
    assert "meter 32600760 (ABNT public format): batch" in ok.stdout
    assert f"{n} rows: 0 inserted" in ok.stdout  # every interval was already stored
    refused = smf("import", str(bad))
    assert refused.returncode == 1
    assert "junk.bin is not a valid ABNT public-format file" in refused.stderr
