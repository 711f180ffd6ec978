"""The scheduled `backup` job: which kind it takes (weekly full, daily differential), its run in
smf.job_run against a cluster with archiving, and what the doctor says before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from db import backup, doctor
from jobs import scheduler
from jobs.backup import choose_kind

from .conftest import cli_env

NOW = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


def b(kind: str, days_ago: float) -> dict[str, Any]:
    return {"type": kind, "stop": NOW - timedelta(days=days_ago)}


@pytest.mark.parametrize(
    ("backups", "want"),
    [
        ([], "full"),  # nothing yet
        ([b("full", 1)], "diff"),  # a full of yesterday: a differential today
        ([b("full", 6.9), b("diff", 1)], "diff"),  # 6.9 days < 7
        ([b("full", 7), b("diff", 1)], "full"),  # exactly 7 days: a new full
        ([b("full", 9), b("full", 8), b("diff", 1)], "full"),  # the newest full decides
        ([b("diff", 1), b("incr", 0.5)], "full"),  # no full among them
    ],
)
def test_full_weekly_differential_otherwise(backups: list[dict[str, Any]], want: str) -> None:
    assert choose_kind(backups, NOW, WEEK) == want


def test_the_job_is_scheduled_daily_at_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMF_JOBS_BACKUP_AT", "02:45")
    spec = scheduler.by_name("backup")
    assert spec.func == "jobs.backup:run" and "02:45" in spec.what
    trigger = spec.trigger("America/Sao_Paulo")
    first = trigger.get_next_fire_time(None, datetime(2026, 12, 7, 0, 0, tzinfo=UTC))
    # 02:45 in São Paulo (-03:00) is 05:45 UTC
    assert first.astimezone(UTC) == datetime(2026, 12, 7, 5, 45, tzinfo=UTC)


@pytest.mark.slow
def test_job_runs_recorded_full_then_diff(
    archived: Any, monkeypatch: pytest.MonkeyPatch, scratch: Path
) -> None:
    for k, v in cli_env(archived).items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("SMF_DATABASE_URL", raising=False)
    before = {c.name: c for c in doctor.checks(archived)}
    assert before["backup"].status == "warn" and "no backup yet" in before["backup"].detail
    from jobs import backup as job

    first = job.run()
    second = job.run()
    assert (first["type"], second["type"]) == ("full", "diff")
    assert first["database_bytes"] > 0 and second["repo_bytes"] <= first["repo_bytes"]
    with psycopg.connect(archived.url) as conn:
        runs = conn.execute(
            "select outcome, counts->>'type' from smf.job_run where job = 'backup' order by id"
        ).fetchall()
    assert runs == [("ok", "full"), ("ok", "diff")]
    listed = backup.Repository(archived.cluster).info()
    assert [x["type"] for x in listed] == ["full", "diff"] and listed[1]["prior"] == listed[0][
        "label"
    ]
    after = {c.name: c for c in doctor.checks(archived)}
    assert after["backup"].status == "ok" and listed[1]["label"] in after["backup"].detail
    backup.archive_now(archived.cluster)
    assert {c.name: c for c in doctor.checks(archived)}["archive"].status == "ok"
