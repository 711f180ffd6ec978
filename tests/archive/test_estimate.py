"""The storage cost estimator (`smf storage estimate`): bytes per tier from a figures file, every
expected number worked out by hand below; the figures file's checks; the repository's own
figures file, measured and dated."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from db import errors, storage_estimate
from db.settings import REPO_ROOT

WHEN = "2026-12-07T07:00:00+00:00"


def _tier(figures: list[dict[str, Any]], online: bool = True) -> dict[str, Any]:
    return {
        "what": "test",
        "online": online,
        "measured_at": WHEN,
        "command": "by hand",
        "machine": {"cores": 2},
        "data": {},
        "figures": figures,
    }


def _fig(interval: int, channels: int, own: float, **rollups: float) -> dict[str, Any]:
    return {
        "interval_minutes": interval,
        "channels": channels,
        "intervals": 1000,
        "bytes_per_interval": own,
        "rollups": rollups,
    }


def _write(path: Path, tiers: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"schema": "smf-storage-figures/1", "tiers": tiers}))
    return path


@pytest.fixture
def figures(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "figures.json",
        {
            "hot": _tier(
                [
                    _fig(5, 12, 150, rollup_15min=60, rollup_hour=30, rollup_day=8, rollup_month=2),
                    _fig(5, 3, 100, rollup_15min=40),
                ]
            ),
            "sealed": _tier([_fig(5, 12, 20, rollup_day=4, rollup_month=1)]),
            "archive": _tier([_fig(5, 12, 15)], online=False),
        },
    )


def _smf(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", "storage", "estimate", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bytes_per_tier_and_total_worked_by_hand(figures: Path) -> None:
    # 10 meters x 288 five-minute intervals a day x 365.25 days = 1,051,920 intervals;
    # the last 62 days hot: 10 x 288 x 62 = 178,560; sealed: 1,051,920 - 178,560 = 873,360.
    # hot: 150 + 60 + 30 + 8 + 2 = 250 B each -> 44,640,000 B;
    # sealed: 20 + 4 + 1 = 25 B each -> 21,834,000 B; online total 66,474,000 B;
    # archive (not online): every interval at 15 B -> 15,778,800 B.
    proc = _smf(
        "--meters", "10", "--interval", "5", "--channels", "12", "--years", "1",
        "--figures", str(figures), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    e = json.loads(proc.stdout)
    tiers = {t["tier"]: t for t in e["tiers"]}
    assert (tiers["hot"]["intervals"], tiers["hot"]["bytes"]) == (178_560, 44_640_000)
    assert (tiers["sealed"]["intervals"], tiers["sealed"]["bytes"]) == (873_360, 21_834_000)
    assert e["total_online_bytes"] == 66_474_000
    assert (tiers["archive"]["intervals"], tiers["archive"]["bytes"]) == (1_051_920, 15_778_800)
    assert tiers["archive"]["online"] is False
    assert tiers["hot"]["measured_at"] == WHEN and tiers["hot"]["command"] == "by hand"
    assert e["hot_days"] == 62
    # The same in words: the total in decimal units, the measurement it came from.
    text = _smf(
        "--meters", "10", "--interval", "5", "--channels", "12", "--years", "1",
        "--figures", str(figures),
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "total online (database): 66,474,000 bytes = 66.47 MB" in text.stdout
    assert f"hot/sealed/archive: measured {WHEN} by `by hand`" in text.stdout
    assert "* not in the database and not in the total" in text.stdout


def test_hot_days_moves_intervals_between_tiers(figures: Path) -> None:
    doc = storage_estimate.load_figures(figures)
    # 1 meter, 15 days: 288 x 15 = 4,320 intervals; --hot-days 5: 1,440 hot, 2,880 sealed:
    # 1,440 x 250 + 2,880 x 25 = 360,000 + 72,000 = 432,000 B.
    e = storage_estimate.estimate(1, 5, 12, 15 / 365.25, 5, doc)
    assert [(t.tier, t.intervals, t.bytes) for t in e.tiers if t.online] == [
        ("hot", 1440, 360_000),
        ("sealed", 2880, 72_000),
    ]
    assert e.total_online == 432_000
    # --hot-days longer than the years kept: everything hot, nothing sealed.
    e = storage_estimate.estimate(1, 5, 12, 15 / 365.25, 100, doc)
    assert [(t.tier, t.intervals) for t in e.tiers if t.online] == [("hot", 4320), ("sealed", 0)]


def test_a_channel_count_not_measured_is_interpolated_and_says_so(figures: Path) -> None:
    doc = storage_estimate.load_figures(figures)
    # hot measured at 3 channels (100 B + rollup_15min 40) and 12 (150 B + rollup_15min 60):
    # at 6 channels, a third of the way: 100 + 50/3 = 116.667 B, rollup_15min 40 + 20/3 =
    # 46.667; the other levels 0 -> 30/3 = 10, 8/3 = 2.667, 2/3 = 0.667.
    e = storage_estimate.estimate(1, 5, 6, 1, None, doc)
    hot = e.tiers[0]
    assert hot.how == "interpolated from 3 and 12 channels"
    assert hot.bytes_per_interval == pytest.approx(116.667, abs=1e-3)
    assert hot.rollup_bytes_per_interval == pytest.approx(
        {"rollup_15min": 46.667, "rollup_hour": 10, "rollup_day": 2.667, "rollup_month": 0.667},
        abs=1e-3,
    )
    # at 1 channel, beyond the measured counts: 100 - 50 x 2/9 = 88.889 B, "extrapolated".
    e = storage_estimate.estimate(1, 5, 1, 1, None, doc)
    assert e.tiers[0].how == "extrapolated from 3 and 12 channels"
    assert e.tiers[0].bytes_per_interval == pytest.approx(88.889, abs=1e-3)
    # sealed was measured at 12 channels only: used as measured, and the output says so.
    assert e.tiers[1].how == "as measured at 12 channels (no other count measured)"
    assert e.tiers[1].total_per_interval == 25


def test_without_sealed_figures_the_old_intervals_are_counted_as_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "f.json", {"hot": _tier([_fig(5, 12, 150, rollup_day=10)])})
    # 1 meter, 1 year: 105,192 intervals, 17,856 hot, 87,336 older, all at 160 B.
    e = storage_estimate.estimate(1, 5, 12, 1, None, storage_estimate.load_figures(path))
    assert [(t.tier, t.intervals, t.bytes, t.counted_as) for t in e.tiers] == [
        ("hot", 17_856, 2_856_960, None),
        ("sealed", 87_336, 13_973_760, "hot"),
    ]
    assert e.notes == [
        "the figures file has no sealed-tier figures: intervals older than 62 days are "
        "counted at hot-tier (row) bytes"
    ]
    assert "counted at hot-tier figures" in storage_estimate.render(e)


def test_bad_figures_files_are_refused_naming_the_problem(tmp_path: Path) -> None:
    def refused(doc: Any, needle: str) -> None:
        path = tmp_path / "bad.json"
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        with pytest.raises(errors.InvalidParameter, match=needle):
            storage_estimate.load_figures(path)

    with pytest.raises(errors.InvalidParameter, match="no figures file"):
        storage_estimate.load_figures(tmp_path / "missing.json")
    refused("{not json", "not a readable JSON figures file")
    refused({"schema": "other/9", "tiers": {}}, "schema 'other/9', expected")
    refused({"schema": "smf-storage-figures/1", "tiers": {}}, "no figures for the hot tier")
    undated = _tier([_fig(5, 12, 150)])
    del undated["measured_at"]
    refused(
        {"schema": "smf-storage-figures/1", "tiers": {"hot": undated}},
        "tier 'hot' does not say measured at",
    )
    refused(
        {"schema": "smf-storage-figures/1", "tiers": {"hot": _tier([_fig(5, 12, -1)])}},
        "without a valid 'bytes_per_interval'",
    )
    doc = {"hot": _tier([_fig(5, 12, 150)])}
    path = _write(tmp_path / "five.json", doc)
    with pytest.raises(errors.InvalidParameter, match="no hot-tier figures for 15-minute"):
        storage_estimate.estimate(1, 15, 12, 1, None, storage_estimate.load_figures(path))


@pytest.mark.slow
def test_bad_arguments_are_refused() -> None:
    for argv, needle in (
        (("--meters", "0"), "--meters 0: at least 1"),
        (("--channels", "13"), "--channels 13: 1 to 12"),
        (("--years", "0"), "--years 0.0: more than 0"),
        (("--hot-days", "-1"), "--hot-days -1.0: 0 or more"),
    ):
        base = {"--meters": "1", "--interval": "5", "--channels": "12", "--years": "1"}
        base.update(dict(zip(argv[::2], argv[1::2], strict=True)))
        proc = _smf(*[x for kv in base.items() for x in kv])
        assert proc.returncode == 1, proc.stdout
        assert proc.stderr.strip() == f"error: {needle}"
    proc = _smf("--meters", "1", "--interval", "10", "--channels", "12", "--years", "1")
    assert proc.returncode == 2 and "invalid choice: 10" in proc.stderr


def test_the_repository_figures_are_measured_dated_and_used() -> None:
    doc = storage_estimate.load_figures()
    for name in ("hot", "archive"):
        tier = doc["tiers"][name]
        assert tier["measured_at"][:4] == "2026" and tier["command"].startswith(".venv/bin/")
        assert {(f["interval_minutes"], f["channels"]) for f in tier["figures"]} >= {
            (5, 12),
            (15, 12),
        }
    proc = _smf("--meters", "40000", "--interval", "5", "--channels", "12", "--years", "5")
    assert proc.returncode == 0, proc.stderr
    # 40,000 meters x 288 x 62 days = 714,240,000 hot intervals; 5 years = 1,826.25 days:
    # 40,000 x 288 x 1,826.25 = 21,038,400,000 in all.
    assert "714,240,000" in proc.stdout and "21,038,400,000" in proc.stdout
    assert "total online (database):" in proc.stdout
    assert f"measured {doc['tiers']['hot']['measured_at']}" in proc.stdout
