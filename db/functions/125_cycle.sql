-- The billing-cycle evaluation of a UC (local month), computed once and shared by the demand,
-- reactive-excess and billing rules: hour pieces (hour x posto) with the UFER/DMCR closed forms, then
-- one row per energy posto and per demand posto. Loss-adjusted series when p_with_losses, raw
-- otherwise.

-- uc_hour_pieces: the hourly evaluation of UC p_uc over local month p_month that demand, UFER/DMCR
-- and billing aggregate (loss-adjusted series when p_with_losses, raw otherwise). One row per local
-- clock hour and posto (a posto boundary inside an hour splits it): minutes covered, P (kWh), Q
-- (kvarh: per 15-minute slot capacitive inside the capacitive window, inductive outside, never
-- netted), S = sqrt(P^2 + Q^2) (kVAh), fT = P / S, and with fR = rule_param('power_factor_reference')
-- (0.92): where P < fR.S (fT < fR) UFER = fR.S - P (kWh) and DMCR = fR.S, otherwise UFER = 0 and
-- DMCR = P, DMCR scaled to kW by 60 / minutes; p_zero flags P = 0 with Q > 0 (UFER = fR.Q by the
-- same formula). Also the largest 15-minute demand (kW) and when, and intervals present / expected.
-- Pieces without data have null energies and results.
create or replace function smf.uc_hour_pieces(p_uc int, p_month date, p_with_losses boolean)
returns table (hour timestamptz, local_hour timestamp, posto text, demand_posto text, reactive_window text,
               minutes int, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric,
               ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric,
               max_demand_at timestamptz, n_present int, n_expected int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with f as materialized (
        select smf.rule_param('power_factor_reference', date_trunc('month', p_month)::date) as fr
    ), h as (
        select q.hour_ts, min(q.local_ts) as local_hour, q.posto, q.demand_posto,
               case when bool_and(q.reactive_window = 'capacitive') then 'capacitive'
                    when bool_or(q.reactive_window = 'capacitive') then 'mixed' else 'inductive' end as win,
               count(*)::int * 15 as minutes,
               sum(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) as p,
               coalesce(sum(case when q.reactive_window = 'capacitive'
                                 then case when p_with_losses then q.q_cap_kvarh else q.q_cap_kvarh_raw end
                                 else case when p_with_losses then q.q_ind_kvarh else q.q_ind_kvarh_raw end end), 0) as q,
               max(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) * 4 as max_kw,
               (array_agg(q.ts order by case when p_with_losses then q.p_kwh else q.p_kwh_raw end desc nulls last,
                          q.ts))[1] as max_at,
               sum(q.n_present)::int as n_present, sum(q.n_expected)::int as n_expected
        from smf.uc_quarter_hours(p_uc, smf.local_month_start(p_month),
                                  smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)) q
        group by q.hour_ts, q.posto, q.demand_posto
    ), x as (
        select h.*, sqrt(h.p * h.p + h.q * h.q) as s, f.fr
        from h cross join f
    )
    select x.hour_ts, x.local_hour, x.posto, x.demand_posto, x.win, x.minutes,
           x.p, case when x.p is not null then x.q end, case when x.p is not null then x.s end,
           case when x.s > 0 then x.p / x.s end,
           case when x.p < x.fr * x.s then x.fr * x.s - x.p when x.p is not null then 0 end,
           case when x.p < x.fr * x.s then x.fr * x.s else x.p end * 60 / x.minutes,
           x.p = 0 and x.q > 0,
           x.max_kw, case when x.max_kw is not null then x.max_at end,
           x.n_present, x.n_expected
    from x
    order by x.hour_ts, x.posto
$$;

-- contracted_demand: contracted demand (kW) of UC p_uc for demand posto p_demand_posto (azul:
-- ponta / fora_ponta; the single demand of other modalities is contracted_demand_fora_ponta_kw).
create or replace function smf.contracted_demand(p_uc int, p_demand_posto text) returns numeric
language sql stable set search_path = smf, pg_catalog as $$
    select case p_demand_posto when 'ponta' then contracted_demand_ponta_kw
                               else contracted_demand_fora_ponta_kw end
    from smf.consumer_unit where id = p_uc
$$;

