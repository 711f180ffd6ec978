"""`smf meter add` for a meter whose data only come from files: no dummy --transport."""

from __future__ import annotations

import psycopg
import pytest

from db.settings import Settings
from smf import cli


def test_import_only_meter_needs_no_transport_and_a_read_meter_does(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    # a protocol that is polled, without a transport: refused (leaving both out means import-only,
    # tests/imports/test_import_only_meters.py)
    assert cli.main(["meter", "add", "12345678", "--protocol", "nbr14522"]) == 2
    assert "needs --transport" in capsys.readouterr().err
    assert cli.main(["meter", "add", "IMP-9", "--protocol", "import_only", "--interval", "15"]) == 0
    out = capsys.readouterr().out
    assert "meter IMP-9 registered: import only (no transport, never polled), 15 min" in out
    with psycopg.connect(db_settings.url) as conn:
        rows = conn.execute(
            "select serial, protocol, transport, interval_minutes from smf.meter"
        ).fetchall()
    assert rows == [("IMP-9", "import_only", None, 15)]
