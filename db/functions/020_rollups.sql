-- Rollups per meter: 15-minute (from raw intervals), hourly (from 15-minute), local daily (from
-- hourly) and local monthly (from daily). Every level is recomputed for whole buckets from the
-- level below, so with integer energies each row is exactly the sum of its intervals. The hourly
-- level also keeps the smallest |Wh| / |varh| of its quarter hours (active, inductive and
-- capacitive forward), which the billing's hour pieces need (125_cycle.sql).

-- energy_columns: stored energy columns of interval_reading (Wh, varh).
create or replace function smf.energy_columns() returns text[]
language sql immutable parallel safe set search_path = pg_catalog as $$
    select array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh', 'reactive_ind_rev_varh',
                 'reactive_cap_fwd_varh', 'reactive_cap_rev_varh']
$$;

-- analog_columns: stored voltage (mV) and current (mA) columns of interval_reading.
create or replace function smf.analog_columns() returns text[]
language sql immutable parallel safe set search_path = pg_catalog as $$
    select array['voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma', 'current_b_ma', 'current_c_ma']
$$;

-- rollup_select_list: the aggregate select list of one rollup level, from raw rows (p_from_raw)
-- or from the rollup level below; column order matches the rollup tables.
create or replace function smf.rollup_select_list(p_from_raw boolean) returns text
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select concat_ws(', ',
        (select string_agg(format('sum(x.%I)', c), ', ') from unnest(smf.energy_columns()) c),
        case when p_from_raw then
            'count(*) filter (where x.quality = ''measured''), count(*) filter (where x.quality = ''adjusted''), '
            'count(*) filter (where x.quality = ''estimated''), count(*) filter (where x.quality = ''missing'')'
        else 'sum(x.n_measured), sum(x.n_adjusted), sum(x.n_estimated), sum(x.n_missing)' end,
        '%s',  -- n_expected, filled in by the caller
        (select string_agg(
            case when p_from_raw then format('min(x.%1$I), max(x.%1$I), sum(x.%1$I), count(x.%1$I)', c)
            else format('min(x.%1$I), max(x.%2$I), sum(x.%3$I), sum(x.%4$I)', c || '_min', c || '_max',
                        c || '_sum', c || '_n') end, ', ')
         from unnest(smf.analog_columns()) c),
        case when p_from_raw then
            -- 15-minute demand: energy of the quarter hour (Wh) x 4 / 1000 = kW
            'round(sum(x.active_fwd_wh) * 4 / 1000.0, 3), min(time_bucket(''15 minutes'', x.ts))'
        -- the time of the highest demand, the earliest on ties (TimescaleDB last(value, key))
        else 'max(x.max_demand_kw), last(x.max_demand_at, x.max_demand_kw * 100000000000 '
             '- extract(epoch from x.max_demand_at))' end)
$$;

-- rollup_refresh: recompute the 15-min, hourly, daily and monthly rollups of the given meters over
-- the UTC instants [p_lo[i], p_hi[i]] (widened to whole buckets at every level).
create or replace function smf.rollup_refresh(p_meter int[], p_lo timestamptz[], p_hi timestamptz[])
returns void
language plpgsql volatile set search_path = smf, public, pg_temp
set jit = off  -- short set-based statements over a temp scope table: JIT costs more than it saves
set work_mem = '256MB'  -- a month of a fleet sorts/aggregates in memory instead of spilling
as $$
declare
    v_tz text := smf.local_timezone();
    v_raw text := smf.rollup_select_list(true);
    v_derived text := smf.rollup_select_list(false);
    v_min timestamptz;
    v_max timestamptz;
