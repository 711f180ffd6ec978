-- The Parquet archive (db/archive.py): one file per distributor-month.

-- name: archive_snapshot
-- First statement of an export's transaction: every query of the export sees one snapshot.
set transaction isolation level repeatable read, read only;

-- name: archive_distributor
select id, aneel_code::text as aneel_code, name from smf.distributor where aneel_code = %(aneel_code)s;

-- name: archive_distributors
-- Every distributor with at least one meter on a UC (the monthly job exports each).
select d.aneel_code::text as aneel_code
from smf.distributor d
where exists (select 1 from smf.consumer_unit u
              where u.distributor_id = d.id
                and (u.main_meter_id is not null or u.backup_meter_id is not null))
order by d.aneel_code;

-- name: archive_try_lock
-- One export of a distributor-month at a time (two schedulers, an operator beside the job):
-- a transaction-scoped advisory lock, false when another transaction holds it.
select pg_try_advisory_xact_lock(hashtext('smf.parquet_export'),
                                 hashtext(%(aneel_code)s::text || ' ' || %(month)s::text)) as locked;

-- name: archive_month_bounds
-- The local month (smf.local_timezone()) as a half-open range of UTC instants.
select (%(month_start)s::date::timestamp at time zone smf.local_timezone()) as ts_from,
       ((%(month_start)s::date + interval '1 month')::timestamp at time zone smf.local_timezone()) as ts_to,
       smf.local_timezone() as local_timezone;

-- name: archive_distributor_meters
-- The main and backup meters of the distributor's UCs (retired UCs too: their past months are
-- still archived), by serial in byte order: the file is sorted by (meter_serial, ts) and says
-- so.
select m.id, m.serial
from smf.meter m
where m.id in (select x.meter_id
               from smf.consumer_unit u
               cross join lateral unnest(array[u.main_meter_id, u.backup_meter_id]) x(meter_id)
               where u.distributor_id = %(distributor_id)s)
order by m.serial collate "C";

-- name: archive_intervals
-- THE read of the export: the intervals of the meters meter_ids in [ts_from, ts_to), in stored
-- units (Wh, varh, mV, mA), ts as microseconds since 1970-01-01 UTC (the interval start),
-- ordered by meter serial (byte order, as Parquet compares strings) and time: the file
-- declares that order to its readers. COPY takes no bind parameters: db.driver.copy_out_csv
-- passes each brace placeholder below as a literal (so no braces in these comments). The FROM
-- is the single read path smf.intervals: hot rows and sealed periods alike.
select m.serial as meter_serial,
       (extract(epoch from r.ts) * 1000000)::int8 as ts_us,
       r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh, r.reactive_ind_rev_varh,
       r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh, r.voltage_a_mv, r.voltage_b_mv,
       r.voltage_c_mv, r.current_a_ma, r.current_b_ma, r.current_c_ma,
       r.quality::text as quality, r.source::text as source
from smf.intervals({meter_ids}::int[], {ts_from}, {ts_to}) r
join smf.meter m on m.id = r.meter_id
order by m.serial collate "C", r.ts
