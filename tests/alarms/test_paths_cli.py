"""`smf alarms monitor|notify|rules` paths an operator meets that test_cli.py does not run:
time arguments without an offset, monitoring without an end, `notify` without a target, and
`notify --once` delivering the outbox to a real receiver on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smf.cli import main
from tests.alarms.helpers import insert_instant, rows
from tests.alarms.test_webhook import Receiver


@pytest.fixture
def cli_db(reg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("SMF_DATABASE_URL", reg["url"])
    monkeypatch.delenv("SMF_ALARM_WEBHOOK_URL", raising=False)
    return reg


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-10-01T00:00", "'2026-10-01T00:00' needs a UTC offset (e.g. -03:00 or Z)"),
        ("yesterday", "'yesterday' is not an ISO 8601 date/time"),
    ],
)
def test_a_time_without_offset_or_not_a_time_is_refused(
    cli_db: dict[str, Any], capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["alarms", "monitor", "A12", "--until", value])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert rows(cli_db["url"], "select count(*) as n from smf.meter_monitoring")[0]["n"] == 0


@pytest.mark.slow
def test_monitoring_needs_an_end_then_lists(
    cli_db: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alarms", "monitor"]) == 0
    assert capsys.readouterr().out == "no meter under 15-minute monitoring\n"
    assert main(["alarms", "monitor", "A12", "--reason", "suspeita"]) == 2
    assert capsys.readouterr().err == "error: give --hours N or --until ISO\n"
    # 2030-01-02 09:00 -03:00 is 12:00 UTC, printed in UTC.
    assert main(["alarms", "monitor", "A12", "--until", "2030-01-02T09:00-03:00"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(
        ": meter A12 read every 15 min until 2030-01-02 09:00-03"  # 12:00 UTC
    ), out
    [m] = rows(cli_db["url"], "select ends_at from smf.meter_monitoring")
    assert m["ends_at"] == datetime(2030, 1, 2, 12, tzinfo=UTC)


@pytest.mark.slow
def test_notify_without_a_target(
    cli_db: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alarms", "notify", "--once"]) == 2
    assert capsys.readouterr().err == "error: give --url or set SMF_ALARM_WEBHOOK_URL\n"


@pytest.mark.slow
def test_notify_once_delivers_the_outbox(
    cli_db: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    url = cli_db["url"]
    # VA 220, VB 200, VC 210 V: mean 210 V, largest deviation 10 V -> 4.762 % unbalance (rule c)
    insert_instant(
        url, cli_db["a12"], datetime(2026, 10, 5, 12, tzinfo=UTC), VA=220, VB=200, VC=210
    )
    pending = rows(
        url, "select count(*) as n from smf.alarm_notification where delivered_at is null"
    )
    assert pending[0]["n"] == 1  # the alarm's "opened" notification
    with Receiver(fail=0) as rx:
        assert main(["alarms", "notify", "--once", "--url", rx.url]) == 0
        assert capsys.readouterr().out == "1 notification(s) delivered\n"
        assert main(["alarms", "notify", "--once", "--url", rx.url]) == 0  # nothing left
        assert capsys.readouterr().out == "0 notification(s) delivered\n"
    [(body, _)] = rx.bodies
    assert body["event"] == "opened" and body["alarm"]["rule_code"] == "c"
    left = rows(url, "select count(*) as n from smf.alarm_notification where delivered_at is null")
    assert left[0]["n"] == 0
