-- What the REST API serves besides the rule functions: search and interval series. SECURITY
-- INVOKER (the default): row-level security filters every row by the caller's scope.

-- api_search: consumer units (with their main meter) whose customer name contains p_q, whose
-- UC code starts with p_q, or whose main or backup meter serial starts with p_q (case-
-- insensitive); ordered by UC code, p_limit rows from p_offset. p_q is matched literally.
create or replace function smf.api_search(p_q text, p_limit int, p_offset int)
returns table (uc_code text, customer_name text, distributor_aneel_code text,
               distributor_name text, main_meter_serial text, backup_meter_serial text,
               retired_at timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    with q as (select replace(replace(replace(coalesce(p_q, ''), '\', '\\'), '%', '\%'), '_', '\_')
                          as pat)
    select u.uc_code::text, u.customer_name, d.aneel_code::text, d.name, mm.serial, bm.serial,
           u.retired_at
    from q, smf.consumer_unit u
    join smf.distributor d on d.id = u.distributor_id
    left join smf.meter mm on mm.id = u.main_meter_id
    left join smf.meter bm on bm.id = u.backup_meter_id
    where u.customer_name ilike '%' || q.pat || '%'
       or u.uc_code::text ilike q.pat || '%'
       or mm.serial ilike q.pat || '%'
       or bm.serial ilike q.pat || '%'
    order by u.uc_code
    limit p_limit offset p_offset
$$;

-- api_search_meters: meters (attached to a UC or not) whose serial starts with p_q.
create or replace function smf.api_search_meters(p_q text, p_limit int, p_offset int)
returns table (serial text, manufacturer text, model text, uc_code text, retired_at timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    with q as (select replace(replace(replace(coalesce(p_q, ''), '\', '\\'), '%', '\%'), '_', '\_')
                          as pat)
    select m.serial, m.manufacturer, m.model,
           (select u.uc_code::text from smf.consumer_unit u
            where m.id in (u.main_meter_id, u.backup_meter_id) order by u.id limit 1),
           m.retired_at
    from q, smf.meter m
    where m.serial ilike q.pat || '%'
    order by m.serial
    limit p_limit offset p_offset
$$;

-- api_channel_divisors: per channel (the 12 names of smf.meter.channel_map, in that order), what
-- an engineering value is divided by: 1 for engineering units (kWh, kvarh, V, A), the meter's
-- channel constant (engineering units per pulse) for pulses. SMF02 when pulses are asked of a
-- meter without constants; a channel the meter does not record gets null.
create or replace function smf.api_channel_divisors(p_meter int, p_pulses boolean)
returns numeric[]
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_map text[];
    v_const numeric[];
    v_serial text;
    names constant text[] := array['active_fwd_kwh', 'active_rev_kwh', 'reactive_ind_fwd_kvarh',
        'reactive_ind_rev_kvarh', 'reactive_cap_fwd_kvarh', 'reactive_cap_rev_kvarh',
        'voltage_a_v', 'voltage_b_v', 'voltage_c_v', 'current_a_a', 'current_b_a', 'current_c_a'];
begin
    select channel_map, channel_constants, serial into v_map, v_const, v_serial
    from smf.meter where id = p_meter;
    if not p_pulses then
        return array_fill(1::numeric, array[12]);
    end if;
    if v_const is null then
        raise exception 'meter % has no channel constants: pulses are unavailable, ask units=engineering',
            v_serial using errcode = 'SMF02';
    end if;
    return array(select nullif(v_const[array_position(v_map, n)], 0) from unnest(names) n);
end $$;

-- api_series: the intervals of meter p_meter in [p_from, p_to) at resolution p_resolution
-- ('5m' stored intervals, '15m' and '1h' rollups, '1d' and '1mo' calendar days/months in time
-- zone p_tz summed from the 15-minute rollups). Energy in kWh/kvarh (sums), voltage in V and
-- current in A (5m: the value; coarser: the mean), or pulses when p_pulses (each value divided
-- by its channel constant), as double precision (whole Wh / 1000 prints as the exact kWh).
-- bucket_start is the UTC start of the bucket. quality: the worst of
-- the bucket's intervals ('missing' when an expected interval is absent or missing),
-- completeness_pct: stored non-missing intervals / expected, in percent.
create or replace function smf.api_series(p_meter int, p_from timestamptz, p_to timestamptz,
                                          p_resolution text, p_tz text, p_pulses boolean)
returns table (bucket_start timestamptz, active_fwd float8, active_rev float8,
               reactive_ind_fwd float8, reactive_ind_rev float8, reactive_cap_fwd float8,
               reactive_cap_rev float8, voltage_a float8, voltage_b float8, voltage_c float8,
               current_a float8, current_b float8, current_c float8, quality text,
               completeness_pct float8)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    -- what a stored integer (Wh, varh, mV, mA) is divided by: 1000 for engineering units, the
    -- channel constant x 1000 for pulses (both exact in double precision for usual constants)
    d float8[] := array(select (x * 1000)::float8
                        from unnest(smf.api_channel_divisors(p_meter, p_pulses)) with ordinality u(x, n)
                        order by n);
begin
    if p_resolution = '5m' then
        return query
        select r.ts, r.active_fwd_wh::float8 / d[1], r.active_rev_wh::float8 / d[2],
               r.reactive_ind_fwd_varh::float8 / d[3], r.reactive_ind_rev_varh::float8 / d[4],
               r.reactive_cap_fwd_varh::float8 / d[5], r.reactive_cap_rev_varh::float8 / d[6],
               r.voltage_a_mv::float8 / d[7], r.voltage_b_mv::float8 / d[8],
               r.voltage_c_mv::float8 / d[9], r.current_a_ma::float8 / d[10],
               r.current_b_ma::float8 / d[11], r.current_c_ma::float8 / d[12],
               r.quality::text, case when r.quality = 'missing' then 0::float8 else 100::float8 end
        from smf.intervals(p_meter, p_from, p_to) r
        order by r.ts;
    elsif p_resolution in ('15m', '1h') then
        return query
        select r.bucket, r.active_fwd_wh::float8 / d[1], r.active_rev_wh::float8 / d[2],
               r.reactive_ind_fwd_varh::float8 / d[3], r.reactive_ind_rev_varh::float8 / d[4],
               r.reactive_cap_fwd_varh::float8 / d[5], r.reactive_cap_rev_varh::float8 / d[6],
               r.voltage_a_mv_sum / nullif(r.voltage_a_mv_n, 0)::float8 / d[7],
               r.voltage_b_mv_sum / nullif(r.voltage_b_mv_n, 0)::float8 / d[8],
               r.voltage_c_mv_sum / nullif(r.voltage_c_mv_n, 0)::float8 / d[9],
               r.current_a_ma_sum / nullif(r.current_a_ma_n, 0)::float8 / d[10],
               r.current_b_ma_sum / nullif(r.current_b_ma_n, 0)::float8 / d[11],
               r.current_c_ma_sum / nullif(r.current_c_ma_n, 0)::float8 / d[12],
               smf.api_bucket_quality(r.n_measured, r.n_adjusted, r.n_estimated, r.n_expected),
               round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2)::float8
        -- (the hourly rollup has three more columns: the 15-minute shape is read from both)
        from (select (x::smf.rollup_15min).* from smf.rollups_15min(array[p_meter], p_from, p_to) x
              where p_resolution = '15m'
              union all
              select x.meter_id, x.bucket, x.active_fwd_wh, x.active_rev_wh, x.reactive_ind_fwd_varh,
                     x.reactive_ind_rev_varh, x.reactive_cap_fwd_varh, x.reactive_cap_rev_varh,
                     x.n_measured, x.n_adjusted, x.n_estimated, x.n_missing, x.n_expected,
                     x.voltage_a_mv_min, x.voltage_a_mv_max, x.voltage_a_mv_sum, x.voltage_a_mv_n,
                     x.voltage_b_mv_min, x.voltage_b_mv_max, x.voltage_b_mv_sum, x.voltage_b_mv_n,
                     x.voltage_c_mv_min, x.voltage_c_mv_max, x.voltage_c_mv_sum, x.voltage_c_mv_n,
                     x.current_a_ma_min, x.current_a_ma_max, x.current_a_ma_sum, x.current_a_ma_n,
                     x.current_b_ma_min, x.current_b_ma_max, x.current_b_ma_sum, x.current_b_ma_n,
                     x.current_c_ma_min, x.current_c_ma_max, x.current_c_ma_sum, x.current_c_ma_n,
                     x.max_demand_kw, x.max_demand_at
              from smf.rollups_hour(array[p_meter], p_from, p_to) x
              where p_resolution = '1h') r
        order by r.bucket;
    elsif p_resolution in ('1d', '1mo') then
        -- expected intervals: the calendar bucket's length (23 or 25 h on a DST change) over the
        -- meter's interval, so a day with no data at its start or end is not 100 % complete
        return query
        select b.start_at, x.afwd::float8 / d[1], x.arev::float8 / d[2],
               x.rif::float8 / d[3], x.rir::float8 / d[4], x.rcf::float8 / d[5],
               x.rcr::float8 / d[6], x.va::float8 / d[7], x.vb::float8 / d[8],
               x.vc::float8 / d[9], x.ia::float8 / d[10], x.ib::float8 / d[11],
               x.ic::float8 / d[12],
               smf.api_bucket_quality(x.n_meas::int, x.n_adj::int, x.n_est::int, b.expected),
               round(100.0 * (x.n_meas + x.n_adj + x.n_est) / b.expected, 2)::float8
        from (select g.b, sum(r.active_fwd_wh) as afwd, sum(r.active_rev_wh) as arev,
                     sum(r.reactive_ind_fwd_varh) as rif, sum(r.reactive_ind_rev_varh) as rir,
                     sum(r.reactive_cap_fwd_varh) as rcf, sum(r.reactive_cap_rev_varh) as rcr,
                     sum(r.voltage_a_mv_sum) / nullif(sum(r.voltage_a_mv_n), 0) as va,
                     sum(r.voltage_b_mv_sum) / nullif(sum(r.voltage_b_mv_n), 0) as vb,
                     sum(r.voltage_c_mv_sum) / nullif(sum(r.voltage_c_mv_n), 0) as vc,
                     sum(r.current_a_ma_sum) / nullif(sum(r.current_a_ma_n), 0) as ia,
                     sum(r.current_b_ma_sum) / nullif(sum(r.current_b_ma_n), 0) as ib,
                     sum(r.current_c_ma_sum) / nullif(sum(r.current_c_ma_n), 0) as ic,
                     sum(r.n_measured) as n_meas, sum(r.n_adjusted) as n_adj,
                     sum(r.n_estimated) as n_est
              from smf.rollups_15min(array[p_meter], p_from, p_to) r,
                   lateral (select date_trunc(case p_resolution when '1d' then 'day' else 'month' end,
                                              r.bucket at time zone p_tz) as b) g
              group by g.b) x,
             lateral (select x.b at time zone p_tz as start_at,
                             (extract(epoch from ((x.b + case p_resolution when '1d' then interval '1 day'
                                                             else interval '1 month' end)
                                                  at time zone p_tz) - (x.b at time zone p_tz))
                              / 60 / (select m.interval_minutes from smf.meter m where m.id = p_meter)
                             )::int as expected) b
        order by x.b;
    else
        raise exception 'resolution must be 5m, 15m, 1h, 1d or 1mo, not %', p_resolution
            using errcode = 'SMF02';
    end if;
end $$;

-- api_bucket_quality: the worst quality among a bucket's expected intervals.
create or replace function smf.api_bucket_quality(p_measured int, p_adjusted int,
                                                  p_estimated int, p_expected int)
returns text
language sql immutable set search_path = smf, pg_catalog as $$
    select case when p_measured + p_adjusted + p_estimated < p_expected then 'missing'
                when p_estimated > 0 then 'estimated'
                when p_adjusted > 0 then 'adjusted'
                else 'measured' end
$$;
