"""The demo seeds an unbalance, a demand overrun and a connectivity drop; a re-run adds nothing."""

from __future__ import annotations

from datetime import date

import pytest

from db.settings import Settings
from smf.demo import dataset as demo
from tests.alarms.helpers import rows


@pytest.mark.slow
def test_demo_shows_three_open_alarms_and_the_dashboards(
    db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMF_DATABASE_URL", db_settings.url)
    for _ in range(2):
        assert demo.main(days=2, today=date(2026, 12, 10)) == 0
    got = rows(
        db_settings.url,
        "select rule_code, state, customer_name, occurrences "
        "from smf.alarm_sheet order by rule_code",
    )
    assert [(r["rule_code"], r["state"], r["customer_name"], r["occurrences"]) for r in got] == [
        ("c", "open", "Metalurgica Alfa", 1),
        # three 5-minute intervals of 125 kWh = one 15-minute demand of 375 x 4 = 1500 kW
        ("k", "open", "Shopping Epsilon", 1),
        # sessions ok, fail, fail, ok: 1/2 = 50 %, 1/3 = 33.3 %, 2/4 = 50 % -> 3 violations
        ("m", "open", "Hospital Gama", 3),
    ]
    out = capsys.readouterr().out
    assert "grafana/dashboards/smf-uc.json" in out and "c voltage unbalance" in out
