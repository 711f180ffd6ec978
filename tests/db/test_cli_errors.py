"""Each refused command prints one clear line and exits non-zero, with no traceback (each run as
a separate process, as a user runs it)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from db.settings import Settings
from tests.db.helpers import assert_one_line_error, fingerprint, query, smf_cli, smf_cli_start

DEAD = "postgresql://smf@127.0.0.1:9/smf?connect_timeout=2"  # nothing listens on port 9


@pytest.mark.slow
def test_missing_file(tmp_path: Path) -> None:
    proc = smf_cli(DEAD, "import", str(tmp_path / "nope.csv"))
    assert_one_line_error(proc, "nope.csv: no such file")


@pytest.mark.slow
def test_directory_is_not_reported_as_missing(tmp_path: Path) -> None:
    proc = smf_cli(DEAD, "import", str(tmp_path))
    assert_one_line_error(proc, "is a directory, not a file")


@pytest.mark.slow
def test_unreadable_file() -> None:
    proc = smf_cli(DEAD, "import", "/proc/self/mem")  # a regular file whose read fails (EIO)
    assert_one_line_error(proc, "/proc/self/mem: cannot be read")


@pytest.mark.slow
def test_import_abnt_missing_file(db_settings: Settings, tmp_path: Path) -> None:
    proc = smf_cli(db_settings.url, "import-abnt", str(tmp_path / "nope.bin"))
    assert_one_line_error(proc, "nope.bin: no such file")


@pytest.mark.slow
def test_unreachable_database(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("meter_serial,ts,active_fwd_kwh\nM1,2026-10-01T00:00:00Z,1\n")
    proc = smf_cli(DEAD, "import", str(path))
    assert_one_line_error(proc, "error:", "127.0.0.1")


@pytest.mark.slow
def test_huge_value_is_cut_in_the_message(meters: Settings, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"meter_serial,ts,active_fwd_kwh\nM1,{'9' * 10_000_000},1\n")
    proc = smf_cli(meters.url, "import", "--quiet", str(path))
    line = assert_one_line_error(proc, "line 2")
    assert len(proc.stderr) < 1000, len(proc.stderr)
    assert "more characters" in line or "..." in line or len(line) < 400


@pytest.mark.slow
def test_server_gone_mid_import(meters: Settings, tmp_path: Path) -> None:
    """The server ends the session mid-import (as when the postmaster restarts): one line, exit
    1, and nothing stored."""
    rows = [f"M1,2026-0{1 + d // 28}-{1 + d % 28:02d}T{m // 60:02d}:{m % 60:02d}:00Z,1.0"
            for d in range(200) for m in range(0, 1440, 5)]  # fmt: skip
    path = tmp_path / "big.csv"
    path.write_text("meter_serial,ts,active_fwd_kwh\n" + "\n".join(rows) + "\n")
    before = fingerprint(meters.url)
    proc = smf_cli_start(meters.url, "import", "--quiet", str(path))
    with psycopg.connect(meters.url, autocommit=True) as admin:
        # the session that is importing (its COPY or smf.ingest_*), not an earlier short one of
        # the CLI (the schema check): on a loaded machine the CLI can take seconds to get there
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            got = admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid() "
                "and state = 'active' and query ilike '%ingest%'"
            ).fetchall()
            if got:
                break
            time.sleep(0.02)
        assert got, "the import's session was never seen active"
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err, err
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and "error:" in lines[0], err
    assert fingerprint(meters.url) == before
    assert query(meters.url, "select count(*) from smf.interval_reading") == [(0,)]


def test_format_sniffing_reads_only_the_first_block(tmp_path: Path) -> None:
    """Deciding CSV or public format for a 1 GiB file reads 256 octets, not the file."""
    import tracemalloc

    from smf.cli import is_public_format

    big = tmp_path / "big.bin"
    with big.open("wb") as fh:  # sparse: 1 GiB of zeros costs no disk
        fh.write(b"meter_serial,ts,active_fwd_kwh\n")
        fh.truncate(1 << 30)
    tracemalloc.start()
    try:
        assert is_public_format(big) is False  # text with commas: CSV
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak
