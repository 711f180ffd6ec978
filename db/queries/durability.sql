-- Named queries of db/backup.py, db/ha.py, db/doctor.py and the failover checks of db/driver.py.

-- name: backup_archive_mode
select current_setting('archive_mode') as archive_mode

-- name: backup_switch_wal
-- close the current WAL segment so the archiver can store it; the closed segment's name
select pg_walfile_name(pg_switch_wal()) as segment

-- name: backup_archiver
select archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal,
       last_failed_time
from pg_stat_archiver

-- name: ha_in_recovery
-- true on a standby (or a primary being demoted): not a server to write to
select pg_is_in_recovery() as standby

-- name: doctor_server
select split_part(version(), ' ', 2) as version, pg_is_in_recovery() as standby,
       current_setting('port')::int as port, (now() - pg_postmaster_start_time())::text as uptime,
       current_setting('synchronous_standby_names') as sync_standbys,
       current_setting('archive_mode') as archive_mode,
       (select extversion from pg_extension where extname = 'timescaledb') as timescaledb

-- name: doctor_replication
-- one row per standby streaming from this server; lag in bytes of WAL not yet replayed and in s
select application_name, state, sync_state,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint as replay_lag_bytes,
       coalesce(extract(epoch from replay_lag), 0)::float8 as replay_lag_s
from pg_stat_replication
order by application_name

-- name: doctor_disk_tiers
-- bytes per kind of data: hypertables measured with their chunks (hypertable_size), other
-- tables with indexes and TOAST; the WAL directory; the database as a whole
with t as (
    select case when c.relname in ('interval_reading', 'interval_reading_history') then 'interval data'
                when starts_with(c.relname, 'rollup_') then 'rollups'
                when c.relname = 'raw_read' then 'raw meter frames'
                else 'other tables' end as tier,
           case when h.hypertable_name is not null
                then hypertable_size(c.oid)
                else pg_total_relation_size(c.oid) end as bytes
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join timescaledb_information.hypertables h
           on h.hypertable_schema = n.nspname and h.hypertable_name = c.relname
    where n.nspname = 'smf' and c.relkind in ('r', 'p')
)
select tier, sum(bytes)::bigint as bytes from t group by tier
union all
select 'WAL (pg_wal)', (select coalesce(sum(size), 0) from pg_ls_waldir())::bigint
union all
select 'database total', pg_database_size(current_database())::bigint
order by 1

-- name: doctor_job_runs
select distinct on (job) job, started_at, finished_at, outcome, left(error, 200) as error
from smf.job_run
order by job, started_at desc

-- name: doctor_meters_not_read_today
-- enabled meters with a transport (polled ones) and no successful session since local midnight
select m.serial
from smf.meter m
where m.enabled and m.transport is not null
  and not exists (
      select 1 from smf.poll_attempt a
      where a.meter_id = m.id and a.outcome = 'ok'
        and a.started_at >= (date_trunc('day', now() at time zone smf.local_timezone())
                             at time zone smf.local_timezone()))
order by m.serial
