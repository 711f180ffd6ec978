"""The jobs wired beside the scheduler, run as an operator runs them (`smf jobs trigger`, a real
database, a real HTTP receiver on loopback): vee_daily before ccee_send, the alarm webhook pass,
and no command but `smf db migrate` migrating a database behind head."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from db import driver, errors, migrate
from db.settings import REPO_ROOT, Settings
from jobs import scheduler, vee_daily
from tests.alarms.helpers import insert_instant, seed_registry
from tests.vee.conftest import day_rows, put, unit


def smf(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "SMF_DATABASE_URL": settings.url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def job_runs(url: str, job: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as c:
        return c.execute(
            "select outcome, counts, error from smf.job_run where job = %s order by id", (job,)
        ).fetchall()


def test_vee_daily_is_scheduled_after_the_reads_and_before_the_ccee_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tz = "America/Sao_Paulo"
    after = datetime(2026, 11, 30, 22, 30, tzinfo=ZoneInfo(tz))

    def next_fire(name: str) -> datetime:
        fire = scheduler.by_name(name).trigger(tz).get_next_fire_time(None, after)
        assert fire is not None
        return fire  # type: ignore[no-any-return]

    # Defaults: VEE at 05:30 local, the send of yesterday's UC-days at 06:00 local, same day.
    assert next_fire("vee_daily").isoformat() == "2026-12-01T05:30:00-03:00"
    assert next_fire("ccee_send").isoformat() == "2026-12-01T06:00:00-03:00"
    assert scheduler.by_name("vee_daily").func == "jobs.vee_daily:scheduled"
    monkeypatch.setenv("SMF_JOBS_VEE_AT", "04:45")
    assert next_fire("vee_daily").isoformat() == "2026-12-01T04:45:00-03:00"
    assert "04:45" in scheduler.by_name("vee_daily").what
    # The webhook pass: every minute by default, configurable.
    assert scheduler.by_name("alarm_webhook").trigger(tz).interval == timedelta(minutes=1)
    monkeypatch.setenv("SMF_JOBS_ALARM_WEBHOOK_MINUTES", "5")
    assert scheduler.by_name("alarm_webhook").trigger(tz).interval == timedelta(minutes=5)


@pytest.mark.slow
def test_trigger_vee_daily_estimates_yesterday_and_is_recorded(db_settings: Settings) -> None:
    yesterday = vee_daily.yesterday(db_settings.local_timezone)
    with driver.connect(db_settings) as conn:
        u = unit(conn, 71, backup=True)
        for n in (21, 14, 7, 2):  # history for the profile (same weekday: the day-type mean)
            put(conn, u.main_serial, day_rows(str(yesterday - timedelta(days=n)), 1.0))
        # yesterday: the main meter misses intervals 40..49 (10 x 5 min), the backup only 40
        put(conn, u.backup_serial, day_rows(str(yesterday), 1.2, skip=[40]))
        put(conn, u.main_serial, day_rows(str(yesterday), 1.0, skip=range(40, 50)))
    listed = smf(db_settings, "jobs", "list")
    assert listed.returncode == 0, listed.stderr
    assert "vee_daily" in listed.stdout and "alarm_webhook" in listed.stdout
    r = smf(db_settings, "jobs", "trigger", "vee_daily")
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout.split(": ", 1)[1])
    assert counts["day"] == str(yesterday)
    assert (counts["runs"], counts["filled"], counts["left_missing"]) == (1, 10, 0)
    [(outcome, recorded, error)] = job_runs(db_settings.url, "vee_daily")
    assert outcome == "ok" and error is None and recorded == counts
    with psycopg.connect(db_settings.url) as c:
        estimated = c.execute(
            "select count(*) from smf.interval_reading where meter_id = %s"
            " and quality in ('adjusted', 'estimated')"
            " and ts >= %s and ts < %s",
            (
                u.main,
                datetime.fromisoformat(f"{yesterday}T00:00-03:00"),
                datetime.fromisoformat(f"{yesterday}T00:00-03:00") + timedelta(days=1),
            ),
        ).fetchone()
    assert estimated is not None and estimated[0] == 10
    # A second run finds nothing left to fill, and is recorded too.
    again = smf(db_settings, "jobs", "trigger", "vee_daily")
    assert again.returncode == 0, again.stderr
    assert [r[0] for r in job_runs(db_settings.url, "vee_daily")] == ["ok", "ok"]
    assert job_runs(db_settings.url, "vee_daily")[1][1]["filled"] == 0


class Receiver:
    """A webhook receiver on loopback: 503 to the first `fail` POSTs, then 200."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.bodies: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.bodies.append(json.loads(body))
                outer.auth.append(self.headers.get("Authorization"))
                self.send_response(503 if len(outer.bodies) <= outer.fail else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://hook:s3cret@127.0.0.1:{self.server.server_port}/alarms"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alarm_db(db_settings: Settings) -> Iterator[Settings]:
    ids = seed_registry(db_settings.url)
    # phase B 200 V against 220 / 210: an unbalanced-voltage alarm opens (one outbox row)
    insert_instant(
        db_settings.url,
        ids["a12"],
        datetime.fromisoformat("2026-10-05T12:00Z"),
        VA=220,
        VB=200,
        VC=210,
    )
    yield db_settings


@pytest.mark.slow
def test_trigger_alarm_webhook_retries_then_delivers(alarm_db: Settings) -> None:
    url = alarm_db.url
    with psycopg.connect(url) as c:
        assert c.execute("select count(*) from smf.alarm_notification").fetchone() == (1,)
    # Without a URL the pass sends nothing and says so; the outbox keeps the notification.
    r = smf(alarm_db, "jobs", "trigger", "alarm_webhook", SMF_ALARM_WEBHOOK_URL="")
    assert r.returncode == 0, r.stderr
    assert '"delivered": 0' in r.stdout and '"url": null' in r.stdout
    with Receiver(fail=1) as rx:
        env = {"SMF_ALARM_WEBHOOK_URL": rx.url}
        first = smf(alarm_db, "jobs", "trigger", "alarm_webhook", **env)
        assert first.returncode == 0, first.stderr
        assert '"tried": 1, "delivered": 0, "failed": 1' in first.stdout
        assert "s3cret" not in first.stdout + first.stderr  # credentials never printed
        # The backoff of the first failure is 5 s after that try (one statement: one now())...
        with psycopg.connect(url) as c:
            wait = c.execute(
                "select n.next_try_at - d.at from smf.alarm_notification n"
                " join smf.alarm_delivery d on d.notification_id = n.id"
            ).fetchall()
            assert wait == [(timedelta(seconds=5),)]
            # ... and a deferred notification is not tried (pushed further, so that a slow
            # machine cannot let the 5 s run out between the two processes)
            c.execute("update smf.alarm_notification set next_try_at = now() + interval '1 hour'")
        second = smf(alarm_db, "jobs", "trigger", "alarm_webhook", **env)
        assert '"tried": 0' in second.stdout, second.stdout + second.stderr
        with psycopg.connect(url) as c:
            c.execute("update smf.alarm_notification set next_try_at = now()")
        third = smf(alarm_db, "jobs", "trigger", "alarm_webhook", **env)
        assert '"tried": 1, "delivered": 1, "failed": 0' in third.stdout, third.stderr
    assert [b["event"] for b in rx.bodies] == ["opened", "opened"]
    # the URL's user:password arrive as Basic auth: base64("hook:s3cret") = aG9vazpzM2NyZXQ=
    assert rx.auth == ["Basic aG9vazpzM2NyZXQ="] * 2
    runs = job_runs(url, "alarm_webhook")
    assert [r[0] for r in runs] == ["ok"] * 4
    assert [r[1]["delivered"] for r in runs] == [0, 0, 0, 1]
    assert all("s3cret" not in json.dumps(r[1]) for r in runs)  # the URL is recorded redacted
    with psycopg.connect(url) as c:
        n = c.execute(
            "select attempts, delivered_at is not null from smf.alarm_notification"
        ).fetchone()
    assert n == (2, True)


@pytest.fixture
def behind_head(db_settings: Settings) -> Settings:
    """A database one revision behind this checkout's head (its version row says so)."""
    [head] = migrate.heads()
    from alembic.script import ScriptDirectory

    prev = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(head).down_revision
    assert isinstance(prev, str)
    with psycopg.connect(db_settings.url) as c:
        c.execute("update alembic_version set version_num = %s", (prev,))
    return db_settings


def _state(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as c:
        row = c.execute(
            "select (select version_num from alembic_version),"
            " (select count(*) from pg_class where relnamespace = 'smf_jobs'::regnamespace),"
            " (select count(*) from smf.job_run)"
        ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "list"),
        ("jobs", "trigger", "vee_daily"),
        ("ccee", "status", "--month", "2026-10"),
        ("ccee", "release", "--uc", "1", "--day", "2026-10-01", "--reason", "x"),
        ("ccee", "submit", "--month", "2026-10"),
        ("ccee", "emulate", "--port", "0"),  # it loads the UCs from the database
        ("jobs", "run"),
    ],
)
def test_a_database_behind_head_is_refused_not_migrated(
    behind_head: Settings, args: tuple[str, ...]
) -> None:
    before = _state(behind_head.url)
    creds = {"SMF_CCEE_CLIENT_ID": "smf-test", "SMF_CCEE_CLIENT_SECRET": "not-logged-x"}
    r = smf(behind_head, *args, **creds)
    assert "not-logged-x" not in r.stdout + r.stderr
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: the database schema is at revision ")
    assert "run `smf db migrate`" in lines[0]
    assert r.stdout == ""
    assert _state(behind_head.url) == before  # nothing migrated, nothing recorded


@pytest.mark.slow
def test_scheduler_refuses_a_database_behind_head(behind_head: Settings) -> None:
    before = _state(behind_head.url)
    with pytest.raises(errors.SchemaNotAtHead, match="run `smf db migrate`"):
        scheduler.run_forever(behind_head, stop=threading.Event())
    assert _state(behind_head.url) == before
