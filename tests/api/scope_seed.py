"""Rows in EVERY scoped table for each of the API seed's three UCs (tests/api/conftest.py: the
UCs of meters M-A1 and M-A2 of distributor 001, and of M-B1 of distributor 002), so the
visibility tests (tests/api/test_visibility.py) can check that each role sees exactly its own
rows, positively (count > 0, exact rows) as well as negatively.

`add_scope_rows(conn)` runs as the owner on a clone of the seeded database. Every row is tagged
with its meter's serial where a text column allows it, which makes a wrong row easy to read in a
failure. Alarm evaluation is off for the transaction, so no trigger adds rows of its own.

`OWNER_OF[table]` is the hand-written attribution of each row to a UC (an SQL expression over
the table's alias `t`, giving the UC id, or None for rows of no UC), kept independent of the
policies in db/functions/510_scope_policies.sql: the test compares what the policies let
through against it.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from db import driver, ingest

DAY = datetime(2024, 3, 1, tzinfo=UTC)
# A week before the seed's day, for the sealed tier: with the default seal_period_days (7) the
# periods start on Mondays (TimescaleDB's time_bucket origin, 2000-01-03); SEAL_EDGE is the
# start of the period holding DAY, so only the period of SEALED_DAY (2024-02-19 .. 2024-02-26)
# is sealed and the seed's own day stays hot.
SEALED_DAY = datetime(2024, 2, 20, tzinfo=UTC)
SEAL_EDGE = datetime(2024, 2, 26, tzinfo=UTC)

_UC_OF_METER = (
    "(select u.id from smf.consumer_unit u"
    " where t.meter_id in (u.main_meter_id, u.backup_meter_id))"
)
_UC_OF_CONTRACT = "(select c.buyer_uc_id from smf.energy_contract c where c.id = t.contract_id)"

# table -> SQL giving the UC id of row t (None: a row no UC owns; only scope_all sees it, unless
# ALSO_VISIBLE says more). Hand-written from the meaning of each table, not from the policies.
OWNER_OF: dict[str, str | None] = {
    **{
        t: _UC_OF_METER
        for t in (
            "alarm",
            "clock_correction",
            "dlms_meter",
            "instantaneous_reading",
            "interval_sealed",
            "interval_reading",
            "interval_reading_history",
            "meter_alteration",
            "meter_clock_policy",
            "meter_event",
            "meter_monitoring",
            "meter_outage",
            "meter_status_report",
            "poll_attempt",
            "raw_read",
            "read_request",
            "reading_disagreement",
            "register_reading",
            "rollup_15min",
            "rollup_hour",
            "rollup_day",
            "rollup_month",
            "vee_estimation_run",
            "vee_finding",
            "vee_manual_edit",
            "vee_provenance",
        )
    },
    "meter": "(select u.id from smf.consumer_unit u"
    " where t.id in (u.main_meter_id, u.backup_meter_id))",
    "consumer_unit": "t.id",
    **{
        t: "t.consumer_unit_id"
        for t in (
            "alarm_group_member",
            "ccee_attempt",
            "ccee_release",
            "ccee_retail_uc",
            "ccee_uc_day",
            "consumer_unit_class",
            "transformer_loss",
            "uc_code_change",
            "uc_month_figures",
        )
    },
    "energy_contract": "t.buyer_uc_id",
    "contract_month_volume": _UC_OF_CONTRACT,
    "contract_hour_volume": _UC_OF_CONTRACT,
    # a meter's own threshold or VEE parameter belongs to its UC; a default belongs to no UC
    "alarm_threshold": f"case when t.meter_id is not null then {_UC_OF_METER} end",
    "vee_parameter": f"case when t.meter_id is not null then {_UC_OF_METER} end",
    # operational tables of no UC: admin and service principals only
    "alarm_notification": None,
    "alarm_delivery": None,
    "ccee_payload": None,
    "job_run": None,
    "virtual_meter": None,
    "ingest_batch": None,
    "ingest_quarantine": None,
    # DLMS protocol data of no UC (OBIS code -> channel, profile status bits): the migration's
    # rows (revision 0017); not in smf.scope_reference_tables(), so admin and service only
    "dlms_obis_channel": None,
    "dlms_status_bit": None,
    # an alarm group belongs to a distributor: see ALSO_VISIBLE
    "alarm_group": None,
}

# Rows of no UC that a scoped principal still sees, by hand: the default alarm thresholds (the
# same for everyone; without them a reader's alarm coverage says 'not programmed'), the group
# thresholds of a group one of its UCs is in, and the alarm groups of a distributor it is an
# analyst of. Keys: table -> SQL condition over row t and the principal's hand-listed UC ids
# (%(ucs)s) and distributor ids (%(dists)s).
ALSO_VISIBLE: dict[str, str] = {
    "alarm_threshold": "(t.meter_id is null and t.group_id is null) or exists (select 1 from"
    " smf.alarm_group_member gm where gm.group_id = t.group_id"
    " and gm.consumer_unit_id = any (%(ucs)s))",
    "alarm_group": "t.distributor_id = any (%(dists)s)",
}


def add_scope_rows(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Insert one (or more) row per UC in every scoped table; returns serial -> meter id."""
    conn.execute("select set_config('smf.alarm_evaluation', 'off', true)")
    meters = dict(
        conn.execute(
            "select m.serial, m.id from smf.meter m where m.serial in ('M-A1', 'M-A2', 'M-B1')"
        ).fetchall()
    )
    ucs = dict(
        conn.execute(
            "select m.serial, u.id from smf.consumer_unit u join smf.meter m"
            " on m.id = u.main_meter_id"
        ).fetchall()
    )
    batch = conn.execute("select min(id) from smf.ingest_batch").fetchone()[0]
    # polled meters (a transport), so the fleet's poll-health view lists them too
    conn.execute(
        "update smf.meter set transport = 'tcp://127.0.0.1:9' where id = any (%s)",
        (list(meters.values()),),
    )
    groups = {}
    for aneel in ("001", "002"):
        groups[aneel] = conn.execute(
            "insert into smf.alarm_group (name, distributor_id) select %s, id from smf.distributor"
            " where aneel_code = %s returning id",
            (f"scope-group-{aneel}", aneel),
        ).fetchone()[0]
    for k, (serial, m) in enumerate(sorted(meters.items()), start=1):
        u = ucs[serial]
        aneel = "002" if serial.startswith("M-B") else "001"
        at = DAY + timedelta(minutes=k)
        ex = conn.execute
        ex(
            "insert into smf.instantaneous_reading (meter_id, at, values) values (%s, %s, %s)",
            (m, at, f'{{"tag": "{serial}"}}'),
        )
        ex(
            "insert into smf.interval_reading_history (meter_id, ts, active_fwd_wh, quality,"
            " source, batch_id, superseded_at, superseded_by_batch, changed_by, reason)"
            " values (%s, %s, %s, 'measured', 'import', %s, %s, %s, 'scope', %s)",
            (m, DAY, k, batch, at, batch, serial),
        )
        ex(
            "insert into smf.meter_alteration (meter_id, at, command_code, reader_serial)"
            " values (%s, %s, 41, %s)",
            (m, at, serial),
        )
        ex(
            "insert into smf.meter_event (meter_id, at, kind, message) values (%s, %s, 'gap', %s)",
            (m, at, serial),
        )
        ex(
            "insert into smf.meter_monitoring (meter_id, starts_at, ends_at, requested_by, reason)"
            " values (%s, %s, %s, 'scope', %s)",
            (m, at, at + timedelta(hours=1), serial),
        )
        ex("insert into smf.meter_outage (meter_id, start_at) values (%s, %s)", (m, at))
        ex(
            "insert into smf.meter_status_report (meter_id, at, battery_raw) values (%s, %s, %s)",
            (m, at, k),
        )
        ex(
            "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome)"
            " values (%s, %s, %s, 'schedule', 'ok')",
            (m, at, k),
        )
        ex(
            "insert into smf.raw_read (meter_id, read_at, layout, n_blocks, blocks)"
            " values (%s, %s, %s, 0, '')",
            (m, at, serial),
        )
        ex(
            "insert into smf.read_request (meter_id, kind) values (%s, 'registers')",
            (m,),
        )
        ex(
            "insert into smf.reading_disagreement (batch_id, meter_id, ts, channel, stored_value,"
            " stored_source, stored_batch_id, incoming_value, incoming_source, kept)"
            " values (%s, %s, %s, %s, 1, 'import', %s, 2, 'meter', 'incoming')",
            (batch, m, DAY, serial, batch),
        )
        ex(
            "insert into smf.register_reading (meter_id, at, period, channel, registers, demands)"
            " values (%s, %s, 'current', 1, %s, %s)",
            (m, at, [k] * 7, [k] * 7),
        )
        run = ex(
            "insert into smf.vee_estimation_run (meter_id, ts_from, ts_to, parameters, operator)"
            " values (%s, %s, %s, '{}', %s) returning id",
            (m, DAY, at, serial),
        ).fetchone()[0]
        ex(
            "insert into smf.vee_finding (meter_id, rule, ts_from, ts_to, severity, detail)"
            " values (%s, 'spike', %s, %s, 'info', %s)",
            (m, DAY, at, serial),
        )
        ex(
            "insert into smf.vee_manual_edit (meter_id, ts_from, ts_to, channel, operation,"
            " argument, reason, operator, old_values)"
            " values (%s, %s, %s, 'active_fwd', 'set', '1', %s, 'scope', '[]')",
            (m, DAY, at, serial),
        )
        ex(
            "insert into smf.vee_provenance (meter_id, ts, run_id, method, inputs)"
            " values (%s, %s, %s, 'daytype_mean', %s)",
            (m, DAY, run, f'{{"tag": "{serial}"}}'),
        )
        ex(
            "insert into smf.vee_parameter (key, meter_id, value, unit, description)"
            " values ('spike_factor', %s, %s, 'x', %s)",
            (m, 10 + k, serial),
        )
        alarm = ex(
            "insert into smf.alarm (rule_code, meter_id, uc_id, distributor_id, opened_at,"
            " last_at, source, message) select 'a', %s, u.id, u.distributor_id, %s, %s,"
            " 'poll', %s from smf.consumer_unit u where u.id = %s returning id",
            (m, at, at, serial, u),
        ).fetchone()[0]
        note = ex(
            "insert into smf.alarm_notification (alarm_id, event) values (%s, 'opened')"
            " returning id",
            (alarm,),
        ).fetchone()[0]
        ex(
            "insert into smf.alarm_delivery (notification_id, attempt, url, duration_ms)"
            " values (%s, 1, %s, 1)",
            (note, f"http://127.0.0.1/{serial}"),
        )
        ex(
            "insert into smf.alarm_group_member (consumer_unit_id, group_id) values (%s, %s)",
            (u, groups[aneel]),
        )
        ex(
            "insert into smf.alarm_threshold (rule_code, meter_id, value) values ('a', %s, %s)",
            (m, 100 + k),
        )
        code = ex("select uc_code from smf.consumer_unit where id = %s", (u,)).fetchone()[0]
        digest = f"{k:064d}"
        ex(
            "insert into smf.ccee_payload (hash, body) values (%s, %s)",
            (digest, serial),
        )
        ex(
            "insert into smf.ccee_attempt (consumer_unit_id, uc_code, day, attempt, trigger,"
            " holder, started_at, outcome, payload_hash) values (%s, %s, %s, 1, 'schedule', %s,"
            " %s, 'held', %s)",
            (u, code, date(2024, 3, 1), serial, at, digest),
        )
        ex(
            "insert into smf.ccee_release (consumer_unit_id, day, hold_reason, released_by,"
            " reason) values (%s, %s, 'musd_exceeded', 'scope', %s)",
            (u, date(2024, 3, 1), serial),
        )
        ex(
            "insert into smf.ccee_retail_uc (consumer_unit_id, valid_during)"
            " values (%s, '[2024-01-01,)')",
            (u,),
        )
        ex(
            "insert into smf.ccee_uc_day (consumer_unit_id, day, state) values (%s, %s, 'held')",
            (u, date(2024, 3, 1)),
        )
        ex(
            "insert into smf.consumer_unit_class (consumer_unit_id, market) values (%s, 'free')",
            (u,),
        )
        contract = ex(
            "insert into smf.energy_contract (code, kind, seller, submarket, valid_during,"
            " buyer_uc_id, annual_mwh) values (%s, 'bilateral', 'Gen', 'SE/CO',"
            " '[2024-01-01,2025-01-01)', %s, %s) returning id",
            (f"C-{serial}", u, 100 * k),
        ).fetchone()[0]
        ex(
            "insert into smf.contract_month_volume (contract_id, month, mwh)"
            " values (%s, '2024-03-01', %s)",
            (contract, k),
        )
        ex(
            "insert into smf.contract_hour_volume (contract_id, hour, mwh) values (%s, %s, %s)",
            (contract, DAY, k),
        )
        ex(
            "insert into smf.transformer_loss (consumer_unit_id, valid_during, factor)"
            " values (%s, '[2024-01-01,)', %s)",
            (u, k / 100),
        )
        ex(
            "insert into smf.uc_code_change (consumer_unit_id, old_code, new_code, reason)"
            " values (%s, %s, %s, %s)",
            (u, code, code, serial),
        )
        # the poller's own statements (db/queries/dlms.sql): DLMS settings, the clock policy and
        # one automatic correction per meter (drift 90 + k s, meter time 1 s -> true time)
        driver.run(
            conn,
            "dlms_meter_upsert",
            meter_id=m,
            client_sap=16,
            server_logical=k,
            server_physical=None,
            auth="none",
            profile_obis="1.0.99.1.0.255",
        )
        driver.run(
            conn,
            "clock_policy_set",
            meter_id=m,
            auto_correct=True,
            correct_min_s=60 + k,
            correct_max_s=3600,
            boundary_guard_s=10,
        )
        driver.run(
            conn,
            "clock_correction_insert",
            meter_id=m,
            at=at,
            kind="auto",
            outcome="corrected",
            method="dlms_set_time",
            meter_before=at + timedelta(seconds=90 + k),
            meter_after=at + timedelta(seconds=1),
            reference_time=at,
            drift_before_s=90 + k,
            drift_after_s=1,
            meter_interval_start=DAY,
            reason=serial,
            by_whom=None,
        )
        # the month's figures, through the path the uc_figures job takes (180_uc_figures.sql)
        stored = ex("select smf.uc_figures_refresh(%s, %s)", (u, DAY.date())).fetchone()[0]
        assert stored, f"no figures for the UC of {serial} in 2024-03"
    # the sealed tier: an hour of intervals per meter a week before the seed's day, imported
    # (the ingest path) and sealed as the storage_seal job seals (db/queries/storage.sql);
    # sealing moves the rows out of interval_reading, rollup_15min and rollup_hour
    lines = ["meter_serial,ts,active_fwd_kwh"]
    for k, serial in enumerate(sorted(meters), start=1):
        for i in range(12):
            ts = SEALED_DAY + timedelta(minutes=5 * i)
            lines.append(f"{serial},{ts.isoformat()},{k * (i + 1) / 1000:.3f}")
    ingest.ingest_csv_stream(conn, io.BytesIO(("\n".join(lines) + "\n").encode()), origin="scope")
    periods = driver.run(conn, "storage_seal_candidates", edge=SEAL_EDGE)
    sealed = driver.run_scalar(
        conn,
        "storage_seal_periods",
        meters=[p["meter_id"] for p in periods],
        starts=[p["period_start"] for p in periods],
    )
    assert sealed["sealed"] == 3 and sealed["rows"] == 36, sealed
    # rows of no UC: the admin's and the service's only
    ex = conn.execute
    ex("insert into smf.alarm_threshold (rule_code, value) values ('b', 140)")  # a default
    ex(
        "insert into smf.alarm_threshold (rule_code, group_id, value) values ('b', %s, 141)",
        (groups["001"],),
    )
    ex("insert into smf.job_run (job, holder) values ('scope', 'scope')")
    ex(
        "insert into smf.ingest_quarantine (batch_id, reason) values (%s, 'scope')",
        (batch,),
    )
    ex(
        "insert into smf.virtual_meter (name, channel, formula, tree, interval_minutes,"
        " valid_during) values ('scope', 'active_fwd', 'M-A1', '{}', 5, '[2024-01-01,)')"
    )
    return meters
