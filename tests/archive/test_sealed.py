"""The archive over sealed periods (issue 19 items 2 and 5 together): a month exported after its
intervals were sealed holds exactly the values exported from rows, and restoring it changes
nothing. Skipped while the sealed tier (db.storage.seal, smf.intervals) is not in the tree;
active once it is merged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from db import archive
from db.settings import Settings
from tests.archive.helpers import BACKUP, CHANNELS, DIST, MAIN, MONTH, MONTH_FROM, MONTH_TO, QUARTER

storage = pytest.importorskip("db.storage", reason="the sealed tier is not in this tree")
if not hasattr(storage, "seal"):  # pragma: no cover
    pytest.skip("db.storage has no seal()", allow_module_level=True)


def _read_path_hash(url: str) -> tuple[int, str]:
    """Like helpers.value_hash, but read through the single read path smf.intervals (hot rows
    and sealed periods alike)."""
    cols = ", ".join(f"coalesce(r.{c}::text, '')" for c in CHANNELS)
    sql = f"""
        select count(*), md5(coalesce(string_agg(
            concat_ws('|', m.serial, (extract(epoch from r.ts) * 1000000)::bigint::text,
                      {cols}, r.quality::text, r.source::text),
            E'\\n' order by m.serial, r.ts), ''))
        from smf.meter m
        cross join lateral smf.intervals(array[m.id], %s, %s) r
        where m.serial = any(%s)"""
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, (MONTH_FROM, MONTH_TO, [MAIN, BACKUP, QUARTER])).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _sealed_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(
            conn.execute("select coalesce(sum(n_rows), 0) from smf.interval_sealed").fetchone()[0]
        )


@pytest.mark.slow
def test_a_sealed_month_exports_the_same_values_and_restores_exactly(
    exported: Path, fresh: Settings, tmp_path: Path
) -> None:
    archive.import_file(exported, settings=fresh)
    before = _read_path_hash(fresh.url)
    assert before[0] == 8928 * 2 + 2976
    sealed = storage.seal(fresh, edge=datetime.fromisoformat("2027-01-01T00:00+00:00"))
    assert sealed.sealed > 0 and _sealed_rows(fresh.url) > 0
    assert _read_path_hash(fresh.url) == before  # sealing is exact (issue 19 item 2)
    # Exported from sealed periods: the same values as the file exported from rows.
    again = archive.export_month(DIST, MONTH, tmp_path, settings=fresh)
    assert again.rows == before[0]
    assert again.digest == archive.existing_digest(exported)
    # Restoring the file into the sealed month changes no value.
    archive.import_file(exported, settings=fresh)
    assert _read_path_hash(fresh.url) == before
