-- Frozen copy of the billing functions as they were on main at 7063499 (before the set-based
-- rewrite of issue 21 item 4), re-qualified into schema billing_main: the baseline that
-- bench/billing.py times in the same run as the current functions, and that
-- tests/rules/test_billing_set.py compares the current results with. Tables and the unchanged
-- helpers (smf.rule_param, smf.local_month_start, smf.uc_id, smf.require_cycle, ...) stay in smf.
-- Generated from `git show 7063499:db/functions/{110,120,125,150,160}_*.sql`; never edit by hand.

create schema if not exists billing_main;

create or replace function billing_main.uc_quarter_labels(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric)
language sql stable parallel safe set search_path = smf, public, pg_catalog set jit = off as $$
    with u as (
        select cu.id, cu.distributor_id, cu.modality, smf.local_timezone() as tz
        from smf.consumer_unit cu where cu.id = p_uc
    ), grid as (
        select g.ts, g.ts at time zone u.tz as lt
        from u, generate_series(public.time_bucket('15 minutes', p_from), p_to - interval '1 microsecond',
                                interval '15 minutes') g(ts)
    ), days as materialized (
        select d::date as day,
               extract(isodow from d) < 6 and not exists (
                   select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                   where c.purpose = 'tariff' and c.valid_during @> d::date and h.day = d::date) as ponta_day,
               extract(epoch from s.ponta_start)::int / 60 as ps, s.ponta_minutes as pm,
               extract(epoch from s.capacitive_start)::int / 60 as cs, s.capacitive_minutes as cm,
               extract(epoch from s.reservado_start)::int / 60 as rs, s.reservado_minutes as rm,
               case when u.modality = 'branca' then s.intermediario_minutes end as im,
               coalesce(tl.factor, 0) as loss_factor, u.modality
        from u
        cross join generate_series((select min(lt)::date from grid), (select max(lt)::date from grid),
                                   interval '1 day') d
        left join smf.posto_schedule s on s.distributor_id = u.distributor_id and s.valid_during @> d::date
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d::date
    )
    select g.ts, g.lt, public.time_bucket('1 hour', g.ts), k.posto,
           case when d.ps is null then null
                when d.modality <> 'azul' then 'unica'
                when k.posto = 'ponta' then 'ponta' else 'fora_ponta' end,
           case when d.cs is null then null
                when (k.m - d.cs + 1440) % 1440 < d.cm then 'capacitive' else 'inductive' end,
           d.rs is not null and (k.m - d.rs + 1440) % 1440 < d.rm,
           d.loss_factor
    from grid g
    join days d on d.day = g.lt::date
    cross join lateral (
        select mm.m,
               case when d.ps is null then null
                    when d.ponta_day and mm.m >= d.ps and mm.m < d.ps + d.pm then 'ponta'
                    when d.ponta_day and d.im is not null and mm.m >= d.ps - d.im
                         and mm.m < d.ps + d.pm + d.im then 'intermediario'
                    else 'fora_ponta' end as posto
        from (select extract(hour from g.lt)::int * 60 + extract(minute from g.lt)::int as m) mm
    ) k
    order by g.ts
$$;

create or replace function billing_main.uc_quarter_hours(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric,
               p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric,
               p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric,
               n_present int, n_expected int)
language sql stable set search_path = smf, public, pg_catalog set jit = off as $$
    with m as (
        select mt.id, mt.interval_minutes
        from smf.consumer_unit cu join smf.meter mt on mt.id = cu.main_meter_id
        where cu.id = p_uc
    )
    select l.ts, l.local_ts, l.hour_ts, l.posto, l.demand_posto, l.reactive_window, l.reservado, l.loss_factor,
           r.active_fwd_wh / 1000.0, r.reactive_ind_fwd_varh / 1000.0, r.reactive_cap_fwd_varh / 1000.0,
           r.active_fwd_wh / 1000.0 * (1 + l.loss_factor),
           r.reactive_ind_fwd_varh / 1000.0 * (1 + l.loss_factor),
           r.reactive_cap_fwd_varh / 1000.0 * (1 + l.loss_factor),
           coalesce(r.n_measured + r.n_adjusted + r.n_estimated, 0),
           15 / m.interval_minutes
    from m
    cross join billing_main.uc_quarter_labels(p_uc, p_from, p_to) l
    left join smf.rollup_15min r on r.meter_id = m.id and r.bucket = l.ts
        and r.bucket >= p_from - interval '15 minutes' and r.bucket < p_to
$$;

