-- name: vee_validate_batch
select smf.vee_validate_batch(%(batch_id)s) as meters;

-- name: vee_validate_scope
select meter_id, serial, result from smf.vee_validate_scope(%(kind)s, %(ref)s, %(from)s, %(to)s);

-- name: vee_estimate_scope
select meter_id, serial, result
from smf.vee_estimate_scope(%(kind)s, %(ref)s, %(from)s, %(to)s, %(operator)s);

-- name: vee_estimate_day_all
-- every enabled main meter for the local day %(day)s (the daily job); meters silent longer than
-- auto_estimate_max_silent_days are left missing with a finding (smf.vee_estimate_daily)
select meter_id, serial, result from smf.vee_estimate_daily(%(day)s::date, %(operator)s);

-- name: vee_validate_day_all
select m.id as meter_id, m.serial,
       smf.vee_validate(m.id, smf.vee_day_start(%(day)s::date), smf.vee_day_start(%(day)s::date + 1)) as result
from smf.meter m where m.enabled order by m.serial;

-- name: vee_edit
select smf.vee_edit(%(serial)s, %(from)s, %(to)s, %(channel)s, %(operation)s, %(value)s,
                    %(source_serial)s, %(reason)s, %(operator)s) as result;

-- name: vee_findings
select f.id, m.serial, f.rule, f.severity, f.ts_from, f.ts_to, f.status, f.detail, f.resolved_by
from smf.vee_finding f join smf.meter m on m.id = f.meter_id
where (%(serial)s::text is null or m.serial = %(serial)s)
  and (%(status)s::text is null or f.status = %(status)s)
  and (%(from)s::timestamptz is null or f.ts_to >= %(from)s)
  and (%(to)s::timestamptz is null or f.ts_from < %(to)s)
order by m.serial, f.ts_from, f.rule
limit %(limit)s;

-- name: vee_finding_set_status
select smf.vee_finding_set_status(%(id)s, %(status)s, %(who)s);

-- name: vee_explain
select * from smf.vee_explain((select id from smf.meter where serial = %(serial)s), %(ts)s);

-- name: virtual_define
select smf.virtual_define(%(name)s, %(formula)s, %(tree)s::jsonb, %(from)s, %(to)s) as id;

-- name: virtual_rollup
select bucket_start, value_kwh, quality, n_intervals, n_missing
from smf.virtual_rollup(%(name)s, %(from)s, %(to)s, %(resolution)s);

-- name: distributor_month_summary
select * from smf.distributor_month_summary(%(aneel_code)s, %(month)s);

-- name: vee_demo_backup
update smf.consumer_unit set backup_meter_id = %(backup_meter_id)s
where id = %(uc_id)s and backup_meter_id is distinct from %(backup_meter_id)s;

-- name: vee_findings_by_rule
select f.rule, f.status, count(*) as n
from smf.vee_finding f
where f.meter_id = any(%(meters)s) and f.ts_to >= %(from)s and f.ts_from < %(to)s
group by 1, 2 order by 1, 2;

-- name: vee_quality_counts
select m.serial, sum(r.n_measured) as measured, sum(r.n_adjusted) as adjusted,
       sum(r.n_estimated) as estimated, sum(r.n_missing) as missing, sum(r.n_expected) as expected
from smf.rollup_month r join smf.meter m on m.id = r.meter_id
where r.meter_id = any(%(meters)s) and r.bucket = %(month)s
group by m.serial order by m.serial;

-- name: vee_validate_retry
-- the ranges of open validation_error findings, validated again (the daily job)
select meter_id, serial, ts_from, ts_to, result from smf.vee_validate_retry(null);

-- name: vee_validate_backfill
-- the rules over one meter-month's loaded days (a back-fill validates each once, after the load)
select smf.vee_validate_backfill(%(meter_id)s, %(lo)s, %(hi)s) as result;
