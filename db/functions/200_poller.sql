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
    with taken as (
        insert into smf.meter_session_lease as l (meter_id, holder, expires_at)
        values (p_meter, p_holder, clock_timestamp() + make_interval(secs => p_seconds))
        on conflict (meter_id) do update
            set holder = excluded.holder, expires_at = excluded.expires_at
            where l.holder = excluded.holder or l.expires_at < clock_timestamp()
        returning 1)
    select exists (select 1 from taken)
$$;

-- meter_lease_release: drop p_holder's lease of a meter (no-op when it holds none).
create or replace function smf.meter_lease_release(p_meter int, p_holder text) returns void
language sql volatile set search_path = smf, pg_catalog as $$
    delete from smf.meter_session_lease where meter_id = p_meter and holder = p_holder
$$;

-- clock_policy_of: the clock-correction policy of meter p_meter: its own row of
-- smf.meter_clock_policy where set, else the defaults of smf.setting (clock_auto_correct,
-- clock_correct_min_s, clock_correct_max_s, clock_boundary_guard_s). Units: seconds.
create or replace function smf.clock_policy_of(p_meter int)
returns table (auto_correct boolean, correct_min_s int, correct_max_s int, boundary_guard_s int)
language sql stable set search_path = smf, pg_catalog as $$
    select coalesce(p.auto_correct,
                    coalesce((select value from smf.setting where key = 'clock_auto_correct'), 'on') = 'on'),
           coalesce(p.correct_min_s,
                    (select value::int from smf.setting where key = 'clock_correct_min_s'), 60),
           coalesce(p.correct_max_s,
                    (select value::int from smf.setting where key = 'clock_correct_max_s'), 3600),
           coalesce(p.boundary_guard_s,
                    (select value::int from smf.setting where key = 'clock_boundary_guard_s'), 10)
    from (select 1) one left join smf.meter_clock_policy p on p.meter_id = p_meter
$$;

-- clock_corrected_in_interval: true when meter p_meter's clock was already corrected
-- automatically while the meter was in its interval starting p_interval_start (UTC, the
-- meter's own grid): the policy corrects at most once per interval.
create or replace function smf.clock_corrected_in_interval(p_meter int, p_interval_start timestamptz)
returns boolean
language sql stable set search_path = smf, pg_catalog as $$
    select exists (select 1 from smf.clock_correction c
                   where c.meter_id = p_meter and c.meter_interval_start = p_interval_start
                     and c.kind = 'auto' and c.outcome in ('corrected', 'partial'))
$$;

-- meter_config_report: every registered meter's configuration (registry row, DLMS settings
-- without secrets, clock policy in s), for operators (smf meter report config, the API).
create or replace function smf.meter_config_report()
returns table (serial text, protocol text, transport text, interval_minutes smallint,
               utc_offset_minutes smallint, poll_schedule text, enabled boolean, model text,
               channel_map text[], mm_layout text, register_unit text, dlms_client_sap smallint,
               dlms_server_logical smallint, dlms_server_physical smallint, dlms_auth text,
               dlms_profile_obis text, dlms_profile_kind text, dlms_energy_unit text,
               clock_auto_correct boolean, clock_correct_min_s int, clock_correct_max_s int)
language sql stable set search_path = smf, pg_catalog as $$
    select m.serial, m.protocol, m.transport, m.interval_minutes, m.utc_offset_minutes,
           m.poll_schedule, m.enabled, m.model, m.channel_map, m.mm_layout, m.register_unit,
           d.client_sap, d.server_logical, d.server_physical, d.auth, d.profile_obis,
           d.profile_kind, d.energy_unit, p.auto_correct, p.correct_min_s, p.correct_max_s
    from smf.meter m
    left join smf.dlms_meter d on d.meter_id = m.id
    cross join lateral smf.clock_policy_of(m.id) p
    order by m.serial
$$;

-- meter_clock_report: per meter, the last measured clock drift (s, meter minus poller), when,
-- the drift left after that session, automatic corrections and deferrals in the last p_days
-- days, and the last correction with the meter's time before and after (UTC).
create or replace function smf.meter_clock_report(p_days int default 30)
returns table (serial text, protocol text, last_drift_at timestamptz, last_drift_s numeric,
               drift_after_s numeric, corrections bigint, deferred bigint, refused bigint,
               last_correction_at timestamptz, last_correction_kind text,
               last_meter_before timestamptz, last_meter_after timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    select m.serial, m.protocol, a.started_at, a.clock_drift_s, a.clock_drift_after_s,
           (select count(*) from smf.clock_correction c where c.meter_id = m.id
              and c.outcome in ('corrected', 'partial') and c.at > now() - make_interval(days => p_days)),
           (select count(*) from smf.clock_correction c where c.meter_id = m.id
              and c.outcome = 'deferred' and c.at > now() - make_interval(days => p_days)),
           (select count(*) from smf.clock_correction c where c.meter_id = m.id
              and c.outcome = 'refused' and c.at > now() - make_interval(days => p_days)),
           l.at, l.kind, l.meter_before, l.meter_after
    from smf.meter m
    left join lateral (select started_at, clock_drift_s, clock_drift_after_s from smf.poll_attempt
                       where meter_id = m.id and clock_drift_s is not null
                       order by started_at desc limit 1) a on true
    left join lateral (select at, kind, meter_before, meter_after from smf.clock_correction
                       where meter_id = m.id and outcome in ('corrected', 'partial')
                       order by at desc limit 1) l on true
    where m.protocol <> 'import_only'
    order by m.serial
$$;

-- meter_connectivity_report: per meter over [p_from, p_to): sessions, successful ones, share
-- ok (%), bytes in/out, mean session duration (ms), the last attempt and its outcome, and the
-- most frequent failure outcome.
create or replace function smf.meter_connectivity_report(p_from timestamptz, p_to timestamptz)
returns table (serial text, protocol text, sessions bigint, ok bigint, ok_pct numeric,
               bytes_in bigint, bytes_out bigint, mean_duration_ms numeric,
               last_attempt_at timestamptz, last_outcome text, top_failure text)
language sql stable set search_path = smf, pg_catalog as $$
    select m.serial, m.protocol, count(a.started_at), count(a.started_at) filter (where a.outcome = 'ok'),
           round(100.0 * count(a.started_at) filter (where a.outcome = 'ok')
                 / nullif(count(a.started_at), 0), 1),
           coalesce(sum(a.bytes_in), 0)::bigint, coalesce(sum(a.bytes_out), 0)::bigint,
           round(avg(a.duration_ms), 0),
           max(a.started_at),
           (select x.outcome from smf.poll_attempt x where x.meter_id = m.id
              and x.started_at >= p_from and x.started_at < p_to order by x.started_at desc limit 1),
           (select x.outcome from smf.poll_attempt x where x.meter_id = m.id and x.outcome <> 'ok'
              and x.started_at >= p_from and x.started_at < p_to
            group by x.outcome order by count(*) desc, x.outcome limit 1)
    from smf.meter m
    left join smf.poll_attempt a on a.meter_id = m.id and a.started_at >= p_from and a.started_at < p_to
    where m.protocol <> 'import_only'
    group by m.id, m.serial, m.protocol
    order by m.serial
$$;
