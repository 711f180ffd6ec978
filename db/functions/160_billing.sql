-- Billing-cycle summary (the local month) of a UC: energy by posto, demand by demand posto
-- (measured, contracted, billed = max(measured, contracted)), overrun, UFER and DMCR with its excess
-- over the billed demand (DMCR - billed, when positive),
-- data completeness, and the amount of each item from smf.tariff (distributor, modality, validity on
-- the first day of the month). Uses the loss-adjusted series by default, raw when p_with_losses is
-- false. Overrun without an explicit 'overrun' tariff = demand tariff x overrun_tariff_multiplier;
-- DMCR excess without a 'dmcr' tariff = demand tariff. Amounts in R$, rounded to cents.

-- tariff_price: price of item p_item in posto p_posto for distributor p_distributor and modality
-- p_modality on p_day (R$/kWh for energy and ufer, R$/kW otherwise); null when none is set.
create or replace function smf.tariff_price(p_distributor int, p_modality text, p_item text, p_posto text, p_day date)
returns numeric
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select price from smf.tariff
    where distributor_id = p_distributor and modality = p_modality and item = p_item and posto = p_posto
      and valid_during @> p_day
$$;

-- billing_summary_set: billing_summary_of for every UC of p_ucs at once, from one
-- smf.cycle_evaluation_set; prices by a join to smf.tariff (the rows smf.tariff_price returns).
-- Ordered by UC code, then as billing_summary_of. No checks.
create or replace function smf.billing_summary_set(p_ucs int[], p_month date, p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    with m as materialized (
        select date_trunc('month', p_month)::date as m,
               smf.rule_param('overrun_tariff_multiplier', date_trunc('month', p_month)::date) as mult
    ), u as materialized (
        select cu.id, cu.uc_code::text as uc_code, cu.distributor_id, cu.modality, m.m, m.mult
        from smf.consumer_unit cu cross join m where cu.id = any (p_ucs)
    ), tp as materialized (
        select u.id, t.item, t.posto, t.price
        from u join smf.tariff t on t.distributor_id = u.distributor_id and t.modality = u.modality
                                and t.valid_during @> u.m
    ), c as materialized (
        select * from smf.cycle_evaluation_set(p_ucs, p_month, p_with_losses, false)
    ), e as (
        select * from c where c.kind = 'energy'
    ), d as (
        select * from c where c.kind = 'demand'
    ), items as (
        select e.uc_id, 1 as ord, 'energy' as item, e.posto, round(coalesce(e.energy_kwh, 0), 3) as quantity,
               'kWh' as unit, te.price
        from e left join tp te on te.id = e.uc_id and te.item = 'energy' and te.posto = e.posto
        union all
        select d.uc_id, 2, 'demand_measured', d.posto, round(d.measured_kw, 3), 'kW', null from d
        union all
        select d.uc_id, 3, 'demand_contracted', d.posto, d.contracted_kw, 'kW', null from d
        union all
        select d.uc_id, 4, 'demand_billed', d.posto, round(smf.billable_demand_kw(d.measured_kw, d.contracted_kw), 3),
               'kW', td.price
        from d left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        select d.uc_id, 5, 'overrun', d.posto, round(d.overrun_kw, 3), 'kW',
               coalesce(tov.price, td.price * u.mult)
        from d join u on u.id = d.uc_id
        left join tp tov on tov.id = d.uc_id and tov.item = 'overrun' and tov.posto = d.posto
        left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        select e.uc_id, 6, 'ufer', e.posto, round(coalesce(e.ufer_kwh, 0), 2), 'kWh', tu.price
        from e left join tp tu on tu.id = e.uc_id and tu.item = 'ufer' and tu.posto = e.posto
        union all
        select d.uc_id, 7, 'dmcr', d.posto, round(d.dmcr_kw, 2), 'kW', null from d
        union all
        select d.uc_id, 8, 'dmcr_excess', d.posto, round(d.dmcr_excess_kw, 2), 'kW', coalesce(tm.price, td.price)
        from d
        left join tp tm on tm.id = d.uc_id and tm.item = 'dmcr' and tm.posto = d.posto
        left join tp td on td.id = d.uc_id and td.item = 'demand' and td.posto = d.posto
        union all
        -- one row per UC even without hour pieces (a UC without a main meter: null sums)
        select u.id, 9, 'intervals_present', null, sum(e.n_present), 'intervals', null
        from u left join e on e.uc_id = u.id group by u.id
        union all
        select u.id, 10, 'intervals_expected', null, sum(e.n_expected), 'intervals', null
        from u left join e on e.uc_id = u.id group by u.id
        union all
        select u.id, 11, 'completeness', null,
               round(100.0 * sum(e.n_present) / nullif(sum(e.n_expected), 0), 2), '%', null
        from u left join e on e.uc_id = u.id group by u.id
    ), priced as (
        select i.*, round(i.quantity * i.price, 2) as amount from items i
    )
    select u.uc_code, u.m, p.item, p.posto, p.quantity, p.unit, p.price, p.amount
    from (select * from priced
          union all
          select u.id, 12, 'total', null, null, 'R$', null, sum(pr.amount)
          from u left join priced pr on pr.uc_id = u.id group by u.id) p
    join u on u.id = p.uc_id
    order by u.uc_code, p.ord, p.posto desc
$$;

-- billing_summary_of: the summary rows (item, posto, quantity, unit, price, amount) of UC p_uc for
-- month p_month. No checks (see billing_summary). Computed by smf.billing_summary_set.
create or replace function smf.billing_summary_of(p_uc int, p_month date, p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language sql stable parallel safe set search_path = smf, pg_catalog set jit = off as $$
    select b.* from smf.billing_summary_set(array[p_uc], p_month, p_with_losses) b
$$;

-- billing_summary: billing_summary_of for UC p_uc_code after checking the cycle (SMF04 for an
-- unknown UC, a month with no readings or no posto schedule).
create or replace function smf.billing_summary(p_uc_code text, p_month date, p_with_losses boolean default true)
returns table (uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric,
               amount numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select b.* from smf.billing_summary_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                           p_with_losses) b
$$;

-- billing_summary_distributor: billing_summary_of for every UC of distributor p_aneel_code (3-digit
-- ANEEL code) that has readings in month p_month, in one smf.billing_summary_set (ordered by UC
-- code). SMF04 for an unknown distributor or a day of the month without a posto schedule.
create or replace function smf.billing_summary_distributor(p_aneel_code text, p_month date,
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
    from smf.billing_summary_set(
        array(select cu.id from smf.consumer_unit cu
              where cu.distributor_id = v_dist
                and (exists (select 1 from smf.rollup_15min r
                             where r.meter_id = cu.main_meter_id and r.bucket >= v_lo and r.bucket < v_hi)
                     or exists (select 1 from smf.intervals_sealed(array[cu.main_meter_id], v_lo, v_hi)))),
        p_month, p_with_losses) b;
end
$$;
