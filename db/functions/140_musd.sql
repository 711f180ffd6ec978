-- MUSD check before sending a month to CCEE: an hour whose consumption (kWh) exceeds
-- factor x MUSD (kW) x 1 h is rejected by CCEE. Uses the loss-adjusted hourly series by default
-- (what is sent includes transformer losses), the raw one when p_with_losses is false; factor
-- defaults to rule_param('musd_factor') (1.25).

-- musd_hours_of: every local hour of UC p_uc in month p_month: consumption (kWh), limit
-- (p_factor x MUSD x 1 h, kWh; null without MUSD) and whether it exceeds it. No checks.
create or replace function smf.musd_hours_of(p_uc int, p_month date, p_factor numeric, p_with_losses boolean)
returns table (hour timestamptz, local_hour timestamp, kwh numeric, limit_kwh numeric, exceeds boolean)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select h.hour_ts, h.local_hour, h.kwh, lim.kwh, coalesce(h.kwh > lim.kwh, false)
    from (
        select q.hour_ts, min(q.local_ts) as local_hour,
               sum(case when p_with_losses then q.p_kwh else q.p_kwh_raw end) as kwh
        from smf.uc_quarter_hours(p_uc, smf.local_month_start(p_month),
                                  smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)) q
        group by q.hour_ts
    ) h
    cross join (select p_factor * cu.musd_kw * 1 as kwh from smf.consumer_unit cu where cu.id = p_uc) lim
    order by h.hour_ts
$$;

-- musd_factor_checked: p_factor, or rule_param('musd_factor') for null; SMF02 unless positive.
create or replace function smf.musd_factor_checked(p_factor numeric, p_month date) returns numeric
language plpgsql stable set search_path = smf, pg_catalog set jit = off as $$
declare
    v numeric := coalesce(p_factor, smf.rule_param('musd_factor', date_trunc('month', p_month)::date));
begin
    if v <= 0 then
        raise exception using errcode = 'SMF02', message = format('MUSD factor must be positive, got %s', v);
    end if;
    return v;
end
$$;

-- musd_check_hours: the hours of UC p_uc_code in month p_month whose consumption (kWh) exceeds
-- p_factor x MUSD (kW) x 1 h, with the excess (kWh). SMF04 for an unknown UC or a month without data.
create or replace function smf.musd_check_hours(p_uc_code text, p_month date, p_factor numeric default null,
                                                p_with_losses boolean default true)
returns table (hour timestamptz, local_hour timestamp, kwh numeric, limit_kwh numeric, excess_kwh numeric)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select h.hour, h.local_hour, round(h.kwh, 3), round(h.limit_kwh, 3), round(h.kwh - h.limit_kwh, 3)
    from smf.musd_hours_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                           smf.musd_factor_checked(p_factor, p_month), p_with_losses) h
    where h.exceeds
$$;

-- musd_check_of: the verdict of UC p_uc for month p_month: 'accepted' (no hour over the limit),
-- 'rejected' (some hour over), 'no_musd' (no MUSD registered); hours with data, hours over, the
-- largest hourly consumption (kWh) and the limit (kWh). No checks.
create or replace function smf.musd_check_of(p_uc int, p_month date, p_factor numeric, p_with_losses boolean)
returns table (uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric,
               hours_with_data int, hours_over int, max_kwh numeric, verdict text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select cu.uc_code::text, date_trunc('month', p_month)::date, cu.musd_kw, p_factor, round(max(h.limit_kwh), 3),
           count(h.kwh)::int, count(*) filter (where h.exceeds)::int, round(max(h.kwh), 3),
           case when cu.musd_kw is null then 'no_musd'
                when bool_or(h.exceeds) then 'rejected' else 'accepted' end
    from smf.consumer_unit cu
    cross join smf.musd_hours_of(p_uc, p_month, p_factor, p_with_losses) h
    where cu.id = p_uc
    group by cu.uc_code, cu.musd_kw
$$;

-- musd_check: musd_check_of for UC p_uc_code after checking the cycle.
create or replace function smf.musd_check(p_uc_code text, p_month date, p_factor numeric default null,
                                          p_with_losses boolean default true)
returns table (uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric,
               hours_with_data int, hours_over int, max_kwh numeric, verdict text)
language sql stable set search_path = smf, pg_catalog set jit = off as $$
    select c.* from smf.musd_check_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                      smf.musd_factor_checked(p_factor, p_month), p_with_losses) c
$$;
