-- name: alarm_sheet
-- The alarm sheet, newest violation first; closed alarms only with all = true. Optional filters:
-- state, UC code, distributor id.
select id, state, rule_code, rule_name, uc_code, customer_name, meter_serial, opened_at, last_at,
       value, value_text, threshold, unit, phase, occurrences, message, acknowledged_by,
       acknowledged_at, ack_comment, cleared_at, closed_by, closed_at, close_comment
from smf.alarm_sheet
where (%(all)s or state <> 'closed')
  and (%(state)s::text is null or state = %(state)s::text)
  and (%(uc_code)s::text is null or uc_code = %(uc_code)s::text)
  and (%(distributor_id)s::int is null or distributor_id = %(distributor_id)s::int)
order by last_at desc, id desc
limit %(limit)s;

-- name: alarm_skipped
-- Rules that cannot be evaluated, grouped by reason: which rules, why, how many meters, and the
-- first meters (serial, UC) concerned (3-channel meters without 0x14, import-only meters ...).
with per_meter as (
    select serial, uc_code, string_agg(rule_code::text, ',' order by rule_code) as rules, status
    from smf.alarm_coverage
    where status like 'skipped:%%'
      and (%(uc_code)s::text is null or uc_code = %(uc_code)s::text)
    group by serial, uc_code, status
)
select rules, status, count(*) as meters,
       array_to_string((array_agg(serial || coalesce(' (UC ' || uc_code || ')', '')
                                  order by uc_code nulls last, serial))[1:3], ', ')
           || case when count(*) > 3 then ', ...' else '' end as examples
from per_meter
group by rules, status
order by rules, status;

-- name: alarm_ack
select smf.alarm_acknowledge(%(id)s, %(by)s, %(comment)s) as state;

-- name: alarm_close
select smf.alarm_close(%(id)s, %(by)s, %(comment)s) as state;

-- name: alarm_rules
-- The rules a-m and their thresholds: default, per group and per meter, with validity.
select r.code, r.name, r.unit, t.id as threshold_id,
       case when t.meter_id is not null then 'meter ' || m.serial
            when t.group_id is not null then 'group ' || g.name
            when t.id is not null then 'default' end as level,
       t.value, t.params, t.enabled, lower(t.valid_during) as valid_from,
       upper(t.valid_during) as valid_to
from smf.alarm_rule r
left join smf.alarm_threshold t on t.rule_code = r.code
left join smf.meter m on m.id = t.meter_id
left join smf.alarm_group g on g.id = t.group_id
order by r.code, t.meter_id nulls first, t.group_id nulls first, lower(t.valid_during) nulls first;

-- name: alarm_set_threshold
-- Program a threshold from valid_from on (default now) at one level (meter serial, group name or
-- default): the row in force at that level is ended at valid_from.
select smf.alarm_set_threshold(%(rule)s::text, %(value)s::numeric, %(params)s::jsonb,
    %(enabled)s::boolean, %(meter_serial)s::text, %(group_name)s::text,
    %(valid_from)s::timestamptz, %(by)s::text) as id;

-- name: alarm_monitor_start
select smf.monitoring_start(%(serial)s::text, %(until)s::timestamptz, %(by)s::text, %(reason)s::text) as id;

-- name: alarm_monitor_list
select mm.id, m.serial, mm.starts_at, mm.ends_at, mm.requested_by, mm.reason
from smf.meter_monitoring mm join smf.meter m on m.id = mm.meter_id
where mm.ends_at > now() order by mm.ends_at;

-- name: meters_due_monitoring
-- Meters under 15-minute monitoring that the poller should read now.
select meter_id, serial, ends_at, last_attempt_at from smf.meters_due_monitoring(%(now)s);

-- name: alarm_record_status
-- What a read says about the meter's health (battery octet 147 of 0x20/0x21, raw); rule l is
-- evaluated by the insert's trigger.
insert into smf.meter_status_report (meter_id, at, battery_raw, source)
values (%(meter_id)s, %(at)s, %(battery_raw)s, %(source)s)
on conflict (meter_id, at) do nothing;

-- name: alarm_pending_notifications
-- Notifications due for the webhook, oldest first, locked for this sender.
select n.id, n.event, n.attempts, n.created_at, to_jsonb(s) - 'detail' as alarm
from smf.alarm_notification n
join smf.alarm_sheet s on s.id = n.alarm_id
where n.delivered_at is null and n.gave_up_at is null and n.next_try_at <= now()
order by n.id
limit %(limit)s
for update of n skip locked;

-- name: alarm_delivery_record
-- One try of a notification: its result, and the notification's new state (delivered, next try,
-- or given up after max_attempts).
with d as (
    insert into smf.alarm_delivery (notification_id, attempt, url, status_code, error, duration_ms)
    select id, attempts + 1, %(url)s, %(status_code)s, %(error)s, %(duration_ms)s
    from smf.alarm_notification where id = %(id)s
    returning notification_id, attempt
)
update smf.alarm_notification n
set attempts = d.attempt,
    delivered_at = case when %(ok)s::boolean then now() end,
    next_try_at = now() + make_interval(secs => %(retry_in_s)s),
    gave_up_at = case when not %(ok)s::boolean and d.attempt >= %(max_attempts)s then now() end
from d where n.id = d.notification_id
returning n.attempts, n.delivered_at, n.gave_up_at;

-- name: alarm_demo_meter
select id from smf.meter where serial = %(serial)s;

-- name: alarm_demo_instantaneous
-- A 0x14 reading of the demo (idempotent: the same instant is stored once).
insert into smf.instantaneous_reading (meter_id, at, "values", reactive_characteristic)
values (%(meter_id)s, %(at)s, %(values)s::jsonb, 'LLLL')
on conflict (meter_id, at) do nothing;

-- name: alarm_demo_session
-- A simulated session log row of the demo (idempotent per meter and start).
insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome, error_class,
                              error_message)
values (%(meter_id)s, %(at)s, 900, 'schedule', %(outcome)s, %(error_class)s, %(message)s)
on conflict (meter_id, started_at) do nothing;

-- name: alarm_group_assign
select smf.alarm_group_assign(%(group)s::text, %(uc_code)s::text) as id;
