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
