-- name: ingest_begin
select smf.ingest_begin(%(source)s::smf.reading_source, %(origin)s) as batch_id;

-- name: ingest_given
select smf.ingest_given(%(names)s::text[]) as given;

-- name: ingest_finish
select smf.ingest_finish(%(batch_id)s, %(line_offset)s) as result;

-- name: ingest_batch_decisions
-- How the batch's input was read (the notes of the import's summary), kept with the batch.
update smf.ingest_batch set decisions = %(decisions)s::text[] where id = %(batch_id)s;

-- name: ingest_copy_csv
-- {columns} and {delimiter} are composed from a whitelist with psycopg.sql.
copy pg_temp.ingest_stage ({columns}) from stdin with (format csv, delimiter {delimiter}, null '');

-- name: ingest_copy_rows
copy pg_temp.ingest_stage ({columns}) from stdin;

-- name: vee_validate_batch_failed
select smf.vee_validate_batch_failed(%(batch_id)s, %(sqlstate)s, %(message)s) as ranges;

-- name: ingest_quarantine_lines
-- the first input lines of batch %(batch_id)s that went to quarantine (the summary names them)
select line_no from smf.ingest_quarantine where batch_id = %(batch_id)s order by line_no
limit %(limit)s;

-- name: ingest_cadence
-- Meters of the batch just staged (pg_temp.ingest_stage, this transaction) whose rows are spaced
-- otherwise than their registered interval: the mean spacing (span / (rows - 1)) of the meter's
-- rows in the batch, when it is below the interval or at least 1.5 times it. One hash aggregate
-- over the staged rows (no sort); a meter with fewer than 3 rows is not judged.
with s as (
    select coalesce(st.meter_id, m.id) as meter_id, min(st.ts::timestamptz) as lo,
           max(st.ts::timestamptz) as hi, count(*) as n
    from pg_temp.ingest_stage st
    left join smf.meter m on st.meter_id is null and m.serial = btrim(st.meter_serial)
    group by 1
)
select m.serial, m.interval_minutes, s.n,
       round(extract(epoch from s.hi - s.lo) / 60 / (s.n - 1), 1) as file_minutes
from s join smf.meter m on m.id = s.meter_id
where s.n >= 3
  and (extract(epoch from s.hi - s.lo) / 60 / (s.n - 1) < 0.9 * m.interval_minutes
       or extract(epoch from s.hi - s.lo) / 60 / (s.n - 1) >= 1.5 * m.interval_minutes)
order by m.serial;

-- name: ingest_backfill_session
-- a back-fill (`smf import --backfill`): no validation and no alarm evaluation per batch, for this
-- transaction only; the meter-months it touched are validated once after the load
select set_config('smf.vee_on_ingest', 'off', true) as vee,
       set_config('smf.alarm_evaluation', 'off', true) as alarms;

-- name: ingest_touched_months
-- per meter of the batch just finished (pg_temp.ingest_touched: inclusive UTC interval starts
-- lo..hi) and local month it touched: the whole local days it touched inside that month, [lo, hi)
select t.meter_id, m.serial, g::date as month,
       greatest(smf.vee_day_start(smf.vee_local_day(t.lo)), smf.vee_day_start(g::date)) as lo,
       least(smf.vee_day_start(smf.vee_local_day(t.hi) + 1),
             smf.vee_day_start((g + interval '1 month')::date)) as hi
from pg_temp.ingest_touched t
join smf.meter m on m.id = t.meter_id
cross join lateral generate_series(date_trunc('month', smf.vee_local_day(t.lo)),
                                   date_trunc('month', smf.vee_local_day(t.hi)),
                                   interval '1 month') g
order by t.meter_id, month;

-- name: ingest_slash_dates
-- `smf import --utc-offset` (db/ingest_local_time.py): the staged time stamps of slash form
-- %(slash)s (D/M/YYYY or M/D/YYYY, no offset): how many, and the first staging line whose first
-- field is above 12 (only DD/MM reads it), whose second is (only MM/DD), whose two differ.
select count(*) as n,
       min(line_no) filter (where m[1]::int > 12) as dmy_line,
       min(line_no) filter (where m[2]::int > 12) as mdy_line,
       min(line_no) filter (where m[1]::int <> m[2]::int) as ambiguous_line
from (
    select line_no, regexp_match(ts, %(slash)s) as m
    from pg_temp.ingest_stage
    where strpos(ts, '/') > 0
    offset 0
) s
where m is not null;

-- name: ingest_staged_ts
select line_no, ts from pg_temp.ingest_stage where line_no = any (%(lines)s::bigint[])
order by line_no;

-- name: ingest_local_times
-- `smf import --utc-offset`: rewrite the staged time stamps without offset (slash form %(slash)s
-- in %(order)s order, or ISO form %(iso)s) as ISO 8601 at %(offset)s (+HH:MM), zero-padded as
-- smf.ingest_finish checks them; a time stamp with its own offset is left as it is. Returns how
-- many were rewritten (localized) of how many staged (rows).
with x as (
    select line_no, regexp_match(ts, %(slash)s) as d, regexp_match(ts, %(iso)s) as i
    from pg_temp.ingest_stage
    offset 0
), done as (
    update pg_temp.ingest_stage s
    set ts = case
            when x.d is not null then x.d[3]
                || '-' || lpad(case when %(order)s::text = 'mdy' then x.d[1] else x.d[2] end, 2, '0')
                || '-' || lpad(case when %(order)s::text = 'mdy' then x.d[2] else x.d[1] end, 2, '0')
                || 'T' || lpad(x.d[4], 2, '0') || ':' || x.d[5] || coalesce(x.d[6], '')
            else x.i[1] || 'T' || x.i[2]
        end || %(offset)s
    from x
    where x.line_no = s.line_no and (x.d is not null or x.i is not null)
    returning 1
)
select (select count(*) from done) as localized,
       (select count(*) from pg_temp.ingest_stage) as rows;
