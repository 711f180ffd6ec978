-- Scale-out (docs/scale-out.md): the coordinator's own schema. It holds no readings: the
-- directory says which shard holds each meter, and xs.uc_day is partitioned by shard with one
-- postgres_fdw foreign partition per shard (created by attach, below, per deployment).
create extension if not exists postgres_fdw;
create schema if not exists xs;

-- xs.shard_directory: meters of distributor aneel_code whose serial is in [serial_from, serial_to]
-- live on shard `shard` (a foreign server of the same name). A distributor too large for one
-- shard is split by serial range; ranges of one distributor never overlap.
create table if not exists xs.shard_directory (
    shard text not null,
    aneel_code text not null,
    serial_from text not null,
    serial_to text not null,
    check (serial_from <= serial_to),
    primary key (aneel_code, serial_from)
);

create or replace function xs.shard_of(p_aneel_code text, p_serial text) returns text
language sql stable set search_path = xs, pg_catalog as $$
    select shard from xs.shard_directory
    where aneel_code = p_aneel_code and p_serial between serial_from and serial_to
$$;

-- xs.uc_day: every shard's xs.uc_day_v, partitioned by shard (list); a query naming one
-- distributor's shard prunes the others, a cross-distributor report scans them all at once
-- (postgres_fdw async_capable: the shards work in parallel).
create table if not exists xs.uc_day (
    shard text not null,
    aneel_code text not null,
    uc_code text not null,
    meter_serial text not null,
    day date not null,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    n_present int,
    n_expected int
) partition by list (shard);
