-- Poller rules: which intervals of a meter are still wanted from it, and its recent outages.
-- Interval starts are UTC timestamptz on the meter's grid (multiples of interval_minutes since
-- the Unix epoch, the grid the ingest accepts).

-- meter_interval_grid: every interval start of meter p_meter in [p_from, p_to) (p_from rounded
-- up to the grid). Empty for an unknown meter.
create or replace function smf.meter_interval_grid(p_meter int, p_from timestamptz, p_to timestamptz)
returns setof timestamptz
language sql stable set search_path = smf, pg_catalog as $$
    select g
    from smf.meter m,
         lateral (select make_interval(mins => m.interval_minutes) as step,
                         to_timestamp(ceil(extract(epoch from p_from) / (m.interval_minutes * 60))
                                      * m.interval_minutes * 60) as first) k,
         lateral generate_series(k.first, p_to - interval '1 microsecond', k.step) g
    where m.id = p_meter
$$;

-- meter_missing_intervals: interval starts of meter p_meter in [p_from, p_to) that the meter
-- should still deliver: no stored row, or a row of quality 'missing'. Oldest first.
create or replace function smf.meter_missing_intervals(p_meter int, p_from timestamptz, p_to timestamptz)
returns setof timestamptz
language sql stable set search_path = smf, pg_catalog as $$
    select g.ts
    from smf.meter_interval_grid(p_meter, p_from, p_to) g(ts)
    where not exists (select 1 from smf.intervals(p_meter, p_from, p_to) r
                      where r.ts = g.ts and r.quality <> 'missing')
    order by g.ts
$$;

-- meter_gaps: the missing intervals of meter p_meter in [p_from, p_to) as ranges
-- [gap_start, gap_end) with their number of intervals, oldest first.
create or replace function smf.meter_gaps(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (gap_start timestamptz, gap_end timestamptz, intervals int)
language sql stable set search_path = smf, pg_catalog as $$
    with m as (select make_interval(mins => interval_minutes) as step from smf.meter where id = p_meter),
    missing as (
        select ts, ts - (row_number() over (order by ts))::int * (select step from m) as island
        from smf.meter_missing_intervals(p_meter, p_from, p_to) ts
    )
    select min(ts), max(ts) + (select step from m), count(*)::int
    from missing group by island order by 1
$$;

-- meter_last_interval: start (UTC) of the newest stored interval of meter p_meter that is not of
-- quality 'missing'; null when none.
create or replace function smf.meter_last_interval(p_meter int)
returns timestamptz
language sql stable set search_path = smf, pg_catalog as $$
    select smf.interval_last_ts(array[p_meter])
$$;

-- meter_recent_outages: the last p_n outages of meter p_meter (the meter itself keeps 20),
-- newest first, with their duration in seconds (null while open).
create or replace function smf.meter_recent_outages(p_meter int, p_n int default 20)
returns table (start_at timestamptz, end_at timestamptz, duration_s numeric)
language sql stable set search_path = smf, pg_catalog as $$
    select start_at, end_at, extract(epoch from end_at - start_at)
    from smf.meter_outage where meter_id = p_meter order by start_at desc limit p_n
$$;

-- meter_poll_health: per meter, the last attempt, the last successful one and the number of
-- failed attempts since (consecutive failures), for operators and the on-demand summary.
create or replace function smf.meter_poll_health(p_meter int)
returns table (last_attempt_at timestamptz, last_outcome text, last_ok_at timestamptz,
               failures_since_ok bigint)
language sql stable set search_path = smf, pg_catalog as $$
    with last_ok as (select max(started_at) as at from smf.poll_attempt
                     where meter_id = p_meter and outcome = 'ok')
    select a.started_at, a.outcome, (select at from last_ok),
           (select count(*) from smf.poll_attempt f where f.meter_id = p_meter
              and f.outcome <> 'ok' and f.started_at > coalesce((select at from last_ok), '-infinity'))
    from smf.poll_attempt a where a.meter_id = p_meter order by a.started_at desc limit 1
$$;

-- meter_lease_acquire: take (or renew) the session lease of a meter for p_seconds; true when
-- p_holder now holds it, false when another holder's lease has not expired.
create or replace function smf.meter_lease_acquire(p_meter int, p_holder text, p_seconds int)
returns boolean
language sql volatile set search_path = smf, pg_catalog as $$
    insert into smf.meter_session_lease as l (meter_id, holder, expires_at)
    values (p_meter, p_holder, clock_timestamp() + make_interval(secs => p_seconds))
    on conflict (meter_id) do update
        set holder = excluded.holder, expires_at = excluded.expires_at
        where l.holder = excluded.holder or l.expires_at < clock_timestamp()
    returning true
$$;

-- meter_lease_release: drop p_holder's lease of a meter (no-op when it holds none).
create or replace function smf.meter_lease_release(p_meter int, p_holder text) returns void
language sql volatile set search_path = smf, pg_catalog as $$
    delete from smf.meter_session_lease where meter_id = p_meter and holder = p_holder
$$;
