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
