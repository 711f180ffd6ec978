-- VEE rule on the energy registers (0x23, smf.register_reading, channel 1 = active energy total):
-- the delta between two successive reads against the sum of the intervals between them (Wh).
-- Registers are stored raw (their decimal position is unverified), so the Wh per register unit
-- is the parameter register_wh_per_unit, or, when that is 0, detected per meter as the power of
-- ten nearest the median ratio (interval sum / raw delta) over its complete read pairs; every
-- finding says which. The read pairs also give the estimation a gap's energy.

-- vee_register_pairs: successive 'current' reads (channel 1) of meter p_meter with the later read
-- in [p_from, p_to]: the intervals [lo, hi) between them (read times rounded down to the grid), the
-- raw register delta, the sum (Wh) and count of stored non-missing intervals, and how many the
-- span should hold.
create or replace function smf.vee_register_pairs(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (read_from timestamptz, read_to timestamptz, lo timestamptz, hi timestamptz,
               raw_delta bigint, wh_sum bigint, n_rows int, n_expected int)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_step interval := smf.vee_step(p_meter);
begin
    return query
    with reads as (
        select g.at, g.registers[1] as total,
               lag(g.at) over (order by g.at) as prev_at, lag(g.registers[1]) over (order by g.at) as prev_total
        from smf.register_reading g
        where g.meter_id = p_meter and g.period = 'current' and g.channel = 1
          and g.at >= p_from - interval '40 days' and g.at <= p_to
    )
    select r.prev_at, r.at, smf.vee_grid_down(r.prev_at, v_step), smf.vee_grid_down(r.at, v_step),
           r.total - r.prev_total, s.wh, s.n::int,
           (extract(epoch from smf.vee_grid_down(r.at, v_step) - smf.vee_grid_down(r.prev_at, v_step))
            / extract(epoch from v_step))::int
    from reads r,
         lateral (select sum(x.active_fwd_wh)::bigint as wh, count(x.active_fwd_wh) as n
                  from smf.intervals(p_meter, smf.vee_grid_down(r.prev_at, v_step),
                                     smf.vee_grid_down(r.at, v_step)) x
                  where x.quality <> 'missing') s
    where r.prev_at is not null and r.at >= p_from;
end
$$;

-- vee_register_scale: (Wh per raw register unit, 'configured' | 'detected') of meter p_meter as of
-- p_to; null scale when nothing is configured and no complete read pair exists.
create or replace function smf.vee_register_scale(p_meter int, p_to timestamptz,
                                                  out wh_per_unit numeric, out how text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_ratio numeric;
begin
    wh_per_unit := smf.vee_param('register_wh_per_unit', p_meter, smf.vee_local_day(p_to));
    how := 'configured';
    if wh_per_unit > 0 then
        return;
    end if;
    select percentile_cont(0.5) within group (order by p.wh_sum::numeric / p.raw_delta) into v_ratio
    from smf.vee_register_pairs(p_meter, p_to - interval '90 days', p_to) p
    where p.raw_delta > 0 and p.wh_sum > 0 and p.n_rows = p.n_expected;
    wh_per_unit := case when v_ratio > 0 then trim_scale(power(10::numeric, round(log(v_ratio)))) end;
    how := 'detected';
end
$$;

-- vee_rule_register: a complete read pair whose scaled register delta differs from the interval
-- sum by more than register_tolerance (relative to the larger), or a register that went backwards.
-- Subject: the read pair (two pairs can round to one grid span).
create or replace function smf.vee_rule_register(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, subject text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_tz text := smf.local_timezone();
    v_tol numeric := smf.vee_param('register_tolerance', p_meter, smf.vee_local_day(p_from));
    v_scale numeric;
    v_how text;
begin
    if not exists (select 1 from smf.register_reading g where g.meter_id = p_meter
                   and g.at >= p_from and g.at <= p_to) then
        return;
    end if;
    select s.wh_per_unit, s.how into v_scale, v_how from smf.vee_register_scale(p_meter, p_to) s;
    return query
    select 'register', format('reads %s / %s', to_char(p.read_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                              to_char(p.read_to at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
           p.lo, p.hi, 'error',
           case when p.raw_delta < 0
                then format('the total register went backwards between the reads of %s and %s (local): %s raw units',
                            to_char((p.read_from) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((p.read_to) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), p.raw_delta)
                else format('register delta %s kWh (%s raw units x %s Wh, %s) but the intervals sum to %s kWh '
                            'between the reads of %s and %s (local); tolerance %s%%',
                            round((p.raw_delta * v_scale) / 1000.0, 3), p.raw_delta, v_scale, v_how,
                            round((p.wh_sum) / 1000.0, 3), to_char((p.read_from) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            to_char((p.read_to) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), 100 * v_tol) end
    from smf.vee_register_pairs(p_meter, p_from, p_to) p
    where p.raw_delta < 0
       or (v_scale is not null and p.n_rows = p.n_expected and p.n_expected > 0
           and abs(p.raw_delta * v_scale - p.wh_sum)
               > v_tol * greatest(abs(p.raw_delta * v_scale), abs(p.wh_sum), 1));
end
$$;