create or replace function billing_main.uc_hour_pieces(p_uc int, p_month date, p_with_losses boolean)
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
        from billing_main.uc_quarter_hours(p_uc, smf.local_month_start(p_month),
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

create or replace function billing_main.cycle_evaluation_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz,
               hours int, p_zero_hours int, n_present int, n_expected int, measured_kw numeric,
               measured_at timestamptz, contracted_kw numeric, tolerance numeric, overrun_kw numeric,
               dmcr_excess_kw numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with h as materialized (
        select * from billing_main.uc_hour_pieces(p_uc, p_month, p_with_losses)
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

create or replace function billing_main.ufer_dmcr_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz, contracted_kw numeric,
               dmcr_excess_kw numeric, hours int, p_zero_hours int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with c as materialized (
        select * from billing_main.cycle_evaluation_of(p_uc, p_month, p_with_losses)
    )
    select e.posto, round(e.ufer_kwh, 2), round(e.dmcr_kw, 2), e.dmcr_at, d.contracted_kw,
           round(d.dmcr_excess_kw, 2), e.hours, e.p_zero_hours
    from c e left join c d on d.kind = 'demand' and d.posto = e.posto
    where e.kind = 'energy'
    union all
    select d.posto, null, round(d.dmcr_kw, 2), d.dmcr_at, d.contracted_kw, round(d.dmcr_excess_kw, 2),
           d.hours, d.p_zero_hours
    from c d where d.kind = 'demand' and d.posto = 'unica'
    order by 1 desc
$$;

create or replace function billing_main.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamptz, contracted_kw numeric,
               dmcr_excess_kw numeric, hours int, p_zero_hours int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select u.* from billing_main.ufer_dmcr_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) u
$$;

create or replace function billing_main.tariff_price(p_distributor int, p_modality text, p_item text, p_posto text, p_day date)
returns numeric
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select price from smf.tariff
    where distributor_id = p_distributor and modality = p_modality and item = p_item and posto = p_posto
      and valid_during @> p_day
$$;

create or replace function billing_main.billing_summary_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with u as (
        select cu.uc_code::text as uc_code, cu.distributor_id, cu.modality,
               date_trunc('month', p_month)::date as m,
               smf.rule_param('overrun_tariff_multiplier', date_trunc('month', p_month)::date) as mult
        from smf.consumer_unit cu where cu.id = p_uc
    ), c as materialized (
        select * from billing_main.cycle_evaluation_of(p_uc, p_month, p_with_losses)
    ), e as (
        select * from c where c.kind = 'energy'
    ), d as (
        select * from c where c.kind = 'demand'
    ), items as (
        select 1 as ord, 'energy' as item, e.posto, round(coalesce(e.energy_kwh, 0), 3) as quantity, 'kWh' as unit,
               billing_main.tariff_price(u.distributor_id, u.modality, 'energy', e.posto, u.m) as price
        from e, u
        union all
        select 2, 'demand_measured', d.posto, round(d.measured_kw, 3), 'kW', null from d
        union all
        select 3, 'demand_contracted', d.posto, d.contracted_kw, 'kW', null from d
        union all
        select 4, 'demand_billed', d.posto, round(smf.billable_demand_kw(d.measured_kw, d.contracted_kw), 3), 'kW',
               billing_main.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m)
        from d, u
        union all
        select 5, 'overrun', d.posto, round(d.overrun_kw, 3), 'kW',
               coalesce(billing_main.tariff_price(u.distributor_id, u.modality, 'overrun', d.posto, u.m),
                        billing_main.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m) * u.mult)
        from d, u
        union all
        select 6, 'ufer', e.posto, round(coalesce(e.ufer_kwh, 0), 2), 'kWh',
               billing_main.tariff_price(u.distributor_id, u.modality, 'ufer', e.posto, u.m)
        from e, u
        union all
        select 7, 'dmcr', d.posto, round(d.dmcr_kw, 2), 'kW', null from d
        union all
        select 8, 'dmcr_excess', d.posto, round(d.dmcr_excess_kw, 2), 'kW',
               coalesce(billing_main.tariff_price(u.distributor_id, u.modality, 'dmcr', d.posto, u.m),
                        billing_main.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m))
        from d, u
        union all
        select 9, 'intervals_present', null, sum(e.n_present), 'intervals', null from e
        union all
        select 10, 'intervals_expected', null, sum(e.n_expected), 'intervals', null from e
        union all
        select 11, 'completeness', null, round(100.0 * sum(e.n_present) / nullif(sum(e.n_expected), 0), 2), '%', null
        from e
    ), priced as (
        select i.*, round(i.quantity * i.price, 2) as amount from items i
    )
    select u.uc_code, u.m, p.item, p.posto, p.quantity, p.unit, p.price, p.amount
    from (select * from priced
          union all
          select 12, 'total', null, null, 'R$', null, sum(amount) from priced) p, u
    order by p.ord, p.posto desc
$$;

create or replace function billing_main.billing_summary(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select b.* from billing_main.billing_summary_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                           p_with_losses) b
$$;

create or replace function billing_main.billing_summary_distributor(p_aneel_code text, p_month date,
                                                           p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
declare
    v_dist int;
    v_day date;
    v_lo timestamptz := smf.local_month_start(p_month);
    v_hi timestamptz := smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date);
begin
    select id into v_dist from smf.distributor where aneel_code = p_aneel_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown distributor %s', p_aneel_code);
    end if;
    select d::date into v_day
    from generate_series(date_trunc('month', p_month), date_trunc('month', p_month) + interval '1 month - 1 day',
                         interval '1 day') d
    where not exists (select 1 from smf.posto_schedule s where s.distributor_id = v_dist and s.valid_during @> d::date)
    order by 1 limit 1;
    if found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for distributor %s on %s', p_aneel_code, v_day);
    end if;
    return query
    select b.*
    from smf.consumer_unit cu
    cross join lateral billing_main.billing_summary_of(cu.id, p_month, p_with_losses) b
    where cu.distributor_id = v_dist
      and exists (select 1 from smf.rollup_15min r
                  where r.meter_id = cu.main_meter_id and r.bucket >= v_lo and r.bucket < v_hi)
    ;
end
$$;