-- demand_overrun_kw: the billed overrun (kW): p_measured - p_contracted when p_measured exceeds
-- p_contracted x (1 + p_tolerance), else 0 (null without a contracted demand or measurement).
create or replace function smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric)
returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select case when p_measured > p_contracted * (1 + p_tolerance) then p_measured - p_contracted
                when p_measured is not null and p_contracted is not null then 0 end
$$;

-- billable_demand_kw: the billable active demand PAF (kW) of a demand posto: the larger of the
-- measured (max 15-minute) and the contracted demand; the one known when the other is null.
create or replace function smf.billable_demand_kw(p_measured numeric, p_contracted numeric) returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select greatest(p_measured, p_contracted)
$$;

-- dmcr_excess_kw: the billed reactive demand excess (kW) of a demand posto, FDRE(p) / VR_DRE =
-- DMCR - PAF(p) when positive, else 0, where PAF(p) = smf.billable_demand_kw(measured, contracted)
-- is the billable demand (REN 1000/2021; REN 414 art. 96), not the contracted demand. Null
-- without a DMCR.
create or replace function smf.dmcr_excess_kw(p_dmcr numeric, p_measured numeric, p_contracted numeric)
returns numeric
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select case when p_dmcr is not null
                then greatest(p_dmcr - coalesce(smf.billable_demand_kw(p_measured, p_contracted), 0), 0) end
$$;

-- cycle_evaluation_of: UC p_uc in month p_month, unrounded. Rows of kind 'energy', one per posto
-- (ponta / fora_ponta / intermediario): energy (kWh), UFER (kWh, sum), DMCR (kW, max) and its
-- hour, hours with data, hours flagged P = 0 & Q > 0, intervals present / expected. Rows of kind
-- 'demand', one per demand posto (ponta / fora_ponta for azul, unica otherwise): measured demand
-- (kW, max 15-minute) and when, contracted (kW), tolerance, overrun (kW), DMCR (kW) and its hour,
-- DMCR excess over the billable demand (kW, smf.dmcr_excess_kw). No checks.
create or replace function smf.cycle_evaluation_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz,
               hours int, p_zero_hours int, n_present int, n_expected int, measured_kw numeric,
               measured_at timestamptz, contracted_kw numeric, tolerance numeric, overrun_kw numeric,
               dmcr_excess_kw numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with h as materialized (
        select * from smf.uc_hour_pieces(p_uc, p_month, p_with_losses)
    ), e as (
        select 'energy'::text as kind, h.posto, sum(h.p_kwh) as energy, sum(h.ufer_kwh) as ufer,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected
        from h group by h.posto
    ), d as (
        select h.demand_posto, max(h.max_demand_kw) as kw,
               (array_agg(h.max_demand_at order by h.max_demand_kw desc nulls last, h.max_demand_at))[1] as at,
               max(h.dmcr_kw) as dmcr,
               (array_agg(h.hour order by h.dmcr_kw desc nulls last, h.hour))[1] as dmcr_at,
               count(distinct h.hour) filter (where h.p_kwh is not null)::int as hours,
               count(*) filter (where h.p_zero)::int as p_zero_hours,
               sum(h.n_present)::int as n_present, sum(h.n_expected)::int as n_expected,
               smf.contracted_demand(p_uc, h.demand_posto) as contracted,
               smf.rule_param('demand_tolerance', date_trunc('month', p_month)::date) as tol
        from h group by h.demand_posto
    )
    select e.kind, e.posto, e.energy, e.ufer, e.dmcr, case when e.dmcr is not null then e.dmcr_at end,
           e.hours, e.p_zero_hours, e.n_present, e.n_expected,
           null::numeric, null::timestamptz, null::numeric, null::numeric, null::numeric, null::numeric
    from e
    union all
    select 'demand', d.demand_posto, null, null, d.dmcr, case when d.dmcr is not null then d.dmcr_at end,
           d.hours, d.p_zero_hours, d.n_present, d.n_expected,
           d.kw, case when d.kw is not null then d.at end, d.contracted, d.tol,
           smf.demand_overrun_kw(d.kw, d.contracted, d.tol), smf.dmcr_excess_kw(d.dmcr, d.kw, d.contracted)
    from d
    order by 1 desc, 2 desc
$$;
