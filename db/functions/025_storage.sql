-- Storage tiers: hot rows (smf.interval_reading) and sealed meter-periods (smf.interval_sealed,
-- revision 0014), and the ONE read path over both.
--
-- Encoding of a sealed row (chosen by measurement, bench/scale.py): channel k (1..12 the stored
-- quantities in table order, 13 the batch id) has a width (0 = NULL in every slot, 1, 2 or 4
-- bytes), a base (bigint) and `slots` offsets at pos[k] of the array of its width (v1 "char"[],
-- v2 smallint[], v4 integer[]); value = base + offset, NULL stays NULL. Width 1 stores
-- value - min - 128, width 2 value - min - 32768 (so the full signed range is used), width 4 the
-- value itself (base 0). qs holds one code per slot: 0 = no row, else
-- 1 + 16 * (quality index - 1) + (source index - 1), indexes into the fixed lists
-- quality: measured, adjusted, estimated, missing; source: meter, backup_meter, estimate, import,
-- manual (CASE over literals, not enum_range: the codes stay fixed if an enum value is added, and
-- a value missing from the lists stops the seal).
--
-- The read functions (intervals, intervals_sealed, rollups_*) have no SET clause, unlike every
-- other function of the project: PostgreSQL inlines a SQL set-returning function only without
-- one, and inlined they stream into the caller's plan (measured in bench/scale.py: the
-- meter-month read from sealed periods is otherwise slower than from rows). They name every
-- object with its schema (smf., public. for TimescaleDB, pg_catalog built-ins).
--
-- Every reader of intervals or of the 15-minute / hourly rollups goes through smf.intervals(),
-- smf.rollups_15min(), smf.rollups_hour() (ranges pushed down) or the views
-- smf.interval_reading_all, smf.rollup_15min_all, smf.rollup_hour_all (whole tiers; filter by
-- meter_id). Writers never write a sealed period: the ingest unseals the meter-periods it touches
-- (smf.storage_unseal) inside its own transaction, and the seal job seals them again later.

-- storage_setting_int: an integer storage setting of smf.setting, or p_default.
create or replace function smf.storage_setting_int(p_key text, p_default int) returns int
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select coalesce((select value::int from smf.setting where key = p_key), p_default)
$$;

-- sealed_floor: the earliest period start (UTC) a sealed period overlapping [p_from, ...) can have
-- (periods are at most 28 days long). A function, not `p_from - interval '28 days'` inline:
-- TimescaleDB's chunk exclusion fails on that expression with p_from = '-infinity'.
create or replace function smf.sealed_floor(p_from timestamptz) returns timestamptz
language sql immutable parallel safe set search_path = pg_catalog as $$
    select case when isfinite(p_from) then p_from - interval '28 days' else p_from end
$$;

-- sealed_channel: the offsets of one channel of a sealed row as integer[] (base not added).
-- No SET clause on purpose: the planner inlines it into smf.intervals (it names only built-in
-- operators and casts).
create or replace function smf.sealed_channel(p_width smallint, p_pos int, p_slots int,
                                              p_v1 "char"[], p_v2 smallint[], p_v4 int[])
returns int[]
language sql immutable parallel safe as $$
    select case p_width
        when 1 then p_v1[p_pos:p_pos + p_slots - 1]::int[]
        when 2 then p_v2[p_pos:p_pos + p_slots - 1]::int[]
        when 4 then p_v4[p_pos:p_pos + p_slots - 1]
    end
$$;

-- sealed_slot: the 1-based slot of a sealed period (start p_start, p_slots slots of p_minutes) of
-- the first interval starting at or after p_at; 1 before the period, p_slots + 1 after it.
-- No SET clause: inlined into smf.intervals_sealed.
create or replace function smf.sealed_slot(p_at timestamptz, p_start timestamptz, p_minutes smallint,
                                           p_slots int)
returns int
language sql immutable parallel safe as $$
    select case when p_at <= p_start then 1
                when p_at > p_start + make_interval(mins => p_minutes * (p_slots - 1)) then p_slots + 1
                else ceil(extract(epoch from p_at - p_start) / (60 * p_minutes))::int + 1 end
$$;

