-- Demand: the 15-minute demand series (kW = kWh of the 15 minutes x 4) of a UC's main meter from 5-
-- or 15-minute data, and the measured demand per demand posto of a billing cycle (the local month:
-- ponta and fora ponta for azul, a single one 'unica' otherwise) with the overrun against the
-- contracted demand: measured > (1 + rule_param('demand_tolerance')) x contracted bills the whole
-- difference measured - contracted (smf.cycle_evaluation_of, 125_cycle.sql).

-- demand_series: 15-minute demand (kW) of UC p_uc_code over [p_from, p_to), raw and loss-adjusted,
-- with the demand posto and the intervals present / expected (demand null for an empty slot).
create or replace function smf.demand_series(p_uc_code text, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, demand_posto text, demand_kw_raw numeric, demand_kw numeric,
               n_present int, n_expected int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select q.ts, q.local_ts, q.demand_posto, q.p_kwh_raw * 4, q.p_kwh * 4, q.n_present, q.n_expected
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    order by q.ts
$$;

-- measured_demand: per demand posto of UC p_uc_code in month p_month: contracted (kW), measured =
-- max 15-minute demand (kW; loss-adjusted series when p_with_losses, else raw) and when, tolerance
-- (fraction), limit = contracted x (1 + tolerance) (kW) and overrun (kW), rounded to 3 decimals.
-- SMF04 for an unknown UC, a month with no readings or no posto schedule.
create or replace function smf.measured_demand(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (demand_posto text, contracted_kw numeric, measured_kw numeric, measured_at timestamptz,
               tolerance numeric, limit_kw numeric, overrun_kw numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select c.posto, c.contracted_kw, round(c.measured_kw, 3), c.measured_at, c.tolerance,
           round(c.contracted_kw * (1 + c.tolerance), 3), round(c.overrun_kw, 3)
    from smf.cycle_evaluation_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) c
    where c.kind = 'demand'
$$;

-- uc_demand_curve: the loss-adjusted 15-minute demand (kW = kWh of the quarter hour x 4) of UC
-- p_uc's main meter over [p_from, p_to): every 15-minute slot (UTC start ts, local start
-- local_ts in smf.local_timezone()), demand null for a slot without data. The same values as the
-- ts, local_ts and demand_kw columns of smf.demand_series, read straight from the 15-minute
-- rollups (smf.rollups_15min, any tier) and the day's transformer-loss factor without the posto
-- labels, so it costs a fraction (the client home page's last-24-h chart). Row-level security
-- applies (security invoker); no rows for a UC (or main meter) outside the caller's scope.
create or replace function smf.uc_demand_curve(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, demand_kw numeric)
language plpgsql stable set search_path = smf, public, pg_catalog set jit = off as $$
declare
    v_meter int;
    v_tz text := smf.local_timezone();
begin
    select mt.id into v_meter
    from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
    where cu.id = p_uc;
    if v_meter is null then
        return;
    end if;
    return query
    select g.ts, g.ts at time zone v_tz,
           r.active_fwd_wh / 1000.0 * (1 + coalesce(tl.factor, 0)) * 4
    from generate_series(public.time_bucket('15 minutes', p_from), p_to - interval '1 microsecond',
                         interval '15 minutes') g(ts)
    left join smf.transformer_loss tl
        on tl.consumer_unit_id = p_uc and tl.valid_during @> (g.ts at time zone v_tz)::date
    left join smf.rollups_15min(array[v_meter], p_from - interval '15 minutes', p_to) r
        on r.bucket = g.ts
    order by g.ts;
end
$$;
