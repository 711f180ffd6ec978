-- Reactive excess (UFER, DMCR) of a billing cycle (local month). The hourly evaluation itself is
-- smf.uc_hour_pieces (125_cycle.sql): hour T = local clock hour (split by posto), P = active kWh,
-- Q = reactive kvarh of the kind that counts in each 15-minute slot (capacitive inside the
-- distributor's 6-hour window, inductive outside; never netted), S = sqrt(P^2 + Q^2), fT = P / S;
-- where fT < fR: UFER_T = fR.S - P (kWh), DMCR_T = fR.S (kW), else UFER_T = 0, DMCR_T = P.
-- UFER = sum per posto, DMCR = max per posto, excess = DMCR - PAF when positive, PAF the billable
-- demand of the demand posto = max(measured, contracted) (REN 1000/2021; REN 414 art. 96).
-- Loss-adjusted series when p_with_losses (default), raw otherwise.

-- ufer_dmcr_hourly: the hourly evaluation of UC p_uc_code in month p_month (hours with data),
-- rounded (kWh, kvarh, kVAh, kW to 3 decimals, fT to 4). SMF04 for an unknown UC or a month
-- without data.
create or replace function smf.ufer_dmcr_hourly(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (hour timestamptz, local_hour timestamp, posto text, reactive_window text, minutes int,
               p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric,
               ufer_kwh numeric, dmcr_kw numeric, p_zero boolean)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select h.hour, h.local_hour, h.posto, h.reactive_window, h.minutes, round(h.p_kwh, 3), round(h.q_kvarh, 3),
           round(h.s_kvah, 3), round(h.power_factor, 4), round(h.ufer_kwh, 3), round(h.dmcr_kw, 3), h.p_zero
    from smf.uc_hour_pieces(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) h
    where h.p_kwh is not null
$$;

-- ufer_dmcr_set: ufer_dmcr_of for every UC of p_ucs at once (uc_id first), from one
-- smf.cycle_evaluation_set. No checks; no order.
create or replace function smf.ufer_dmcr_set(p_ucs int[], p_month date, p_with_losses boolean default true)
returns table (uc_id int, posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz,
               contracted_kw numeric, dmcr_excess_kw numeric, hours int, p_zero_hours int)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    with c as materialized (
        select * from smf.cycle_evaluation_set(p_ucs, p_month, p_with_losses, false)
    )
    select e.uc_id, e.posto, round(e.ufer_kwh, 2), round(e.dmcr_kw, 2), e.dmcr_at, d.contracted_kw,
           round(d.dmcr_excess_kw, 2), e.hours, e.p_zero_hours
    from c e left join c d on d.uc_id = e.uc_id and d.kind = 'demand' and d.posto = e.posto
    where e.kind = 'energy'
    union all
    select d.uc_id, d.posto, null, round(d.dmcr_kw, 2), d.dmcr_at, d.contracted_kw, round(d.dmcr_excess_kw, 2),
           d.hours, d.p_zero_hours
    from c d where d.kind = 'demand' and d.posto = 'unica'
$$;

-- ufer_dmcr_of: per posto of UC p_uc in month p_month: UFER (kWh, sum), DMCR (kW, max) and its hour,
-- contracted demand (kW) and DMCR excess over the billable demand (kW), rounded to 2 decimals; hours with data and hours
-- flagged P = 0 & Q > 0. Azul: the ponta and fora_ponta rows carry contracted demand and excess;
-- other modalities add a row 'unica' (UFER null) for their single demand. No checks.
create or replace function smf.ufer_dmcr_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz, contracted_kw numeric,
               dmcr_excess_kw numeric, hours int, p_zero_hours int)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    select u.posto, u.ufer_kwh, u.dmcr_kw, u.dmcr_at, u.contracted_kw, u.dmcr_excess_kw, u.hours, u.p_zero_hours
    from smf.ufer_dmcr_set(array[p_uc], p_month, p_with_losses) u
    order by 1 desc
$$;

-- ufer_dmcr: ufer_dmcr_of for UC p_uc_code after checking the cycle (SMF04 for an unknown UC, a
-- month with no readings or no posto schedule).
create or replace function smf.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz, contracted_kw numeric,
               dmcr_excess_kw numeric, hours int, p_zero_hours int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select u.* from smf.ufer_dmcr_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) u
$$;
