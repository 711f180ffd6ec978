"""Bad archive files and interrupted runs: each is refused with one clear line naming what is
wrong (the row and column where a value is at fault) and writes nothing; a process killed with
SIGKILL mid-import leaves nothing or everything, mid-export no file at all."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from db import archive, errors
from db.settings import Settings
from tests.archive.helpers import (
    DIST,
    MAIN,
    MONTH,
    MONTH_FROM,
    registry,
    value_hash,
    wait_for_backend,
    wait_until_idle,
)
from tests.db.helpers import assert_one_line_error, fingerprint, smf_cli, smf_cli_start


def _batches(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as c:
        row = c.execute(
            "select (select count(*) from smf.ingest_batch), "
            "(select count(*) from smf.ingest_quarantine)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _refused(url: str, path: Path, *needles: str, cli: bool = False) -> str:
    """Importing PATH is refused with one message naming the file and `needles`; nothing at
    all is written (no interval, rollup, history, batch or quarantine row). With cli=True
    through `smf import parquet PATH` (one line on stderr, exit 1), else through the API."""
    before, logged = fingerprint(url), _batches(url)
    if cli:
        proc = smf_cli(url, "import", "parquet", str(path), "--quiet")
        line = assert_one_line_error(proc, path.name, "nothing was imported", *needles)
    else:
        with pytest.raises(errors.BatchRejected) as info:
            archive.import_file(path, settings=url)
        line = str(info.value)
        for needle in (path.name, "nothing was imported", *needles):
            assert needle in line, line
    assert fingerprint(url) == before
    assert _batches(url) == logged
    return line


def _craft(path: Path, rows: list[dict[str, Any]], meta_from: Path) -> Path:
    """An archive file holding `rows` (dicts of the archive's columns) with a correct digest
    and the month metadata of the file `meta_from`: what a tampering or buggy writer makes."""
    meta = json.loads(pq.ParquetFile(meta_from).metadata.metadata[archive.META_KEY])
    keep = {k: meta[k] for k in ("distributor", "month", "local_timezone", "from_utc", "to_utc")}
    w = archive.ArchiveWriter(path)
    w.write(pa.Table.from_pylist(rows, schema=archive.SCHEMA))
    w.close(keep)
    return path


def _rows(exported: Path, n: int = 20) -> list[dict[str, Any]]:
    return pq.read_table(exported).slice(0, n).to_pylist()


@pytest.mark.slow
def test_a_truncated_file_is_refused_and_writes_nothing(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    data = exported.read_bytes()
    for name, cut in (("head", 100), ("half", len(data) // 2), ("tail", len(data) - 9)):
        bad = tmp_path / f"truncated-{name}.parquet"
        bad.write_bytes(data[:cut])
        _refused(fresh.url, bad, "not a readable Parquet file", cli=name == "half")


@pytest.mark.slow
def test_a_corrupt_page_is_refused_and_writes_nothing(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    data = bytearray(exported.read_bytes())
    # Flip bits in the middle of the data pages (the footer, at the end, stays intact): the
    # page CRC, the decompressor or the values digest catches it.
    for offset in (len(data) // 3, len(data) // 2):
        bad = tmp_path / f"corrupt-{offset}.parquet"
        copy = bytearray(data)
        for k in range(8):
            copy[offset + k] ^= 0x5A
        bad.write_bytes(bytes(copy))
        line = _refused(fresh.url, bad)
        assert any(s in line for s in ("corrupt", "CRC", "digest", "unreadable")), line


@pytest.mark.slow
def test_a_file_of_another_schema_is_refused(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    # Any Parquet file that is not ours: no smf.archive metadata.
    other = tmp_path / "weather.parquet"
    pq.write_table(pa.table({"station": ["A"], "temp_c": [21.5]}), other)
    _refused(fresh.url, other, "not an SMF interval archive", "station, temp_c", cli=True)
    # Our metadata, but a channel widened to int64 (values beyond int32 would fit in it).
    table = pq.read_table(exported)
    meta = pq.ParquetFile(exported).metadata.metadata
    wide = table.set_column(
        table.schema.get_field_index("active_fwd_wh"),
        "active_fwd_wh",
        table.column("active_fwd_wh").cast(pa.int64()),
    )
    bad = tmp_path / "int64.parquet"
    pq.write_table(wide.replace_schema_metadata(meta), bad)
    _refused(fresh.url, bad, "another schema", "active_fwd_wh is int64, expected int32 (Wh)")
    # A column missing.
    bad = tmp_path / "no-source.parquet"
    pq.write_table(table.drop_columns(["source"]).replace_schema_metadata(meta), bad)
    _refused(fresh.url, bad, "another schema", "missing column(s) source")


@pytest.mark.slow
def test_values_out_of_range_are_refused_naming_row_and_column(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    rows = _rows(exported)
    rows[6]["active_rev_wh"] = -1  # row 7 of the file
    bad = _craft(tmp_path / "negative.parquet", rows, exported)
    _refused(fresh.url, bad, "row 7:", "active_rev_wh = -1 Wh is out of range", cli=True)
    rows = _rows(exported)
    rows[11]["ts"] = MONTH_FROM.replace(month=9)  # a September interval in the October file
    bad = _craft(tmp_path / "outside.parquet", rows, exported)
    _refused(fresh.url, bad, "row 12:", "2026-09-01T03:00:00+00:00 lies outside the month 2026-10")
    # A quality the database does not know: the ingest path rejects the batch, naming the row.
    rows = _rows(exported)
    rows[2]["quality"] = "bogus"
    bad = _craft(tmp_path / "quality.parquet", rows, exported)
    _refused(fresh.url, bad, "row 3:", "quality 'bogus' is not one of")


@pytest.mark.slow
def test_an_altered_file_fails_its_digest_and_writes_nothing(
    fresh: Settings, exported: Path, tmp_path: Path
) -> None:
    # One value changed by one Wh, the metadata (and so the digest) of the original kept: a
    # well-formed Parquet file that is not what was exported.
    table = pq.read_table(exported)
    col = table.column("active_fwd_wh").to_pylist()
    col[500] = (col[500] or 0) + 1
    altered = table.set_column(
        table.schema.get_field_index("active_fwd_wh"), "active_fwd_wh", pa.array(col, pa.int32())
    ).replace_schema_metadata(pq.ParquetFile(exported).metadata.metadata)
    bad = tmp_path / "altered.parquet"
    pq.write_table(altered, bad)
    _refused(fresh.url, bad, "do not match the digest")


@pytest.mark.slow
def test_rows_breaking_an_ingest_rule_are_quarantined_with_their_row_and_the_rest_stored(
    db_settings: Settings, exported: Path, tmp_path: Path
) -> None:
    # The meters' physical maximum is 0.1 kW here: at most 0.1 kW x 5/60 h = 0.00833 kWh =
    # 8.33 Wh per five-minute interval, so every row with more than 8 Wh is quarantined, as in
    # any import; rows at or below it are stored.
    registry(db_settings.url, max_kw=0.1)
    rows = _rows(exported, 5)
    for r, wh in zip(rows, (8, 9, 0, 120, None), strict=True):
        r.update(
            active_fwd_wh=wh,
            active_rev_wh=0,
            reactive_ind_fwd_varh=0,
            reactive_ind_rev_varh=0,
            reactive_cap_fwd_varh=0,
            reactive_cap_rev_varh=0,
        )
    small = _craft(tmp_path / "over-max.parquet", rows, exported)
    result = archive.import_file(small, settings=db_settings)
    assert (result.rows, result.inserted, result.quarantined) == (
        5,
        3,
        {"above_physical_max": 2},
    )
    with psycopg.connect(db_settings.url) as c:
        q = c.execute(
            "select line_no, meter_ref, reason from smf.ingest_quarantine order by line_no"
        ).fetchall()
    assert q == [(2, MAIN, "above_physical_max"), (4, MAIN, "above_physical_max")]


def test_an_unknown_meter_is_quarantined_not_lost(
    db_settings: Settings, exported: Path, tmp_path: Path
) -> None:
    small = _craft(tmp_path / "few.parquet", _rows(exported, 3), exported)
    result = archive.import_file(small, settings=db_settings)  # no meters registered here
    assert (result.inserted, result.quarantined) == (0, {"unknown_meter": 3})


@pytest.mark.slow
def test_bad_arguments_are_refused_with_one_line(loaded: Settings, tmp_path: Path) -> None:
    for month in ("2026-13", "10/2026", "2026-1", ""):
        with pytest.raises(errors.InvalidParameter, match="expected YYYY-MM"):
            archive.export_month(DIST, month, tmp_path, settings=loaded)
    for code in ("59", "0590", "ABC"):
        with pytest.raises(errors.InvalidParameter, match="expected its 3-digit ANEEL code"):
            archive.export_month(code, MONTH, tmp_path, settings=loaded)
    proc = smf_cli(loaded.url, "export", "parquet", "--distributor", DIST, "--month", "2026-13")
    assert_one_line_error(proc, "month '2026-13': expected YYYY-MM")
    proc = smf_cli(
        loaded.url,
        "export",
        "parquet",
        "--distributor",
        "123",
        "--month",
        MONTH,
        "--to",
        str(tmp_path),
    )
    assert_one_line_error(proc, "no distributor with ANEEL code 123")
    assert not list(tmp_path.rglob("*.parquet"))
    proc = smf_cli(loaded.url, "import", "parquet", str(tmp_path / "nope.parquet"))
    assert_one_line_error(proc, "nope.parquet: no such file")
    # --to naming a file, not a folder: the operating system's refusal, named, nothing left.
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        archive.export_month(DIST, MONTH, blocker, settings=loaded)
    assert blocker.read_text() == "x"


@pytest.mark.slow
def test_cli_round_trip_and_the_plain_import_recognises_parquet(
    loaded: Settings, fresh: Settings, tmp_path: Path
) -> None:
    proc = smf_cli(
        loaded.url,
        "export",
        "parquet",
        "--distributor",
        DIST,
        "--month",
        MONTH,
        "--to",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "distributor=059" / "month=2026-10" / "smf_intervals_059_2026-10.parquet"
    assert proc.stdout.startswith(f"distributor 059, 2026-10: {8928 * 2 + 2976} intervals of 3")
    assert str(path) in proc.stdout and proc.stdout.rstrip().endswith(": written")
    check = smf_cli(fresh.url, "import", "parquet", str(path), "--check")
    assert check.returncode == 0 and "valid SMF interval archive" in check.stdout, check.stderr
    info = smf_cli(fresh.url, "parquet-info", str(path))
    assert info.returncode == 0, info.stderr
    meta = json.loads(info.stdout)
    assert (meta["distributor"], meta["month"], meta["rows"], meta["meters"]) == (
        DIST,
        MONTH,
        8928 * 2 + 2976,
        3,
    )
    assert meta["units"]["voltage_a_mv"] == "mV"
    plain = smf_cli(fresh.url, "import", str(path), "--quiet")  # no `parquet`: the magic bytes
    assert plain.returncode == 0, plain.stderr
    assert f"{8928 * 2 + 2976} inserted" in plain.stdout
    assert value_hash(fresh.url) == value_hash(loaded.url)


@pytest.mark.slow
def test_kill_9_mid_import_leaves_nothing_or_everything(
    loaded: Settings, exported: Path, fresh: Settings
) -> None:
    before, logged = fingerprint(fresh.url), _batches(fresh.url)
    full = value_hash(loaded.url)
    proc = smf_cli_start(fresh.url, "import", "parquet", str(exported), "--quiet")
    try:
        # Kill it while the database merges the staged file (smf.ingest_finish).
        assert wait_for_backend(fresh.url, "%ingest_finish%"), proc.communicate(timeout=5)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    wait_until_idle(fresh.url)
    after = value_hash(fresh.url)
    if after == full:  # it had committed just before the kill: everything, exactly
        pytest.fail("the kill came after the commit; the test did not interrupt the import")
    assert fingerprint(fresh.url) == before
    assert _batches(fresh.url) == logged
    # The same file imported again lands whole and exact.
    archive.import_file(exported, settings=fresh)
    assert value_hash(fresh.url) == full


@pytest.mark.slow
def test_kill_9_mid_export_leaves_no_file_and_the_next_export_writes_it(
    loaded: Settings, tmp_path: Path
) -> None:
    target = archive.archive_path(tmp_path, DIST, MONTH)
    caught = False
    for _attempt in range(6):  # the window is short: try until the kill lands inside it
        proc = smf_cli_start(
            loaded.url,
            "export",
            "parquet",
            "--distributor",
            DIST,
            "--month",
            MONTH,
            "--to",
            str(tmp_path),
        )
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end and proc.poll() is None:
                if target.parent.exists() and list(target.parent.glob(".*.tmp-*")):
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.002)
        finally:
            proc.communicate(timeout=60)
        if proc.returncode == -signal.SIGKILL:
            caught = True
            assert not target.exists()  # never a partial file under the archive's name
            break
        target.unlink(missing_ok=True)
    assert caught, "the export always finished before the kill"
    wait_until_idle(loaded.url)
    result = archive.export_month(DIST, MONTH, tmp_path, settings=loaded)
    assert result.status == "written"
    assert not list(target.parent.glob(".*.tmp-*"))  # the killed run's leftover is gone
    assert archive.verify(target)["rows"] == 8928 * 2 + 2976


def test_two_exports_of_the_same_month_at_once_the_second_is_told_to_wait(
    loaded: Settings, tmp_path: Path
) -> None:
    with psycopg.connect(loaded.url) as holder:  # another export holds the month's lock
        holder.execute(
            "select pg_advisory_xact_lock(hashtext('smf.parquet_export'), hashtext(%s))",
            (f"{DIST} {MONTH}",),
        )
        with pytest.raises(errors.Conflict, match="another export of distributor 059, 2026-10"):
            archive.export_month(DIST, MONTH, tmp_path, settings=loaded)
    assert not list(tmp_path.rglob("*.parquet"))
