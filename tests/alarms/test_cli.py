"""`smf alarms list|ack|close|rules|monitor` against a seeded database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smf.cli import main
from tests.alarms.helpers import insert_instant, rows


@pytest.fixture
def cli_db(reg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("SMF_DATABASE_URL", reg["url"])
    return reg


@pytest.mark.slow
def test_list_ack_close_rules_monitor(
    cli_db: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    url = cli_db["url"]
    insert_instant(
        url, cli_db["a12"], datetime(2026, 10, 5, 12, tzinfo=UTC), VA=220, VB=200, VC=210
    )
    uc = rows(url, "select uc_code from smf.consumer_unit where id = %s", cli_db["uc1"])[0][
        "uc_code"
    ]
    assert main(["alarms", "list"]) == 0
    out = capsys.readouterr().out
    assert "c voltage unbalance" in out and "Fabrica Um" in out and uc in out
    assert "2026-10-05 09:00-03" in out and "4.762" in out  # 12:00 UTC, local -03
    assert "L3" in out and "3-channel meter without 0x14 reports no voltage" in out  # skipped
    [a] = rows(url, "select id from smf.alarm")
    assert main(["alarms", "ack", str(a["id"]), "--by", "ana", "--comment", "verificado"]) == 0
    assert rows(url, "select state, acknowledged_by from smf.alarm")[0] == {
        "state": "acknowledged",
        "acknowledged_by": "ana",
    }
    assert main(["alarms", "ack", str(a["id"]), "--comment", "again"]) == 1
    assert "already acknowledged" in capsys.readouterr().err
    assert main(["alarms", "list", "--csv"]) == 0
    csv_out = capsys.readouterr().out.splitlines()
    assert csv_out[0].startswith("id,state,rule_code") and ",acknowledged," in csv_out[1]
    assert main(["alarms", "close", str(a["id"]), "--by", "ana", "--comment", "fim"]) == 0
    assert main(["alarms", "list"]) == 0
    assert "no alarms" in capsys.readouterr().out
    assert main(["alarms", "rules", "--set", "a", "200", "--meter", "A12"]) == 0
    out = capsys.readouterr().out
    assert "a minimum voltage" in out and "meter A12" in out and "(not programmed)" in out
    uc2 = rows(url, "select uc_code from smf.consumer_unit where id = %s", cli_db["uc2"])[0]
    assert main(["alarms", "group", "G-Sul", "--uc", uc, "--uc", uc2["uc_code"]]) == 0
    assert main(["alarms", "rules", "--set", "b", "240", "--group", "G-Sul"]) == 0
    assert "group G-Sul" in capsys.readouterr().out
    thr = rows(
        url,
        "select value, level from smf.alarm_thresholds_of(%s, now()) where rule_code = 'b'",
        cli_db["l3"],
    )
    assert thr == [{"value": 240, "level": "group"}]
    assert main(["alarms", "monitor", "A12", "--hours", "2", "--reason", "teste"]) == 0
    assert "A12" in capsys.readouterr().out
    assert rows(url, "select count(*) as n from smf.meter_monitoring")[0]["n"] == 1
