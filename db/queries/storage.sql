-- Storage tiers (db/functions/025_storage.sql): sealing and status. db/storage.py runs these.

-- name: storage_seal_lock
-- One sealing run at a time (a second scheduler or a hand run beside the job): a session lock.
select pg_try_advisory_lock(hashtext('smf.storage_seal')) as locked;

-- name: storage_seal_unlock
select pg_advisory_unlock(hashtext('smf.storage_seal')) as unlocked;

-- name: storage_seal_edge
select coalesce(%(edge)s::timestamptz, smf.storage_seal_edge()) as edge;

-- name: storage_seal_candidates
select meter_id, period_start from smf.storage_seal_candidates(%(edge)s::timestamptz);

-- name: storage_seal_periods
select smf.storage_seal_periods(%(meters)s::int[], %(starts)s::timestamptz[]) as result;

-- name: storage_empty_chunk_candidates
-- The hot chunks wholly before %(edge)s that sealing may have emptied (025_storage.sql).
select chunk from smf.storage_empty_chunk_candidates(%(edge)s::timestamptz);

-- name: storage_drop_chunk_if_empty
-- Drop chunk %(chunk)s if it holds no row: the bytes it took, NULL when kept (025_storage.sql).
select smf.storage_drop_chunk_if_empty(%(chunk)s) as bytes;

-- name: storage_setting
select smf.storage_setting_int(%(key)s, %(default)s) as value;

-- name: storage_status
select tier, stored_rows, intervals, bytes, bytes_per_interval, oldest, newest
from smf.storage_status();
