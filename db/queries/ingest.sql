-- name: ingest_begin
select smf.ingest_begin(%(source)s::smf.reading_source, %(origin)s) as batch_id;

-- name: ingest_given
select smf.ingest_given(%(names)s::text[]) as given;

-- name: ingest_finish
select smf.ingest_finish(%(batch_id)s, %(line_offset)s) as result;

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
-- otherwise than their registered interval: the most common gap between consecutive distinct
-- interval starts of the meter in the batch; meters with a single row are not judged.
with s as (
    select distinct coalesce(st.meter_id, m.id) as meter_id, st.ts::timestamptz as ts
    from pg_temp.ingest_stage st
    left join smf.meter m on st.meter_id is null and m.serial = btrim(st.meter_serial)
), g as (
    select s.meter_id, s.ts - lag(s.ts) over (partition by s.meter_id order by s.ts) as gap from s
    where s.meter_id is not null
)
select m.serial, m.interval_minutes,
       extract(epoch from mode() within group (order by g.gap)) / 60 as file_minutes,
       count(*) + 1 as n
from g join smf.meter m on m.id = g.meter_id
where g.gap > interval '0'
group by m.serial, m.interval_minutes
having mode() within group (order by g.gap) <> make_interval(mins => m.interval_minutes)
order by m.serial;