-- intervals_sealed: the intervals (rows shaped like smf.interval_reading: Wh, varh, mV, mA, UTC
-- starts) stored in sealed periods of the given meters with p_from <= ts < p_to. Only the slots
-- of the range are decoded (each channel's offsets are sliced to them).
create or replace function smf.intervals_sealed(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.interval_reading
language sql stable parallel safe as $$
    select meter_id, ts, (b1 + c1)::int, (b2 + c2)::int, (b3 + c3)::int,
        (b4 + c4)::int, (b5 + c5)::int, (b6 + c6)::int, (b7 + c7)::int,
        (b8 + c8)::int, (b9 + c9)::int, (b10 + c10)::int, (b11 + c11)::int,
        (b12 + c12)::int,
        -- (CASE over constants: an enum array literal would be rebuilt for every row)
        case (q::int - 1) / 16 when 0 then 'measured'::smf.quality when 1 then 'adjusted'::smf.quality
            when 2 then 'estimated'::smf.quality when 3 then 'missing'::smf.quality end,
        case (q::int - 1) % 16 when 0 then 'meter'::smf.reading_source
            when 1 then 'backup_meter'::smf.reading_source when 2 then 'estimate'::smf.reading_source
            when 3 then 'import'::smf.reading_source when 4 then 'manual'::smf.reading_source end,
        (b13 + c13)::int
    from (
        -- set-returning functions in the select list run in lockstep (one row per slot) without
        -- materialising: faster than unnest(...) in FROM (measured)
        -- (the bases are scalars of the row below: evaluated once per period, not per slot)
        select p.meter_id, p.b1, p.b2, p.b3, p.b4, p.b5, p.b6, p.b7, p.b8, p.b9, p.b10, p.b11,
            p.b12, p.b13,
            generate_series(p.period_start + make_interval(mins => p.interval_minutes * (p.a - 1)),
                            p.period_start + make_interval(mins => p.interval_minutes * (p.z - 1)),
                            make_interval(mins => p.interval_minutes)) as ts,
            unnest(smf.sealed_channel(p.width[1], p.pos[1] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c1,
            unnest(smf.sealed_channel(p.width[2], p.pos[2] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c2,
            unnest(smf.sealed_channel(p.width[3], p.pos[3] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c3,
            unnest(smf.sealed_channel(p.width[4], p.pos[4] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c4,
            unnest(smf.sealed_channel(p.width[5], p.pos[5] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c5,
            unnest(smf.sealed_channel(p.width[6], p.pos[6] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c6,
            unnest(smf.sealed_channel(p.width[7], p.pos[7] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c7,
            unnest(smf.sealed_channel(p.width[8], p.pos[8] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c8,
            unnest(smf.sealed_channel(p.width[9], p.pos[9] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c9,
            unnest(smf.sealed_channel(p.width[10], p.pos[10] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c10,
            unnest(smf.sealed_channel(p.width[11], p.pos[11] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c11,
            unnest(smf.sealed_channel(p.width[12], p.pos[12] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c12,
            unnest(smf.sealed_channel(p.width[13], p.pos[13] + p.a - 1, p.n, p.v1, p.v2, p.v4)) as c13,
            unnest(p.qs[p.a:p.z]) as q
        from (
            -- v1[:] etc.: each array detoasted and decompressed once per period here (the
            -- OFFSET 0 keeps this level), not once per channel slice above
            select s.meter_id, s.period_start, s.interval_minutes, s.width, s.pos, s.qs,
                s.v1[:] as v1, s.v2[:] as v2, s.v4[:] as v4,
                r.a, r.z, r.z - r.a + 1 as n, s.base[1] as b1, s.base[2] as b2,
                s.base[3] as b3, s.base[4] as b4, s.base[5] as b5, s.base[6] as b6,
                s.base[7] as b7, s.base[8] as b8, s.base[9] as b9, s.base[10] as b10,
                s.base[11] as b11, s.base[12] as b12, s.base[13] as b13
            from smf.interval_sealed s
            cross join lateral (
                select smf.sealed_slot(p_from, s.period_start, s.interval_minutes, s.slots) as a,
                       smf.sealed_slot(p_to, s.period_start, s.interval_minutes, s.slots) - 1 as z
            ) r
            where s.meter_id = any (p_meters)
              -- periods are at most 28 days long: the bound lets the primary key and chunk
              -- exclusion work
              and s.period_start > smf.sealed_floor(p_from) and s.period_start < p_to
              and s.period_end > p_from
            offset 0
        ) p
        where p.z >= p.a
    ) x
    where q::int <> 0
$$;

-- intervals: THE read path of interval data. Rows shaped like smf.interval_reading (integer Wh,
-- varh, mV, mA; UTC interval starts ts; quality, source, batch_id) of the given meters with
-- p_from <= ts < p_to, from hot rows and sealed periods alike (each interval lives in exactly one
-- tier). Row-level security of both tables applies to the caller. No order is promised.
create or replace function smf.intervals(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.interval_reading
language sql stable parallel safe as $$
    select r.* from smf.interval_reading r
    where r.meter_id = any (p_meters) and r.ts >= p_from and r.ts < p_to
    union all
    select * from smf.intervals_sealed(p_meters, p_from, p_to)
$$;

-- intervals: one meter (convenience overload).
create or replace function smf.intervals(p_meter int, p_from timestamptz, p_to timestamptz)
returns setof smf.interval_reading
language sql stable parallel safe as $$
    select * from smf.intervals(array[p_meter], p_from, p_to)
$$;

-- interval_last_ts: the start (UTC) of the latest interval of the given meters before p_before,
-- in any tier, among rows whose quality is in p_qualities (NULL: any quality; the default skips
-- 'missing'); NULL when there is none. Sealed periods newer than the newest hot row are searched
-- newest first, so the cost is one index probe plus the periods it must open.
create or replace function smf.interval_last_ts(p_meters int[], p_before timestamptz default 'infinity',
    p_qualities smf.quality[] default array['measured', 'adjusted', 'estimated']::smf.quality[])
returns timestamptz
language plpgsql stable parallel safe set search_path = smf, pg_catalog as $$
declare
    v_hot timestamptz;
    v_found timestamptz;
    p record;
begin
    -- per meter, newest first on the (meter_id, ts) key: max(ts) over "meter_id = any (...)"
    -- walked the ts index of the newest chunk through other meters' rows (30 ms a page)
    select max(l.ts) into v_hot
    from unnest(p_meters) u(meter_id)
    cross join lateral (
        select r.ts from smf.interval_reading r
        where r.meter_id = u.meter_id and r.ts < p_before
          and (p_qualities is null or r.quality = any (p_qualities))
        order by r.ts desc limit 1) l;
    for p in select s.meter_id, s.period_start, s.period_end from smf.interval_sealed s
             where s.meter_id = any (p_meters) and s.period_start < p_before
               and s.period_end > coalesce(v_hot, '-infinity')
             order by s.period_start desc loop
        exit when v_found is not null and p.period_end <= v_found;
        select greatest(v_found, max(x.ts)) into v_found
        from smf.intervals_sealed(array[p.meter_id], p.period_start, least(p.period_end, p_before)) x
        where p_qualities is null or x.quality = any (p_qualities);
    end loop;
    return greatest(v_hot, v_found);
end
$$;

-- interval_span: the first and the last interval start (UTC) stored for a meter in any tier and
-- of any quality; NULLs when nothing is stored.
create or replace function smf.interval_span(p_meter int, out first_ts timestamptz, out last_ts timestamptz)
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select least((select min(r.ts) from smf.interval_reading r where r.meter_id = p_meter),
                 (select min(x.ts) from (select s.period_start, s.period_end from smf.interval_sealed s
                                         where s.meter_id = p_meter order by s.period_start limit 1) p
                  cross join lateral smf.intervals_sealed(array[p_meter], p.period_start, p.period_end) x)),
           smf.interval_last_ts(array[p_meter], 'infinity', null)
$$;

-- rollups_15min_sealed: 15-minute rollup rows (shape of smf.rollup_15min: sums in Wh/varh,
-- counts by quality, min/max/sum/n of mV and mA, demand kW) derived from the sealed periods of the
-- given meters, buckets with p_from <= bucket < p_to (the stored rows of sealed periods are gone).
create or replace function smf.rollups_15min_sealed(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.rollup_15min
language sql stable parallel safe as $$
    select x.meter_id, public.time_bucket('15 minutes', x.ts) as bucket,
        sum(x.active_fwd_wh), sum(x.active_rev_wh), sum(x.reactive_ind_fwd_varh),
        sum(x.reactive_ind_rev_varh), sum(x.reactive_cap_fwd_varh), sum(x.reactive_cap_rev_varh),
        (count(*) filter (where x.quality = 'measured'))::int,
        (count(*) filter (where x.quality = 'adjusted'))::int,
        (count(*) filter (where x.quality = 'estimated'))::int,
        (count(*) filter (where x.quality = 'missing'))::int,
        15 / min(m.interval_minutes),
        min(x.voltage_a_mv), max(x.voltage_a_mv), sum(x.voltage_a_mv), count(x.voltage_a_mv)::int,
        min(x.voltage_b_mv), max(x.voltage_b_mv), sum(x.voltage_b_mv), count(x.voltage_b_mv)::int,
        min(x.voltage_c_mv), max(x.voltage_c_mv), sum(x.voltage_c_mv), count(x.voltage_c_mv)::int,
        min(x.current_a_ma), max(x.current_a_ma), sum(x.current_a_ma), count(x.current_a_ma)::int,
        min(x.current_b_ma), max(x.current_b_ma), sum(x.current_b_ma), count(x.current_b_ma)::int,
        min(x.current_c_ma), max(x.current_c_ma), sum(x.current_c_ma), count(x.current_c_ma)::int,
        -- 15-minute demand: energy of the quarter hour (Wh) x 4 / 1000 = kW
        round(sum(x.active_fwd_wh) * 4 / 1000.0, 3)::numeric(14, 3),
        min(public.time_bucket('15 minutes', x.ts))
    from smf.intervals_sealed(p_meters, public.time_bucket('15 minutes', p_from),
                              public.time_bucket('15 minutes', p_to - interval '1 microsecond')
                              + interval '15 minutes') x
    join smf.meter m on m.id = x.meter_id
    group by x.meter_id, public.time_bucket('15 minutes', x.ts)
    having public.time_bucket('15 minutes', x.ts) >= p_from and public.time_bucket('15 minutes', x.ts) < p_to
$$;

-- rollups_15min: 15-minute rollup rows (shape of smf.rollup_15min) of the given meters with
-- p_from <= bucket < p_to: stored rows for hot data, derived for sealed periods.
create or replace function smf.rollups_15min(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.rollup_15min
language sql stable parallel safe as $$
    select r.* from smf.rollup_15min r
    where r.meter_id = any (p_meters) and r.bucket >= p_from and r.bucket < p_to
    union all
    select * from smf.rollups_15min_sealed(p_meters, p_from, p_to)
$$;

-- rollups_hour_sealed: hourly rollup rows (shape of smf.rollup_hour) derived from the sealed
-- periods of the given meters, p_from <= bucket < p_to (sealed periods align with hours).
create or replace function smf.rollups_hour_sealed(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.rollup_hour
language sql stable parallel safe as $$
    select x.meter_id, public.time_bucket('1 hour', x.bucket) as bucket,
        sum(x.active_fwd_wh)::bigint, sum(x.active_rev_wh)::bigint,
        sum(x.reactive_ind_fwd_varh)::bigint, sum(x.reactive_ind_rev_varh)::bigint,
        sum(x.reactive_cap_fwd_varh)::bigint, sum(x.reactive_cap_rev_varh)::bigint,
        sum(x.n_measured)::int, sum(x.n_adjusted)::int, sum(x.n_estimated)::int,
        sum(x.n_missing)::int, 60 / min(m.interval_minutes),
        min(x.voltage_a_mv_min), max(x.voltage_a_mv_max), sum(x.voltage_a_mv_sum)::bigint, sum(x.voltage_a_mv_n)::int,
        min(x.voltage_b_mv_min), max(x.voltage_b_mv_max), sum(x.voltage_b_mv_sum)::bigint, sum(x.voltage_b_mv_n)::int,
        min(x.voltage_c_mv_min), max(x.voltage_c_mv_max), sum(x.voltage_c_mv_sum)::bigint, sum(x.voltage_c_mv_n)::int,
        min(x.current_a_ma_min), max(x.current_a_ma_max), sum(x.current_a_ma_sum)::bigint, sum(x.current_a_ma_n)::int,
        min(x.current_b_ma_min), max(x.current_b_ma_max), sum(x.current_b_ma_sum)::bigint, sum(x.current_b_ma_n)::int,
        min(x.current_c_ma_min), max(x.current_c_ma_max), sum(x.current_c_ma_sum)::bigint, sum(x.current_c_ma_n)::int,
        -- the time of the highest demand, the earliest on ties (as rollup_refresh)
        max(x.max_demand_kw),
        public.last(x.max_demand_at, x.max_demand_kw * 100000000000 - extract(epoch from x.max_demand_at)),
        min(abs(x.active_fwd_wh)), min(abs(x.reactive_ind_fwd_varh)), min(abs(x.reactive_cap_fwd_varh))
    from smf.rollups_15min_sealed(p_meters, public.time_bucket('1 hour', p_from),
                                  public.time_bucket('1 hour', p_to - interval '1 microsecond')
                                  + interval '1 hour') x
    join smf.meter m on m.id = x.meter_id
    group by x.meter_id, public.time_bucket('1 hour', x.bucket)
    having public.time_bucket('1 hour', x.bucket) >= p_from and public.time_bucket('1 hour', x.bucket) < p_to
$$;

-- rollups_hour: hourly rollup rows (shape of smf.rollup_hour) of the given meters with
-- p_from <= bucket < p_to: stored rows for hot data, derived for sealed periods.
create or replace function smf.rollups_hour(p_meters int[], p_from timestamptz, p_to timestamptz)
returns setof smf.rollup_hour
language sql stable parallel safe as $$
    select r.* from smf.rollup_hour r
    where r.meter_id = any (p_meters) and r.bucket >= p_from and r.bucket < p_to
    union all
    select * from smf.rollups_hour_sealed(p_meters, p_from, p_to)
$$;

-- storage_sealed_spans_exist: whether any sealed period of any meter may overlap the UTC range
-- [p_lo, p_hi] (a cheap check by period start; chunk exclusion keeps it one index probe).
create or replace function smf.storage_sealed_spans_exist(p_lo timestamptz, p_hi timestamptz)
returns boolean
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select exists (select 1 from smf.interval_sealed s
                   where s.period_start > smf.sealed_floor(p_lo) and s.period_start <= p_hi
                     and s.period_end > p_lo)
$$;

-- storage_unseal: move the sealed periods that overlap the UTC spans [p_lo[i], p_hi[i]] of meter
-- p_meter[i] back into rows of smf.interval_reading (exactly the rows that were sealed; a hot row
-- already stored for the same interval wins), delete their sealed rows and rebuild their 15-minute
-- and hourly rollups. The periods are listed in pg_temp.storage_unsealed (this transaction), and
-- the seal job seals them again once they are older than seal_after_days. No history row is
-- written (nothing changes value). Returns how many meter-periods were unsealed.
create or replace function smf.storage_unseal(p_meter int[], p_lo timestamptz[], p_hi timestamptz[])
returns int
language plpgsql volatile set search_path = smf, public, pg_temp as $$
declare
    v_n int;
    v_m int[];
    v_lo timestamptz[];
    v_hi timestamptz[];
begin
    if cardinality(p_meter) is distinct from cardinality(p_lo)
       or cardinality(p_meter) is distinct from cardinality(p_hi) then
        raise exception using errcode = 'SMF02', message = 'storage_unseal: arrays differ in length';
    end if;
    if coalesce(cardinality(p_meter), 0) = 0
       or not smf.storage_sealed_spans_exist((select min(x) from unnest(p_lo) x),
                                             (select max(x) from unnest(p_hi) x)) then
        return 0;
    end if;
    drop table if exists pg_temp.unseal_set;
    create temp table unseal_set on commit drop as
    select distinct s.meter_id, s.period_start, s.period_end
    from unnest(p_meter, p_lo, p_hi) as u(meter_id, lo, hi)
    join smf.interval_sealed s on s.meter_id = u.meter_id
        and s.period_start > smf.sealed_floor(u.lo) and s.period_start <= u.hi
        and s.period_end > u.lo;
    get diagnostics v_n = row_count;
    if v_n = 0 then
        return 0;
    end if;
    -- the same per-meter lock stripes as the ingest and the rollup refresh, in order
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from unseal_set order by 1) s;
    insert into smf.interval_reading
    select x.* from unseal_set p
    cross join lateral smf.intervals_sealed(array[p.meter_id], p.period_start, p.period_end) x
    on conflict (meter_id, ts) do nothing;
    delete from smf.interval_sealed s using unseal_set p
    where s.meter_id = p.meter_id and s.period_start = p.period_start;
    create temp table if not exists storage_unsealed (meter_id int, period_start timestamptz,
                                                      period_end timestamptz) on commit drop;
    insert into storage_unsealed select * from unseal_set;
    -- (into variables first: the refresh calls this function again, which re-creates unseal_set)
    select array_agg(meter_id), array_agg(period_start),
           array_agg(period_end - interval '1 microsecond')
    into v_m, v_lo, v_hi from unseal_set;
    perform smf.rollup_refresh(v_m, v_lo, v_hi);
    return v_n;
end
$$;

-- storage_seal_periods: seal the meter-periods (p_meter[i], starting p_start[i], each
-- seal_period_days long) in this transaction: their rows of smf.interval_reading become one row
-- of smf.interval_sealed each, and their rows of interval_reading, rollup_15min and rollup_hour
-- are deleted. A meter-period with a row off the meter's interval grid is left hot (off_grid); one
-- without hot rows (sealed meanwhile by a concurrent run) is left alone (empty). A period already
-- sealed with new hot rows beside it (a writer that bypassed the ingest) is unsealed first, the
-- hot rows winning. Returns {"sealed": n, "off_grid": n, "empty": n, "rows": hot rows moved}.
create or replace function smf.storage_seal_periods(p_meter int[], p_start timestamptz[])
returns jsonb
language plpgsql volatile set search_path = smf, public, pg_temp
set default_toast_compression = 'lz4' set jit = off set work_mem = '256MB'
set max_parallel_workers_per_gather = 0 as $$
declare
    v_days int := smf.storage_setting_int('seal_period_days', 7);
    v_min timestamptz;
    v_max timestamptz;
    v_sealed int;
    v_skipped int;
    v_empty int;
    v_rows bigint;
    v_cols constant text[] := array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh',
        'reactive_ind_rev_varh', 'reactive_cap_fwd_varh', 'reactive_cap_rev_varh', 'voltage_a_mv',
        'voltage_b_mv', 'voltage_c_mv', 'current_a_ma', 'current_b_ma', 'current_c_ma', 'batch_id'];
    v_agg text;
    v_cat text;
    v_off text;
begin
    if cardinality(p_meter) is distinct from cardinality(p_start) then
        raise exception using errcode = 'SMF02', message = 'storage_seal_periods: arrays differ in length';
    end if;
    if v_days not between 1 and 28 then
        raise exception using errcode = 'SMF02',
            message = format('setting seal_period_days is %s; it must be 1 to 28', v_days);
    end if;
    drop table if exists pg_temp.seal_batch;
    create temp table seal_batch on commit drop as
    select distinct u.meter_id, u.period_start,
           u.period_start + make_interval(days => v_days) as period_end,
           m.interval_minutes::smallint as step,
           (v_days * 1440 / m.interval_minutes)::int as slots
    from unnest(p_meter, p_start) as u(meter_id, period_start)
    join smf.meter m on m.id = u.meter_id;
    if exists (select 1 from seal_batch
               where period_start <> time_bucket(make_interval(days => v_days), period_start)
                  or 1440 % step <> 0) then
        raise exception using errcode = 'SMF02',
            message = 'storage_seal_periods: a period start is not aligned to seal_period_days';
    end if;
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from seal_batch order by 1) s;
    -- a period sealed before and written beside since: merge it back into rows first
    perform smf.storage_unseal(array_agg(meter_id), array_agg(period_start),
                               array_agg(period_end - interval '1 microsecond'))
    from seal_batch b
    where exists (select 1 from smf.interval_sealed s
                  where s.meter_id = b.meter_id and s.period_start = b.period_start)
      and exists (select 1 from smf.interval_reading r
                  where r.meter_id = b.meter_id and r.ts >= b.period_start and r.ts < b.period_end);
    select min(period_start), max(period_end) into v_min, v_max from seal_batch;
    if v_min is null then
        return jsonb_build_object('sealed', 0, 'off_grid', 0, 'empty', 0, 'rows', 0);
    end if;

    drop table if exists pg_temp.seal_src;
    create temp table seal_src on commit drop as
    select b.meter_id, b.period_start,
        floor(extract(epoch from r.ts - b.period_start) / (60 * b.step))::int + 1 as slot,
        mod(extract(epoch from r.ts - b.period_start), 60 * b.step) <> 0 as off_grid,
        r.active_fwd_wh as c1, r.active_rev_wh as c2, r.reactive_ind_fwd_varh as c3,
        r.reactive_ind_rev_varh as c4, r.reactive_cap_fwd_varh as c5, r.reactive_cap_rev_varh as c6,
        r.voltage_a_mv as c7, r.voltage_b_mv as c8, r.voltage_c_mv as c9,
        r.current_a_ma as c10, r.current_b_ma as c11, r.current_c_ma as c12, r.batch_id as c13,
        1 + 16 * case r.quality when 'measured' then 0 when 'adjusted' then 1 when 'estimated' then 2
                                when 'missing' then 3 end
          + case r.source when 'meter' then 0 when 'backup_meter' then 1 when 'estimate' then 2
                          when 'import' then 3 when 'manual' then 4 end as q
    from seal_batch b
    join smf.interval_reading r on r.meter_id = b.meter_id
        and r.ts >= b.period_start and r.ts < b.period_end
    where r.ts >= v_min and r.ts < v_max;
    -- no hot row (sealed meanwhile by another run): nothing to do; a row off the meter's
    -- interval grid: leave the period hot
    delete from seal_batch b
    where not exists (select 1 from seal_src s
                      where s.meter_id = b.meter_id and s.period_start = b.period_start);
    get diagnostics v_empty = row_count;
    delete from seal_batch b
    where exists (select 1 from seal_src s
                  where s.meter_id = b.meter_id and s.period_start = b.period_start and s.off_grid);
    get diagnostics v_skipped = row_count;
    analyze seal_batch;  -- the planner needs the sizes: hash joins on (meter, period, slot) below
    analyze seal_src;
    if exists (select 1 from seal_src where q is null) then
        raise exception using errcode = 'SMF02',
            message = 'storage_seal_periods: a quality or source value has no seal code (025_storage.sql)';
    end if;

    -- per period and channel: width (0 all NULL, 1, 2, 4 bytes), base and position
    drop table if exists pg_temp.seal_chan;
    execute format($q$
        create temp table seal_chan on commit drop as
        select meter_id, period_start, k, w,
               case w when 1 then lo + 128 when 2 then lo + 32768 else 0 end as base,
               1 + slots * (count(*) over (partition by meter_id, period_start, w order by k) - 1) as pos
        from (select s.meter_id, s.period_start, b.slots, %s
              from seal_src s join seal_batch b using (meter_id, period_start)
              group by s.meter_id, s.period_start, b.slots) st
        cross join lateral unnest(lo_all, hi_all) with ordinality as c(lo, hi, k)
        cross join lateral (select case when c.lo is null then 0 when c.hi - c.lo <= 255 then 1
                                        when c.hi - c.lo <= 65535 then 2 else 4 end as w) ww$q$,
        (select format('array[%s]::bigint[] as lo_all, array[%s]::bigint[] as hi_all',
                       string_agg(format('min(s.c%s)', k), ', '), string_agg(format('max(s.c%s)', k), ', '))
         from generate_series(1, 13) k));

    -- one aggregate per channel over the full slot grid, then the arrays of one width concatenated.
    -- The grid is sorted once in the subquery and the aggregates take their rows in that order
    -- (no ORDER BY per aggregate: 14 sorts per period; no parallel plan: see the SET clause);
    -- the tests hash every value before and after.
    select string_agg(format(
               'case when m.w[%1$s] = 4 then s.c%1$s else (s.c%1$s - m.base[%1$s])::int end as c%1$s', k),
               ', '),
           string_agg(format('array_agg(g.c%1$s) as a%1$s', k), ', '),
           string_agg(format('case when w[%1$s] = 1 then a%1$s::"char"[] end', k), ' || ')
           || ' as v1, ' ||
           string_agg(format('case when w[%1$s] = 2 then a%1$s::smallint[] end', k), ' || ')
           || ' as v2, ' ||
           string_agg(format('case when w[%1$s] = 4 then a%1$s end', k), ' || ') || ' as v4'
    into v_off, v_agg, v_cat
    from generate_series(1, 13) k;
    drop table if exists pg_temp.seal_meta;
    create temp table seal_meta on commit drop as
    select b.meter_id, b.period_start, b.period_end, b.step, b.slots, cm.w, cm.pos, cm.base
    from seal_batch b
    join (select meter_id, period_start, array_agg(w::smallint order by k) as w,
                 array_agg(pos::int order by k) as pos, array_agg(base order by k) as base
          from seal_chan group by 1, 2) cm using (meter_id, period_start);
    analyze seal_meta;
    execute format($q$
        insert into smf.interval_sealed (meter_id, period_start, period_end, interval_minutes, slots,
                                         n_rows, width, pos, base, v1, v2, v4, qs)
        select meter_id, period_start, period_end, step, slots, n_rows, w, pos, base, %s, qs
        from (
            select g.meter_id, g.period_start, min(g.period_end) as period_end, min(g.step) as step,
                   min(g.slots) as slots, count(g.q)::int as n_rows, min(g.w) as w,
                   min(g.pos) as pos, min(g.base) as base,
                   array_agg(coalesce(g.q, 0)::"char") as qs, %s
            from (
                select m.meter_id, m.period_start, m.period_end, m.step, m.slots, m.w, m.pos,
                       m.base, g.slot, s.q, %s
                from seal_meta m
                cross join lateral generate_series(1, m.slots) as g(slot)
                left join seal_src s on s.meter_id = m.meter_id and s.period_start = m.period_start
                    and s.slot = g.slot
                order by m.meter_id, m.period_start, g.slot
            ) g
            group by g.meter_id, g.period_start
        ) a$q$, v_cat, v_agg, v_off);
    get diagnostics v_sealed = row_count;

    delete from smf.interval_reading r using seal_batch b
    where r.meter_id = b.meter_id and r.ts >= b.period_start and r.ts < b.period_end
      and r.ts >= v_min and r.ts < v_max;
    get diagnostics v_rows = row_count;
    delete from smf.rollup_15min r using seal_batch b
    where r.meter_id = b.meter_id and r.bucket >= b.period_start and r.bucket < b.period_end
      and r.bucket >= v_min and r.bucket < v_max;
    delete from smf.rollup_hour r using seal_batch b
    where r.meter_id = b.meter_id and r.bucket >= b.period_start and r.bucket < b.period_end
      and r.bucket >= v_min and r.bucket < v_max;
    return jsonb_build_object('sealed', v_sealed, 'off_grid', v_skipped, 'empty', v_empty,
                              'rows', v_rows);
end
$$;

-- storage_seal_edge: the UTC instant before which whole periods may be sealed: the start of the
-- period that holds now() - seal_after_days (p_now for tests).
create or replace function smf.storage_seal_edge(p_now timestamptz default now())
returns timestamptz
language sql stable parallel safe set search_path = smf, public, pg_catalog as $$
    select time_bucket(make_interval(days => smf.storage_setting_int('seal_period_days', 7)),
                       p_now - make_interval(days => smf.storage_setting_int('seal_after_days', 62)))
$$;

-- storage_seal_candidates: the hot meter-periods wholly before p_edge (default
-- smf.storage_seal_edge()), oldest first: what `smf storage seal` and the storage_seal job seal.
create or replace function smf.storage_seal_candidates(p_edge timestamptz default null)
returns table (meter_id int, period_start timestamptz)
language sql stable set search_path = smf, public, pg_catalog as $$
    with w as materialized (  -- evaluated once, not per row
        select make_interval(days => smf.storage_setting_int('seal_period_days', 7)) as width,
               coalesce(p_edge, smf.storage_seal_edge()) as edge)
    select r.meter_id, time_bucket(w.width, r.ts) as p
    from w, smf.interval_reading r
    where r.ts < w.edge
    group by 1, 2
    order by 2, 1
$$;

-- storage_seal_spans: seal every meter-period that overlaps the UTC spans [p_lo[i], p_hi[i]]
-- of meter p_meter[i], whatever its age, plus the periods unsealed earlier in this transaction.
-- Used when the session sets smf.seal_all = on (the test suite's sealed mode, `pytest --sealed`).
create or replace function smf.storage_seal_spans(p_meter int[], p_lo timestamptz[], p_hi timestamptz[])
returns jsonb
language plpgsql volatile set search_path = smf, public, pg_temp as $$
declare
    v_days int := smf.storage_setting_int('seal_period_days', 7);
    v_m int[];
    v_s timestamptz[];
begin
    create temp table if not exists storage_unsealed (meter_id int, period_start timestamptz,
                                                      period_end timestamptz) on commit drop;
    select array_agg(meter_id), array_agg(p) into v_m, v_s
    from (select distinct u.meter_id, g.p
          from unnest(p_meter, p_lo, p_hi) as u(meter_id, lo, hi)
          cross join lateral generate_series(time_bucket(make_interval(days => v_days), u.lo),
                                             u.hi, make_interval(days => v_days)) as g(p)
          union
          select meter_id, period_start from storage_unsealed) x;
    truncate storage_unsealed;
    if v_m is null then
        return jsonb_build_object('sealed', 0, 'off_grid', 0, 'empty', 0, 'rows', 0);
    end if;
    return smf.storage_seal_periods(v_m, v_s);
end
$$;

-- storage_empty_chunk_candidates: the chunks of the hot hypertables that sealing empties
-- (interval_reading, rollup_15min, rollup_hour) whose time range ends at or before p_edge (UTC),
-- oldest first: the chunks smf.storage_drop_chunk_if_empty may drop. Only hypertables partitioned
-- by time alone: there a time range is one chunk.
create or replace function smf.storage_empty_chunk_candidates(p_edge timestamptz)
returns table (chunk text)
language sql stable set search_path = smf, pg_catalog as $$
    select format('%I.%I', ch.chunk_schema, ch.chunk_name)
    from timescaledb_information.chunks ch
    where ch.hypertable_schema = 'smf'
      and ch.hypertable_name in ('interval_reading', 'rollup_15min', 'rollup_hour')
      and ch.range_end <= p_edge
      and (select count(*) from timescaledb_information.dimensions d
           where d.hypertable_schema = ch.hypertable_schema
             and d.hypertable_name = ch.hypertable_name) = 1
    order by ch.range_end, 1
$$;

-- storage_drop_chunk_if_empty: drop chunk p_chunk (a name from storage_empty_chunk_candidates)
-- when it holds no row; the bytes it took (heap, indexes, TOAST), or NULL when it was kept: it
-- holds a row, or another session is using it (locked ACCESS EXCLUSIVE NOWAIT: it is left for the
-- next run). Deleted rows leave a chunk's pages and indexes on disk (730 MiB after sealing 11 M
-- intervals in bench/scale.py); dropped, they go back to the file system. The chunk is found
-- empty under the lock, and TimescaleDB's drop_chunks then drops exactly its range (anything else
-- it would drop raises, undoing the drop), so a row written meanwhile (a late reading unseals its
-- period back into the hot chunk) is never dropped. Call it in a transaction of its own: the lock
-- holds until the end of it. Security definer: the jobs' role (smf_writer) may not drop tables
-- itself; execute is revoked from PUBLIC.
create or replace function smf.storage_drop_chunk_if_empty(p_chunk text) returns bigint
language plpgsql volatile security definer set search_path = smf, pg_catalog as $$
declare
    c record;
    v_size bigint;
    v_holds_rows boolean;
    v_dropped text[];
begin
    select format('%I.%I', ch.hypertable_schema, ch.hypertable_name) as ht,
           ch.range_start, ch.range_end
    into c
    from timescaledb_information.chunks ch
    where format('%I.%I', ch.chunk_schema, ch.chunk_name) = p_chunk
      and ch.hypertable_schema = 'smf'
      and ch.hypertable_name in ('interval_reading', 'rollup_15min', 'rollup_hour');
    if not found then
        return null;  -- gone already, or not a chunk this may drop
    end if;
    begin
        execute format('lock table %s in access exclusive mode nowait', p_chunk);
    exception when lock_not_available then
        return null;
    end;
    execute format('select exists (select from %s)', p_chunk) into v_holds_rows;
    if v_holds_rows then
        return null;
    end if;
    v_size := pg_total_relation_size(p_chunk::regclass);
    select array_agg(d::text) into v_dropped
    from public.drop_chunks(c.ht::regclass, older_than => c.range_end, newer_than => c.range_start) d;
    if v_dropped is distinct from array[p_chunk] then
        raise exception 'storage_drop_chunk_if_empty: drop_chunks of % [%, %) would drop %, not only %',
            c.ht, c.range_start, c.range_end, v_dropped, p_chunk;
    end if;
    return v_size;
end
$$;
revoke execute on function smf.storage_drop_chunk_if_empty(text) from public;

-- storage_seal_all_requested: whether this session asked for everything to be sealed at once
-- (set smf.seal_all = on: the test suite's sealed mode).
create or replace function smf.storage_seal_all_requested() returns boolean
language sql stable set search_path = pg_catalog as $$
    select coalesce(current_setting('smf.seal_all', true), '') = 'on'
$$;

-- storage_status: one row per storage tier and rollup level: stored rows, intervals they hold,
-- bytes on disk (table + indexes + TOAST, from TimescaleDB's sizes) and bytes per interval.
-- Hot row counts are TimescaleDB's estimates (approximate_row_count); sealed counts are exact.
create or replace function smf.storage_status()
returns table (tier text, stored_rows bigint, intervals bigint, bytes bigint,
               bytes_per_interval numeric, oldest timestamptz, newest timestamptz)
language plpgsql stable set search_path = smf, public, pg_catalog as $$
declare
    v_hot bigint := approximate_row_count('smf.interval_reading');
    v_sealed_rows bigint;
    v_sealed bigint;
    v_all bigint;
begin
    select count(*), coalesce(sum(n_rows), 0) into v_sealed_rows, v_sealed from smf.interval_sealed;
    v_all := greatest(v_hot + v_sealed, 1);
    return query
    select 'hot rows (interval_reading)', v_hot, v_hot, hypertable_size('smf.interval_reading'),
           round(hypertable_size('smf.interval_reading')::numeric / nullif(v_hot, 0), 1),
           (select min(ts) from smf.interval_reading), (select max(ts) from smf.interval_reading)
    union all
    select 'sealed periods (interval_sealed)', v_sealed_rows, v_sealed,
           hypertable_size('smf.interval_sealed'),
           round(hypertable_size('smf.interval_sealed')::numeric / nullif(v_sealed, 0), 1),
           (select min(period_start) from smf.interval_sealed),
           (select max(period_end) from smf.interval_sealed)
    union all
    select format('rollup %s', t), approximate_row_count(format('smf.%I', t)::regclass),
           case when t in ('rollup_15min', 'rollup_hour') then v_hot else v_all end,
           hypertable_size(format('smf.%I', t)::regclass),
           round(hypertable_size(format('smf.%I', t)::regclass)::numeric
                 / (case when t in ('rollup_15min', 'rollup_hour') then greatest(v_hot, 1) else v_all end), 1),
           null::timestamptz, null::timestamptz
    from unnest(array['rollup_15min', 'rollup_hour']) t
    union all
    select format('rollup %s', t), (select count(*) from smf.rollup_day), v_all,
           pg_total_relation_size(format('smf.%I', t)::regclass),
           round(pg_total_relation_size(format('smf.%I', t)::regclass)::numeric / v_all, 2),
           null, null
    from unnest(array['rollup_day']) t
    union all
    select 'rollup rollup_month', (select count(*) from smf.rollup_month), v_all,
           pg_total_relation_size('smf.rollup_month'),
           round(pg_total_relation_size('smf.rollup_month')::numeric / v_all, 2), null, null;
end
$$;

-- Views over whole tiers, for analysts (smf_read.interval_reading, smf_read.rollup_15min and
-- smf_read.rollup_hour are copies of the *_all views, see 510_scope_policies.sql). Filter by
-- meter_id: a filter on ts cannot reach the period index, so a range over many meters is faster
-- with smf.intervals(). Their SQL names tables only (no nested view, no function reading a
-- table): a copy in smf_read, owned by smf_api, then checks the tables as smf_api and applies
-- their row-level security, as every other smf_read view.

-- sealed_rows_sql: the select of every interval stored in sealed periods, in the columns and
-- order of smf.interval_reading (whole periods decoded).
create or replace function smf.sealed_rows_sql() returns text
language sql immutable parallel safe set search_path = pg_catalog as $f$
    select format($q$select x.meter_id, x.ts, %s,
        case (x.q::int - 1) / 16 when 0 then 'measured'::smf.quality when 1 then 'adjusted'::smf.quality
            when 2 then 'estimated'::smf.quality when 3 then 'missing'::smf.quality end as quality,
        case (x.q::int - 1) %% 16 when 0 then 'meter'::smf.reading_source
            when 1 then 'backup_meter'::smf.reading_source when 2 then 'estimate'::smf.reading_source
            when 3 then 'import'::smf.reading_source when 4 then 'manual'::smf.reading_source end as source,
        (x.b13 + x.c13)::int as batch_id
    from (select s.meter_id, %s,
              generate_series(s.period_start, s.period_end - interval '1 microsecond',
                              make_interval(mins => s.interval_minutes)) as ts, %s,
              unnest(s.qs) as q
          from smf.interval_sealed s) x
    where x.q::int <> 0$q$,
        (select string_agg(format('(x.b%s + x.c%s)::int as %I', k, k, c), ', ' order by k)
         from unnest(array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh',
                           'reactive_ind_rev_varh', 'reactive_cap_fwd_varh', 'reactive_cap_rev_varh',
                           'voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma',
                           'current_b_ma', 'current_c_ma']) with ordinality as u(c, k)),
        (select string_agg(format('s.base[%s] as b%s', k, k), ', ') from generate_series(1, 13) k),
        (select string_agg(format(
            'unnest(smf.sealed_channel(s.width[%1$s], s.pos[%1$s], s.slots, s.v1, s.v2, s.v4)) as c%1$s', k),
            ', ') from generate_series(1, 13) k))
$f$;

-- rollup_15min_sealed_sql: the select of the 15-minute rollups (columns of smf.rollup_15min)
-- derived from every sealed period, as rollup_refresh computes them from rows.
create or replace function smf.rollup_15min_sealed_sql() returns text
language sql immutable parallel safe set search_path = pg_catalog as $f$
    select format($q$select x.meter_id, public.time_bucket('15 minutes', x.ts) as bucket,
        sum(x.active_fwd_wh) as active_fwd_wh, sum(x.active_rev_wh) as active_rev_wh,
        sum(x.reactive_ind_fwd_varh) as reactive_ind_fwd_varh,
        sum(x.reactive_ind_rev_varh) as reactive_ind_rev_varh,
        sum(x.reactive_cap_fwd_varh) as reactive_cap_fwd_varh,
        sum(x.reactive_cap_rev_varh) as reactive_cap_rev_varh,
        (count(*) filter (where x.quality = 'measured'))::int as n_measured,
        (count(*) filter (where x.quality = 'adjusted'))::int as n_adjusted,
        (count(*) filter (where x.quality = 'estimated'))::int as n_estimated,
        (count(*) filter (where x.quality = 'missing'))::int as n_missing,
        15 / min(m.interval_minutes) as n_expected, %s,
        round(sum(x.active_fwd_wh) * 4 / 1000.0, 3)::numeric(14, 3) as max_demand_kw,
        min(public.time_bucket('15 minutes', x.ts)) as max_demand_at
    from (%s) x join smf.meter m on m.id = x.meter_id
    group by x.meter_id, public.time_bucket('15 minutes', x.ts)$q$,
        (select string_agg(format('min(x.%1$I) as %1$I_min, max(x.%1$I) as %1$I_max, '
                                  'sum(x.%1$I) as %1$I_sum, count(x.%1$I)::int as %1$I_n', c), ', ')
         from unnest(array['voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma',
                           'current_b_ma', 'current_c_ma']) c),
        smf.sealed_rows_sql())
$f$;

-- rollup_hour_sealed_sql: the select of the hourly rollups (columns of smf.rollup_hour) derived
-- from every sealed period (from its 15-minute rollups, as rollup_refresh does).
create or replace function smf.rollup_hour_sealed_sql() returns text
language sql immutable parallel safe set search_path = pg_catalog as $f$
    select format($q$select x.meter_id, public.time_bucket('1 hour', x.bucket) as bucket,
        %s, sum(x.n_measured)::int as n_measured, sum(x.n_adjusted)::int as n_adjusted,
        sum(x.n_estimated)::int as n_estimated, sum(x.n_missing)::int as n_missing,
        60 / min(m.interval_minutes) as n_expected, %s,
        max(x.max_demand_kw)::numeric(14, 3) as max_demand_kw,
        public.last(x.max_demand_at, x.max_demand_kw * 100000000000
                    - extract(epoch from x.max_demand_at)) as max_demand_at,
        min(abs(x.active_fwd_wh)) as active_fwd_wh_q_min_abs,
        min(abs(x.reactive_ind_fwd_varh)) as reactive_ind_fwd_varh_q_min_abs,
        min(abs(x.reactive_cap_fwd_varh)) as reactive_cap_fwd_varh_q_min_abs
    from (%s) x join smf.meter m on m.id = x.meter_id
    group by x.meter_id, public.time_bucket('1 hour', x.bucket)$q$,
        (select string_agg(format('sum(x.%1$I)::bigint as %1$I', c), ', ')
         from unnest(array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh',
                           'reactive_ind_rev_varh', 'reactive_cap_fwd_varh',
                           'reactive_cap_rev_varh']) c),
        (select string_agg(format('min(x.%1$I_min) as %1$I_min, max(x.%1$I_max) as %1$I_max, '
                                  'sum(x.%1$I_sum)::bigint as %1$I_sum, sum(x.%1$I_n)::int as %1$I_n', c), ', ')
         from unnest(array['voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma',
                           'current_b_ma', 'current_c_ma']) c),
        smf.rollup_15min_sealed_sql())
$f$;

-- rollup_all_sql: the select of every 15-minute ('15min') or hourly ('hour') rollup, stored
-- rows of hot data and those derived from sealed periods (the views below, 040's analyst views).
create or replace function smf.rollup_all_sql(p_level text) returns text
language sql immutable parallel safe set search_path = pg_catalog as $$
    select case p_level
        when '15min' then 'select * from smf.rollup_15min union all ' || smf.rollup_15min_sealed_sql()
        when 'hour' then 'select * from smf.rollup_hour union all ' || smf.rollup_hour_sealed_sql()
    end
$$;

-- catalogue: view smf.interval_sealed_rows: every interval stored in sealed periods, shaped like
--   smf.interval_reading (integer Wh, varh, mV, mA; ts the UTC interval start).
-- catalogue: view smf.interval_reading_all: every interval of every tier (hot rows and sealed
--   periods), shaped like smf.interval_reading; filter by meter_id (smf.intervals for a range).
-- catalogue: view smf.rollup_15min_all: the stored 15-minute rollups of hot data and those derived
--   from sealed periods, shaped like smf.rollup_15min.
-- catalogue: view smf.rollup_hour_all: the stored hourly rollups of hot data and those derived
--   from sealed periods, shaped like smf.rollup_hour.
do $$
begin
    execute 'create or replace view smf.interval_sealed_rows as ' || smf.sealed_rows_sql();
    execute 'create or replace view smf.interval_reading_all as select * from smf.interval_reading'
            ' union all ' || smf.sealed_rows_sql();
    execute 'create or replace view smf.rollup_15min_all as ' || smf.rollup_all_sql('15min');
    execute 'create or replace view smf.rollup_hour_all as ' || smf.rollup_all_sql('hour');
end
$$;