begin
    if cardinality(p_meter) is distinct from cardinality(p_lo)
       or cardinality(p_meter) is distinct from cardinality(p_hi) then
        raise exception using errcode = 'SMF02', message = 'rollup_refresh: arrays differ in length';
    end if;
    -- Rollups are computed from hot rows: a sealed period in the range (rows written beside it
    -- without the ingest) goes back to rows first (025_storage.sql; a cheap probe otherwise).
    perform smf.storage_unseal(p_meter, p_lo, p_hi);
    drop table if exists pg_temp.rollup_scope;
    create temp table rollup_scope on commit drop as
    select u.meter_id, m.interval_minutes,
           time_bucket('15 minutes', min(u.lo)) as lo15,
           time_bucket('15 minutes', max(u.hi)) + interval '15 minutes' as hi15,
           time_bucket('1 hour', min(u.lo)) as lo_h,
           time_bucket('1 hour', max(u.hi)) + interval '1 hour' as hi_h,
           (min(u.lo) at time zone v_tz)::date as lo_d,
           (max(u.hi) at time zone v_tz)::date as hi_d,
           date_trunc('month', min(u.lo) at time zone v_tz)::date as lo_m,
           date_trunc('month', max(u.hi) at time zone v_tz)::date as hi_m
    from unnest(p_meter, p_lo, p_hi) as u(meter_id, lo, hi)
    join smf.meter m on m.id = u.meter_id
    group by u.meter_id, m.interval_minutes;
    analyze rollup_scope;  -- lets the planner choose index probes for a few meters, scans for many
    -- Two transactions refreshing one meter would each delete only what it can see and insert
    -- the same buckets twice: serialise refreshes per meter (256 lock stripes, taken in order,
    -- so bulk imports cannot deadlock). The statements below then see the other's commit.
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from rollup_scope order by 1) s;
    select min(lo15), max(hi15) into v_min, v_max from rollup_scope;
    if v_min is null then
        return;
    end if;
    -- The literal outer bounds let TimescaleDB exclude chunks when planning.

    raise debug 'rollup_refresh 15min at %', clock_timestamp();
    delete from smf.rollup_15min r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo15 and r.bucket < s.hi15;
    execute format($q$
        insert into smf.rollup_15min
        select x.meter_id, time_bucket('15 minutes', x.ts), %s
        from smf.interval_reading x
        join rollup_scope s on s.meter_id = x.meter_id and x.ts >= s.lo15 and x.ts < s.hi15
        where x.ts >= %L and x.ts < %L
        group by x.meter_id, time_bucket('15 minutes', x.ts), s.interval_minutes$q$,
        format(v_raw, '15 / s.interval_minutes'), v_min, v_max);

    raise debug 'rollup_refresh hour at %', clock_timestamp();
    delete from smf.rollup_hour r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo_h and r.bucket < s.hi_h;
    execute format($q$
        insert into smf.rollup_hour
        select x.meter_id, time_bucket('1 hour', x.bucket), %s,
               min(abs(x.active_fwd_wh)), min(abs(x.reactive_ind_fwd_varh)),
               min(abs(x.reactive_cap_fwd_varh))
        from smf.rollup_15min x
        join rollup_scope s on s.meter_id = x.meter_id and x.bucket >= s.lo_h and x.bucket < s.hi_h
        where x.bucket >= %L and x.bucket < %L
        group by x.meter_id, time_bucket('1 hour', x.bucket), s.interval_minutes$q$,
        format(v_derived, '60 / s.interval_minutes'),
        time_bucket('1 hour', v_min), time_bucket('1 hour', v_max) + interval '1 hour');

    raise debug 'rollup_refresh day at %', clock_timestamp();
    delete from smf.rollup_day r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_d and s.hi_d;
    execute format($q$
        insert into smf.rollup_day
        select x.meter_id, (x.bucket at time zone %1$L)::date as day, %2$s
        from %3$s x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= (s.lo_d::timestamp at time zone %1$L)
            and x.bucket < ((s.hi_d + 1)::timestamp at time zone %1$L)
        group by x.meter_id, day, s.interval_minutes$q$,
        v_tz,
        format(v_derived, format(
            'min(extract(epoch from (((x.bucket at time zone %1$L)::date + 1)::timestamp at time zone %1$L)'
            ' - (((x.bucket at time zone %1$L)::date)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)),
        -- a local day may reach into a sealed period (hours derived from it, 025_storage.sql)
        case when smf.storage_sealed_spans_exist(v_min - interval '1 day', v_max + interval '1 day')
        then format('smf.rollups_hour((select array_agg(meter_id) from rollup_scope), %L, %L)',
                    v_min - interval '1 day', v_max + interval '1 day')
        else 'smf.rollup_hour' end);

    raise debug 'rollup_refresh month at %', clock_timestamp();
    delete from smf.rollup_month r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_m and s.hi_m;
    execute format($q$
        insert into smf.rollup_month
        select x.meter_id, date_trunc('month', x.bucket)::date as month, %s
        from smf.rollup_day x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= s.lo_m and x.bucket < (s.hi_m + interval '1 month')::date
        group by x.meter_id, month, s.interval_minutes$q$,
        format(v_derived, format(
            'min(extract(epoch from ((date_trunc(''month'', x.bucket) + interval ''1 month'')::timestamp at time zone %1$L)'
            ' - (date_trunc(''month'', x.bucket)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)));
    -- the UC-months whose figures these rows feed are stale until refreshed (180_uc_figures.sql)
    perform smf.uc_figures_mark_stale_scope();
    raise debug 'rollup_refresh done at %', clock_timestamp();
end
$$;

-- rollup_refresh_meter: recompute every rollup of one meter over the UTC range [p_lo, p_hi]; a
-- session in the test suite's sealed mode (smf.seal_all = on) then seals the range.
create or replace function smf.rollup_refresh_meter(p_meter int, p_lo timestamptz, p_hi timestamptz)
returns void
language plpgsql volatile set search_path = smf, public as $$
begin
    perform smf.rollup_refresh(array[p_meter], array[p_lo], array[p_hi]);
    if smf.storage_seal_all_requested() then
        perform smf.storage_seal_spans(array[p_meter], array[p_lo], array[p_hi]);
    end if;
end
$$;
