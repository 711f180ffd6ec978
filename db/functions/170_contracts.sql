-- Energy contracts: seasonalization (annual -> months), modulation (month -> hours), hourly coverage
-- and exposure of a UC valued at the hourly PLD of its submarket, and the 12-month lastro penalty.
-- Consumption here is the loss-adjusted series (MWh). Volumes in MWh, prices in R$/MWh.
-- Flat seasonalization Q_m = A x h_m / H (h_m hours of the local month, H of the local year);
-- flat modulation q_h = Q_m / h_m; load-following q_h = Q_m x C_h / sum C_h (C_h the buyer UC's
-- hourly consumption). Declared month or hour volumes take precedence.

-- contract_month_mwh: the volume (MWh) of contract p_contract in local month p_month and how it was
-- obtained ('declared', 'flat', or 'none' outside the validity or without volumes).
create or replace function smf.contract_month_mwh(p_contract int, p_month date)
returns table (mwh numeric, method text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select case when v.mwh is not null then v.mwh
                when c.valid_during @> date_trunc('month', p_month)::date and c.annual_mwh is not null
                then c.annual_mwh * smf.local_month_hours(p_month)
                     / (extract(epoch from smf.local_month_start(make_date(extract(year from p_month)::int + 1, 1, 1))
                                       - smf.local_month_start(make_date(extract(year from p_month)::int, 1, 1))) / 3600)
                else 0 end,
           case when v.mwh is not null then 'declared'
                when c.valid_during @> date_trunc('month', p_month)::date and c.annual_mwh is not null then 'flat'
                else 'none' end
    from smf.energy_contract c
    left join smf.contract_month_volume v on v.contract_id = c.id and v.month = date_trunc('month', p_month)::date
    where c.id = p_contract
$$;

-- contract_id: id of the contract with code p_code; SMF04 when unknown.
create or replace function smf.contract_id(p_code text) returns int
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
declare
    v int;
begin
    select id into v from smf.energy_contract where code = p_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown contract %s', p_code);
    end if;
    return v;
end
$$;

-- contract_seasonalization: the 12 month volumes (MWh) of contract p_code in year p_year, with the
-- hours of each month and the method (declared / flat / none).
create or replace function smf.contract_seasonalization(p_code text, p_year int)
returns table (month date, hours int, mwh numeric, method text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select m::date, smf.local_month_hours(m::date), v.mwh, v.method
    from generate_series(make_date(p_year, 1, 1), make_date(p_year, 12, 1), interval '1 month') m
    cross join lateral smf.contract_month_mwh(smf.contract_id(p_code), m::date) v
    order by 1
$$;

-- contract_hourly_of: the hourly volumes (MWh) of contract p_contract in local month p_month and
-- the method: 'declared' when hour volumes exist in the month, else the contract's modulation
-- ('flat', or 'load_following' on its buyer UC's loss-adjusted hourly consumption; flat when the
-- buyer is not a UC or consumed nothing).
create or replace function smf.contract_hourly_of(p_contract int, p_month date)
returns table (hour timestamptz, mwh numeric, method text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with b as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi,
               smf.local_month_hours(p_month) as hours
    ), c as (
        select ec.*, (select mwh from smf.contract_month_mwh(ec.id, p_month)) as qm,
               exists (select 1 from smf.contract_hour_volume v, b
                       where v.contract_id = ec.id and v.hour >= b.lo and v.hour < b.hi) as declared
        from smf.energy_contract ec where ec.id = p_contract
    ), load as (
        select q.hour_ts, sum(q.p_kwh) as kwh
        from c, b, smf.uc_quarter_hours(c.buyer_uc_id, b.lo, b.hi) q
        where c.modulation = 'load_following' and not c.declared and c.buyer_uc_id is not null
        group by q.hour_ts
    ), load_total as (
        select sum(kwh) as total from load
    )
    select h.h, case when c.declared then coalesce(v.mwh, 0)
                     when lt.total > 0 then c.qm * coalesce(l.kwh, 0) / lt.total
                     else c.qm / b.hours end,
           case when c.declared then 'declared' when lt.total > 0 then 'load_following' else 'flat' end
    from c cross join b cross join load_total lt
    cross join generate_series(b.lo, b.hi - interval '1 hour', interval '1 hour') h(h)
    left join smf.contract_hour_volume v on c.declared and v.contract_id = c.id and v.hour = h.h
    left join load l on l.hour_ts = h.h
    order by h.h
$$;

-- contract_modulation: contract_hourly_of for contract code p_code.
create or replace function smf.contract_modulation(p_code text, p_month date)
returns table (hour timestamptz, mwh numeric, method text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select m.* from smf.contract_hourly_of(smf.contract_id(p_code), p_month) m
$$;

-- exposure_hourly_of: every hour of month p_month for UC p_uc: loss-adjusted consumption (MWh), the
-- sum of the hourly volumes of the contracts whose buyer is the UC (MWh), exposure = contracts -
-- consumption (MWh; positive surplus, negative deficit), PLD of the UC's submarket (R$/MWh) and the
-- exposure's value (R$, null without PLD).
create or replace function smf.exposure_hourly_of(p_uc int, p_month date)
returns table (hour timestamptz, local_hour timestamp, consumption_mwh numeric, contracted_mwh numeric,
               exposure_mwh numeric, pld numeric, value_brl numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with b as (
        select smf.local_month_start(p_month) as lo,
               smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date) as hi
    ), cons as (
        select q.hour_ts, min(q.local_ts) as local_hour, coalesce(sum(q.p_kwh), 0) / 1000 as mwh
        from b, smf.uc_quarter_hours(p_uc, b.lo, b.hi) q group by q.hour_ts
    ), ctr as (
        select h.hour, sum(h.mwh) as mwh
        from smf.energy_contract ec
        cross join lateral smf.contract_hourly_of(ec.id, p_month) h
        where ec.buyer_uc_id = p_uc
        group by h.hour
    )
    select cons.hour_ts, cons.local_hour, cons.mwh, coalesce(ctr.mwh, 0), coalesce(ctr.mwh, 0) - cons.mwh,
           p.price, round((coalesce(ctr.mwh, 0) - cons.mwh) * p.price, 2)
    from cons
    cross join (select submarket from smf.consumer_unit where id = p_uc) cu
    left join ctr on ctr.hour = cons.hour_ts
    left join smf.pld p on p.submarket = cu.submarket and p.hour = cons.hour_ts
    order by cons.hour_ts
$$;

-- exposure_hourly: exposure_hourly_of for UC p_uc_code after checking the cycle.
create or replace function smf.exposure_hourly(p_uc_code text, p_month date)
returns table (hour timestamptz, local_hour timestamp, consumption_mwh numeric, contracted_mwh numeric,
               exposure_mwh numeric, pld numeric, value_brl numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select e.* from smf.exposure_hourly_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month) e
$$;

-- exposure_month: month totals of exposure_hourly for UC p_uc_code: consumption, contracts,
-- exposure (MWh), its value (R$, sum of hourly values) and hours without PLD.
create or replace function smf.exposure_month(p_uc_code text, p_month date)
returns table (uc_code text, month date, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric,
               value_brl numeric, hours_without_pld int)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select p_uc_code, date_trunc('month', p_month)::date, round(sum(e.consumption_mwh), 6),
           round(sum(e.contracted_mwh), 6), round(sum(e.exposure_mwh), 6), sum(e.value_brl),
           count(*) filter (where e.pld is null)::int
    from smf.exposure_hourly(p_uc_code, p_month) e
$$;

-- lastro_penalty: the lastro check of UC p_uc_code over the lastro_months (12) local months ending
-- with p_month: loss-adjusted consumption and contracted volumes (MWh), shortfall =
-- max(0, consumption - contracts), price = max(lastro_reference_value VR, mean hourly PLD of the
-- UC's submarket in the window) (R$/MWh), penalty = shortfall x price and its monthly part
-- penalty / lastro_installments (R$).
create or replace function smf.lastro_penalty(p_uc_code text, p_month date)
returns table (window_from date, window_to date, consumption_mwh numeric, contracted_mwh numeric,
               shortfall_mwh numeric, mean_pld numeric, reference_value numeric, price numeric,
               penalty_brl numeric, penalty_month_brl numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    with u as (
        select cu.id, cu.main_meter_id, cu.submarket, date_trunc('month', p_month)::date as m,
               (date_trunc('month', p_month)
                - make_interval(months => smf.rule_param('lastro_months', date_trunc('month', p_month)::date)::int - 1))::date as w0
        from smf.consumer_unit cu where cu.id = smf.uc_id(p_uc_code)
    ), cons as (
        select coalesce(sum(d.active_fwd_wh * (1 + coalesce(tl.factor, 0))), 0) / 1e6 as mwh
        from u join smf.rollup_day d on d.meter_id = u.main_meter_id
            and d.bucket >= u.w0 and d.bucket < (u.m + interval '1 month')::date
        left join smf.transformer_loss tl on tl.consumer_unit_id = u.id and tl.valid_during @> d.bucket
    ), ctr as (
        select coalesce(sum(v.mwh), 0) as mwh
        from u cross join generate_series(u.w0, u.m, interval '1 month') mm
        join smf.energy_contract ec on ec.buyer_uc_id = u.id
        cross join lateral smf.contract_month_mwh(ec.id, mm::date) v
    ), pld as (
        select avg(p.price) as mean
        from u join smf.pld p on p.submarket = u.submarket
            and p.hour >= smf.local_month_start(u.w0)
            and p.hour < smf.local_month_start((u.m + interval '1 month')::date)
    ), x as (
        select u.w0, u.m, cons.mwh as c, ctr.mwh as k, greatest(cons.mwh - ctr.mwh, 0) as short, pld.mean,
               smf.rule_param('lastro_reference_value', u.m) as vr,
               smf.rule_param('lastro_installments', u.m) as n
        from u, cons, ctr, pld
    )
    select x.w0, (x.m + interval '1 month - 1 day')::date, round(x.c, 6), round(x.k, 6), round(x.short, 6),
           round(x.mean, 2), x.vr, greatest(x.vr, coalesce(x.mean, 0)),
           round(x.short * greatest(x.vr, coalesce(x.mean, 0)), 2),
           round(x.short * greatest(x.vr, coalesce(x.mean, 0)) / x.n, 2)
    from x
$$;
