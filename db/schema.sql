CREATE SCHEMA smf;

CREATE TYPE smf.quality AS ENUM (
    'measured',
    'adjusted',
    'estimated',
    'missing'
);

CREATE TYPE smf.reading_source AS ENUM (
    'meter',
    'backup_meter',
    'estimate',
    'import',
    'manual'
);

CREATE TYPE smf.submarket AS ENUM (
    'SE/CO',
    'S',
    'NE',
    'N'
);

CREATE FUNCTION smf.add_business_days(p_day date, p_n integer, p_purpose text DEFAULT 'ccee'::text) RETURNS date
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v date;
    v_step int := sign(p_n);
begin
    if p_n is null or p_day is null then
        raise exception using errcode = 'SMF02', message = 'add_business_days: day and n are required';
    end if;
    if p_n = 0 then
        return p_day;
    end if;
    perform smf.calendar_for(p_purpose, p_day);
    -- n business days lie within 2n + 30 calendar days (weekends and at most ~15 holidays a year)
    select p_day + v_step * g.i into v
    from generate_series(1, 2 * abs(p_n) + 30) g(i)
    left join smf.calendar c on c.purpose = p_purpose and c.valid_during @> p_day + v_step * g.i
    where extract(isodow from p_day + v_step * g.i) < 6
      and not exists (select 1 from smf.holiday h where h.calendar_id = c.id and h.day = p_day + v_step * g.i)
    order by g.i
    offset abs(p_n) - 1 limit 1;
    return v;
end
$$;

CREATE FUNCTION smf.analog_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['voltage_a_mv', 'voltage_b_mv', 'voltage_c_mv', 'current_a_ma', 'current_b_ma', 'current_c_ma']
$$;

CREATE FUNCTION smf.billing_summary(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select b.* from smf.billing_summary_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                           p_with_losses) b
$$;

CREATE FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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
    cross join lateral smf.billing_summary_of(cu.id, p_month, p_with_losses) b
    where cu.distributor_id = v_dist
      and exists (select 1 from smf.rollup_15min r
                  where r.meter_id = cu.main_meter_id and r.bucket >= v_lo and r.bucket < v_hi)
    ;
end
$$;

CREATE FUNCTION smf.billing_summary_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $_$
    with u as (
        select cu.uc_code::text as uc_code, cu.distributor_id, cu.modality,
               date_trunc('month', p_month)::date as m,
               smf.rule_param('overrun_tariff_multiplier', date_trunc('month', p_month)::date) as mult
        from smf.consumer_unit cu where cu.id = p_uc
    ), c as materialized (
        select * from smf.cycle_evaluation_of(p_uc, p_month, p_with_losses)
    ), e as (
        select * from c where c.kind = 'energy'
    ), d as (
        select * from c where c.kind = 'demand'
    ), items as (
        select 1 as ord, 'energy' as item, e.posto, round(coalesce(e.energy_kwh, 0), 3) as quantity, 'kWh' as unit,
               smf.tariff_price(u.distributor_id, u.modality, 'energy', e.posto, u.m) as price
        from e, u
        union all
        select 2, 'demand_measured', d.posto, round(d.measured_kw, 3), 'kW', null from d
        union all
        select 3, 'demand_contracted', d.posto, d.contracted_kw, 'kW', null from d
        union all
        select 4, 'demand_billed', d.posto, round(greatest(d.measured_kw, d.contracted_kw), 3), 'kW',
               smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m)
        from d, u
        union all
        select 5, 'overrun', d.posto, round(d.overrun_kw, 3), 'kW',
               coalesce(smf.tariff_price(u.distributor_id, u.modality, 'overrun', d.posto, u.m),
                        smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m) * u.mult)
        from d, u
        union all
        select 6, 'ufer', e.posto, round(coalesce(e.ufer_kwh, 0), 2), 'kWh',
               smf.tariff_price(u.distributor_id, u.modality, 'ufer', e.posto, u.m)
        from e, u
        union all
        select 7, 'dmcr', d.posto, round(d.dmcr_kw, 2), 'kW', null from d
        union all
        select 8, 'dmcr_excess', d.posto, round(d.dmcr_excess_kw, 2), 'kW',
               coalesce(smf.tariff_price(u.distributor_id, u.modality, 'dmcr', d.posto, u.m),
                        smf.tariff_price(u.distributor_id, u.modality, 'demand', d.posto, u.m))
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
$_$;

CREATE FUNCTION smf.calendar_for(p_purpose text, p_day date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v int;
begin
    if p_purpose is null or p_purpose not in ('tariff', 'ccee') then
        raise exception using errcode = 'SMF02',
            message = format('calendar purpose %s is not tariff or ccee', coalesce(quote_literal(p_purpose), 'null'));
    end if;
    select id into v from smf.calendar where purpose = p_purpose and valid_during @> p_day;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no %s calendar covers %s', p_purpose, p_day);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.calendar_generate(p_calendar integer, p_from_year integer, p_to_year integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v int;
begin
    if p_from_year > p_to_year then
        raise exception using errcode = 'SMF02',
            message = format('calendar_generate: year range %s..%s is empty', p_from_year, p_to_year);
    end if;
    insert into smf.holiday (calendar_id, day, name, rule_code)
    select p_calendar, h.day, string_agg(h.name, ' / ' order by h.rule_code), min(h.rule_code)
    from smf.holiday_dates((select array_agg(rule_code) from smf.calendar_rule where calendar_id = p_calendar),
                           p_from_year, p_to_year) h
    group by h.day
    on conflict (calendar_id, day) do nothing;
    get diagnostics v = row_count;
    return v;
end
$$;

CREATE FUNCTION smf.ccee_board(p_month date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, distributor text, agent_code integer, uc_code text, customer text, days_due integer, complete integer, held integer, held_reasons text, sent integer, accepted integer, rejected integer, failed integer, missing integer, deadline date, business_days_left integer, at_risk boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with m as (
        select date_trunc('month', p_month)::date as m0,
               (date_trunc('month', p_month) + interval '1 month - 1 day')::date as m1,
               smf.ccee_deadline_of(p_month) as deadline, smf.ccee_today(p_now) as today,
               smf.ccee_business_days_left(smf.ccee_today(p_now), smf.ccee_deadline_of(p_month)) as left_du
    ), days as (
        select r.consumer_unit_id, d::date as day
        from m cross join smf.ccee_retail_uc r
        cross join generate_series(greatest(m.m0, lower(r.valid_during)),
                                   least(m.m1, m.today - 1, coalesce(upper(r.valid_during) - 1, m.m1)),
                                   interval '1 day') d
    ), per_day as (
        select dd.consumer_unit_id, dd.day, q.state, q.hold_reasons,
               exists (select 1 from smf.ccee_attempt a where a.consumer_unit_id = dd.consumer_unit_id
                       and a.day = dd.day and a.outcome in ('accepted', 'rejected')) as sent,
               coalesce(rd.n_missing = 0 and rd.n_measured + rd.n_adjusted + rd.n_estimated = rd.n_expected,
                        false) as complete
        from days dd
        join smf.consumer_unit cu on cu.id = dd.consumer_unit_id
        left join smf.ccee_uc_day q on q.consumer_unit_id = dd.consumer_unit_id and q.day = dd.day
        left join smf.rollup_day rd on rd.meter_id = cu.main_meter_id and rd.bucket = dd.day
    )
    select m.m0, d.name, d.ccee_agent_code, cu.uc_code::text, cu.customer_name,
           count(p.day)::int,
           count(*) filter (where p.complete)::int,
           count(*) filter (where p.state = 'held')::int,
           (select string_agg(distinct r ->> 'code', ', ') from per_day p2, jsonb_array_elements(p2.hold_reasons) r
            where p2.consumer_unit_id = cu.id and p2.state = 'held'),
           count(*) filter (where p.sent)::int,
           count(*) filter (where p.state = 'accepted')::int,
           count(*) filter (where p.state = 'rejected')::int,
           count(*) filter (where p.state = 'failed')::int,
           count(*) filter (where p.day is not null and not p.complete)::int,
           m.deadline,
           m.left_du,
           count(*) filter (where p.state is distinct from 'accepted') > 0
    from m
    cross join smf.consumer_unit cu
    join smf.distributor d on d.id = cu.distributor_id
    join per_day p on p.consumer_unit_id = cu.id
    group by m.m0, m.deadline, m.today, m.left_du, d.name, d.ccee_agent_code, cu.id, cu.uc_code, cu.customer_name
    order by d.name, cu.uc_code
$$;

CREATE FUNCTION smf.ccee_build(p_uc_ids integer[], p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, agent_code integer, stamps text[], wh bigint[], tipos text[], reasons jsonb, warnings jsonb, fingerprint text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with agg as (
        select a.consumer_unit_id as id, a.wh, a.tipos, a.n_present, a.first_missing,
               a.interval_minutes as im
        from smf.ccee_day_arrays(p_uc_ids, p_day) a
    ), hours as (
        select a.id, (s.slot - 1) / 12 + 1 as hora, sum(s.wh) as wh
        from agg a, unnest(a.wh) with ordinality as s(wh, slot)
        where a.n_present = 288
        group by 1, 2
    ), factor as (
        select smf.rule_param('musd_factor', p_day) as f
    ), musd as (
        select cu.id,
               jsonb_agg(format('hour %s (%s-%s -03:00): %s kWh > %s x MUSD %s kW x 1 h = %s kWh',
                                h.hora, lpad((h.hora - 1)::text, 2, '0') || ':00',
                                lpad(h.hora::text, 2, '0') || ':00',
                                to_char(h.wh / 1000.0, 'FM999999990.000'), fa.f,
                                cu.musd_kw, to_char(fa.f * cu.musd_kw, 'FM999999990.000'))
                         order by h.hora) as hours
        from factor fa
        cross join smf.consumer_unit cu
        join hours h on h.id = cu.id
        where cu.id = any (p_uc_ids) and cu.musd_kw is not null
          and h.wh > fa.f * cu.musd_kw * 1000
        group by cu.id
    ), checks as (
        select cu.id, cu.uc_code::text as uc_code, d.ccee_agent_code, a.wh, a.tipos,
               smf.ccee_fingerprint(cu.id, p_day) as fingerprint,
               array_remove(array[
                   case when not smf.uc_code_is_valid(cu.uc_code) then jsonb_build_object('code', 'uc_code_invalid',
                       'message', format('UC code %s fails the check digits of REN 1.095/2024', cu.uc_code)) end,
                   case when not exists (select 1 from smf.ccee_retail_uc r
                                         where r.consumer_unit_id = cu.id and r.valid_during @> p_day)
                        then jsonb_build_object('code', 'not_registered',
                            'message', format('UC %s is not in the retail model on %s (smf.ccee_retail_uc)', cu.uc_code, p_day)) end,
                   case when cu.main_meter_id is null then jsonb_build_object('code', 'no_main_meter',
                       'message', format('UC %s has no main meter', cu.uc_code)) end,
                   case when p_now < smf.ccee_day_start(p_day + 1) then jsonb_build_object('code', 'future_day',
                       'message', format('day %s is not over yet (ends %s)', p_day,
                                         to_char(p_day + 1, 'YYYY-MM-DD"T00:00:00-03:00"'))) end,
                   case when a.im = 15 and smf.setting_text('ccee_split_15min', 'on') <> 'on'
                        then jsonb_build_object('code', 'split_disabled',
                            'message', 'the main meter integrates 15 minutes and ccee_split_15min is off') end,
                   case when cu.main_meter_id is not null and coalesce(a.n_present, 0) < 288
                        then jsonb_build_object('code', 'incomplete',
                            'message', format('%s of 288 five-minute values present; first missing ends %s',
                                              coalesce(a.n_present, 0),
                                              to_char(p_day::timestamp + (coalesce(a.first_missing, 0) + 1) * interval '5 minutes',
                                                      'YYYY-MM-DD"T"HH24:MI:SS"-03:00"'))) end,
                   case when m.hours is not null and smf.setting_text('ccee_musd_policy', 'hold') = 'hold'
                             and not exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                             and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                        then jsonb_build_object('code', 'musd_exceeded',
                            'message', 'hourly consumption over the MUSD limit (CCEE rejects it): ' || (
                                select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)) end
               ], null) as reasons,
               case when m.hours is not null then
                   jsonb_build_array(jsonb_build_object('code', 'musd_exceeded', 'message',
                       case when exists (select 1 from smf.ccee_release rl where rl.consumer_unit_id = cu.id
                                         and rl.day = p_day and rl.hold_reason = 'musd_exceeded')
                            then 'released by an analyst; ' else 'sent by policy ccee_musd_policy = send; ' end
                       || (select string_agg(x, '; ') from jsonb_array_elements_text(m.hours) x)))
               else '[]'::jsonb end as warnings
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.distributor d on d.id = cu.distributor_id
        left join agg a on a.id = cu.id
        left join musd m on m.id = cu.id
    )
    select c.id, c.uc_code, c.ccee_agent_code, st.stamps, c.wh, c.tipos,
           to_jsonb(c.reasons), case when cardinality(c.reasons) > 0 then '[]'::jsonb else c.warnings end,
           c.fingerprint
    from checks c
    cross join (select smf.ccee_stamps(p_day) as stamps) st
$$;

CREATE FUNCTION smf.ccee_business_days_left(p_today date, p_deadline date) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select count(*)::int from generate_series(p_today + 1, p_deadline, interval '1 day') d
    where smf.is_business_day(d::date, 'ccee')
$$;

CREATE FUNCTION smf.ccee_claim(p_holder text, p_limit integer, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with c as (
        select d.consumer_unit_id, d.day
        from smf.ccee_uc_day d
        where d.state in ('due', 'failed', 'held', 'claimed')
          and ((d.state <> 'claimed' and d.next_try_at <= p_now)
               or (d.state = 'claimed' and d.claim_expires < p_now))
          and d.day >= (select smf.ccee_open_from(p_now))  -- once, not per row
        order by d.day, d.consumer_unit_id
        limit p_limit
        for update skip locked
    )
    update smf.ccee_uc_day u
    set trigger = case when u.state in ('failed', 'claimed') then 'retry'
                       when u.trigger = 'release' then 'release' else 'schedule' end,
        state = 'claimed', claimed_by = p_holder,
        claim_expires = p_now + p_lease_s * interval '1 second', attempts = u.attempts + 1,
        updated_at = p_now
    from c
    where u.consumer_unit_id = c.consumer_unit_id and u.day = c.day
    returning u.consumer_unit_id, (select cu.uc_code::text from smf.consumer_unit cu
                                   where cu.id = u.consumer_unit_id),
              u.day, u.attempts, u.trigger, u.accepted_hash::text
$$;

CREATE FUNCTION smf.ccee_claim_one(p_uc_code text, p_day date, p_holder text, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_row smf.ccee_uc_day;
begin
    insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at, updated_at)
    values (v_uc, p_day, 'due', 'manual', p_now, p_now) on conflict do nothing;
    select * into v_row from smf.ccee_uc_day d where d.consumer_unit_id = v_uc and d.day = p_day for update;
    if v_row.state = 'claimed' and v_row.claim_expires >= p_now and v_row.claimed_by <> p_holder then
        raise exception using errcode = 'SMF02',
            message = format('UC %s day %s is being sent by %s (claim until %s)', p_uc_code, p_day,
                             v_row.claimed_by, v_row.claim_expires);
    end if;
    return query
    update smf.ccee_uc_day u
    set state = 'claimed', claimed_by = p_holder, claim_expires = p_now + p_lease_s * interval '1 second',
        attempts = u.attempts + 1, trigger = case when u.day < smf.ccee_open_from(p_now) then 'late' else 'manual' end,
        updated_at = p_now
    where u.consumer_unit_id = v_uc and u.day = p_day
    returning u.consumer_unit_id, p_uc_code, u.day, u.attempts, u.trigger, u.accepted_hash::text;
end
$$;

CREATE FUNCTION smf.ccee_day(p_uc_code text, p_day date) RETURNS TABLE(hora integer, medicao integer, data_referencia_consumo text, consumo numeric, tipo_consumo text, wh bigint, raw_wh bigint, quality smf.quality)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select g / 12 + 1, g % 12 + 1, (smf.ccee_stamps(p_day))[g + 1], round(v.wh / 1000.0, 3), v.tipo,
           v.wh, v.raw_wh, v.quality
    from generate_series(0, 287) g
    left join (
        select s.slot, s.wh, s.raw_wh, s.tipo, s.quality
        from smf.ccee_day_arrays(array[smf.uc_id(p_uc_code)], p_day) a,
             unnest(a.slots, a.wh, a.raw_wh, a.tipos, a.qualities) as s(slot, wh, raw_wh, tipo, quality)
    ) v on v.slot = g
    order by g
$$;

CREATE FUNCTION smf.ccee_day_arrays(p_uc_ids integer[], p_day date) RETURNS TABLE(consumer_unit_id integer, slots integer[], wh bigint[], raw_wh bigint[], tipos text[], qualities smf.quality[], n_present integer, first_missing integer, interval_minutes integer, loss_factor numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with u as (
        select cu.id, m.id as meter_id, m.interval_minutes::int as im, coalesce(tl.factor, 0) as f,
               ((1 + coalesce(tl.factor, 0)) * 100000)::bigint as k
        from unnest(p_uc_ids) as uid(id)
        join smf.consumer_unit cu on cu.id = uid.id
        join smf.meter m on m.id = cu.main_meter_id
        left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id and tl.valid_during @> p_day
    ), est as (
        select smf.setting_text('ccee_estimated_as', 'AJUSTADO') as tipo
    )
    select u.id, v.slots, v.wh, v.raw_wh, v.tipos, v.qualities, coalesce(v.n, 0)::int,
           case when coalesce(v.n, 0) = 288 then null
                else coalesce((select min(g) from generate_series(0, 287) g where g <> all (v.slots)), 0) end,
           u.im, u.f
    from u
    cross join est
    left join lateral (
        select array_agg(e.slot order by e.slot) as slots, array_agg(e.a order by e.slot) as wh,
               array_agg(e.r order by e.slot) as raw_wh, array_agg(e.tipo order by e.slot) as tipos,
               array_agg(e.quality order by e.slot) as qualities, count(*) as n
        from (
            select x.ts, x.quality, x.active_fwd_wh::bigint as w,
                   ((sum(x.active_fwd_wh) over w)::bigint * u.k + 50000) / 100000
                   - (((sum(x.active_fwd_wh) over w)::bigint - x.active_fwd_wh) * u.k + 50000) / 100000 as a,
                   (extract(epoch from x.ts - smf.ccee_day_start(p_day)) / 300)::int as slot0
            from smf.interval_reading x
            where x.meter_id = u.meter_id and x.active_fwd_wh is not null and x.quality <> 'missing'
              and x.ts >= smf.ccee_day_start(p_day) and x.ts < smf.ccee_day_start(p_day + 1)
            window w as (order by x.ts rows unbounded preceding)
        ) q
        cross join lateral (
            select q.slot0 + j as slot,
                   case when u.im = 5 then q.a else q.a / 3 + case when j = 2 then q.a % 3 else 0 end end as a,
                   case when u.im = 5 then q.w else q.w / 3 + case when j = 2 then q.w % 3 else 0 end end as r,
                   case when q.quality = 'measured' and u.im = 5 then 'MEDIDO'
                        when q.quality = 'estimated' then est.tipo
                        else 'AJUSTADO' end as tipo,
                   q.quality
            from generate_series(0, u.im / 5 - 1) j
        ) e
    ) v on true
$$;

CREATE FUNCTION smf.ccee_day_start(p_day date) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select (p_day::timestamp + interval '3 hours') at time zone 'UTC'
$$;

CREATE FUNCTION smf.ccee_deadline_of(p_day date) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.ms_du(p_day, coalesce((select business_days from smf.ccee_deadline
                                      where code = 'measurement'
                                        and valid_during @> date_trunc('month', p_day)::date), 7))
$$;

CREATE FUNCTION smf.ccee_deadline_warnings(p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, uc_code text, distributor text, days_due integer, accepted integer, held integer, missing integer, deadline date, business_days_left integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select b.month, b.uc_code, b.distributor, b.days_due, b.accepted, b.held, b.missing, b.deadline,
           b.business_days_left
    from (select (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date as m) mm
    cross join smf.ccee_board(mm.m, p_now) b
    where smf.ccee_today(p_now) >= smf.ms_du(mm.m, 5)
      and smf.ccee_today(p_now) <= b.deadline
      and (b.accepted < b.days_due or b.missing > 0)
$$;

CREATE FUNCTION smf.ccee_deadlines(p_month date) RETURNS TABLE(code text, description text, rule text, due date)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select d.code, d.description, d.base || '+' || d.business_days || 'du',
           case d.base when 'M' then smf.m_du(p_month, d.business_days)
                       else smf.ms_du(p_month, d.business_days) end
    from smf.ccee_deadline d
    where d.valid_during @> date_trunc('month', p_month)::date
    order by 4, 1
$$;

CREATE FUNCTION smf.ccee_enqueue(p_from date, p_to date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(new_days integer, changed_days integer, late_days integer)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_open date := smf.ccee_open_from(p_now);
    v_to date := least(p_to, smf.ccee_today(p_now) - 1);
begin
    if p_from is null or p_to is null or p_from > p_to then
        raise exception using errcode = 'SMF02',
            message = format('ccee_enqueue: day range %s..%s is empty', p_from, p_to);
    end if;
    insert into smf.ccee_uc_day (consumer_unit_id, day, state, trigger, next_try_at, late, updated_at)
    select r.consumer_unit_id, d::date, case when d::date >= v_open then 'due' else 'late' end,
           'schedule', p_now, d::date < v_open, p_now
    from smf.ccee_retail_uc r
    cross join generate_series(greatest(p_from, lower(r.valid_during)),
                               least(v_to, coalesce(upper(r.valid_during) - 1, v_to)), interval '1 day') d
    on conflict (consumer_unit_id, day) do nothing;
    get diagnostics new_days = row_count;

    update smf.ccee_uc_day u
    set state = case when u.day >= v_open then 'due' else 'late' end,
        late = u.day < v_open, next_try_at = p_now, trigger = 'schedule', updated_at = p_now
    where u.state in ('accepted', 'rejected') and u.day between p_from and v_to
      and u.fingerprint is distinct from smf.ccee_fingerprint(u.consumer_unit_id, u.day);
    get diagnostics changed_days = row_count;

    update smf.ccee_uc_day u set state = 'late', late = true, updated_at = p_now
    where u.state in ('due', 'failed', 'held') and u.day < v_open;
    get diagnostics late_days = row_count;
    return next;
end
$$;

CREATE FUNCTION smf.ccee_fingerprint(p_uc integer, p_day date) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select concat_ws(':', r.active_fwd_wh, r.n_measured, r.n_adjusted, r.n_estimated,
                                      r.n_missing, tl.factor)
                     from smf.consumer_unit cu
                     join smf.rollup_day r on r.meter_id = cu.main_meter_id and r.bucket = p_day
                     left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
                         and tl.valid_during @> p_day
                     where cu.id = p_uc), 'none')
$$;

CREATE FUNCTION smf.ccee_hold_reasons(p_uc_code text, p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(code text, message text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select r ->> 'code', r ->> 'message'
    from smf.ccee_build(array[smf.uc_id(p_uc_code)], p_day, p_now) b,
         jsonb_array_elements(b.reasons) r
$$;

CREATE FUNCTION smf.ccee_open_from(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when smf.ccee_today(p_now)
                     <= smf.ccee_deadline_of((date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date)
                then (date_trunc('month', smf.ccee_today(p_now)) - interval '1 month')::date
                else date_trunc('month', smf.ccee_today(p_now))::date end
$$;

CREATE FUNCTION smf.ccee_record(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.ccee_record_at(p_uc, p_day, p_holder, p_attempt, p_trigger, p_started, p_hash, p_body,
                              p_status, p_response, p_outcome, p_reasons, p_warning, p_fingerprint, p_now,
                              smf.ccee_open_from(p_now))
$$;

CREATE FUNCTION smf.ccee_record_at(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone, p_open_from date) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_late boolean := p_day < p_open_from;
    v_moved int;
begin
    if p_outcome not in ('accepted', 'rejected', 'failed', 'held', 'unchanged') then
        raise exception using errcode = 'SMF02', message = format('unknown outcome %s', p_outcome);
    end if;
    -- The commit of a record does not wait for the WAL flush: a server crash could forget the
    -- last few records (never a process kill), and those UC-days are then posted again with the
    -- same payload, which the delivery guarantee already allows.
    perform set_config('synchronous_commit', 'off', true);
    if p_hash is not null and p_body is not null then
        insert into smf.ccee_payload (hash, body) values (p_hash, p_body) on conflict do nothing;
    end if;
    if p_outcome <> 'unchanged' then
        insert into smf.ccee_attempt (consumer_unit_id, uc_code, day, attempt, trigger, holder, started_at,
                                      finished_at, payload_hash, http_status, response_body, outcome, reasons,
                                      warning, late)
        select p_uc, cu.uc_code, p_day, p_attempt, coalesce(p_trigger, 'schedule'), p_holder, p_started, p_now,
               p_hash, p_status, left(p_response, 20000), p_outcome, p_reasons, p_warning, v_late
        from smf.consumer_unit cu where cu.id = p_uc;
    end if;
    update smf.ccee_uc_day u
    set state = case p_outcome when 'unchanged' then 'accepted' else p_outcome end,
        claimed_by = null, claim_expires = null,
        last_hash = coalesce(p_hash, u.last_hash),
        accepted_hash = case when p_outcome = 'accepted' then p_hash else u.accepted_hash end,
        accepted_at = case when p_outcome = 'accepted' then p_now else u.accepted_at end,
        fingerprint = case when p_outcome in ('accepted', 'unchanged', 'rejected') then p_fingerprint
                           else u.fingerprint end,
        hold_reasons = case when p_outcome = 'held' then p_reasons end,
        late = v_late,
        next_try_at = case p_outcome
            when 'failed' then p_now + least(21600, smf.setting_text('ccee_retry_base_s', '900')::numeric
                                             * 2 ^ greatest(p_attempt - 1, 0)) * interval '1 second'
            when 'held' then p_now + smf.setting_text('ccee_held_recheck_s', '3600')::numeric * interval '1 second'
            else p_now end,
        updated_at = p_now
    where u.consumer_unit_id = p_uc and u.day = p_day and u.claimed_by = p_holder;
    get diagnostics v_moved = row_count;
    return v_moved > 0;
end
$$;

CREATE FUNCTION smf.ccee_record_batch(p_items jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select count(*) filter (where smf.ccee_record_at(
        (i ->> 'uc')::int, (i ->> 'day')::date, i ->> 'holder', (i ->> 'attempt')::int, i ->> 'trigger',
        (i ->> 'started')::timestamptz, i ->> 'hash', i ->> 'body', (i ->> 'status')::int, i ->> 'response',
        i ->> 'outcome', i -> 'reasons', i ->> 'warning', i ->> 'fingerprint', p_now, o.open_from))::int
    from jsonb_array_elements(p_items) i
    cross join (select smf.ccee_open_from(p_now) as open_from) o
$$;

CREATE FUNCTION smf.ccee_record_verdict(p_uc_code text, p_day date, p_consistida integer, p_rejeitada integer, p_detail jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with u as (
        update smf.ccee_uc_day set verdict_consistida = p_consistida, verdict_rejeitada = p_rejeitada,
                                   verdict_detail = p_detail, verdict_at = p_now
        where consumer_unit_id = smf.uc_id(p_uc_code) and day = p_day
        returning 1
    )
    select exists (select 1 from u)
$$;

CREATE FUNCTION smf.ccee_release(p_uc_code text, p_day date, p_by text, p_reason text, p_now timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v_uc int := smf.uc_id(p_uc_code);
    v_row smf.ccee_uc_day;
    v_id bigint;
begin
    if coalesce(length(trim(p_reason)), 0) < 3 then
        raise exception using errcode = 'SMF02', message = 'a release needs a reason (at least 3 characters)';
    end if;
    if coalesce(trim(p_by), '') = '' then
        raise exception using errcode = 'SMF02', message = 'a release needs who releases it';
    end if;
    select * into v_row from smf.ccee_uc_day d where d.consumer_unit_id = v_uc and d.day = p_day for update;
    if not found or v_row.state <> 'held'
       or not coalesce(v_row.hold_reasons @> '[{"code": "musd_exceeded"}]', false) then
        raise exception using errcode = 'SMF02',
            message = format('UC %s day %s is not held by the MUSD rule (state %s%s); only MUSD holds are released',
                             p_uc_code, p_day, coalesce(v_row.state, 'never queued'),
                             coalesce(', reasons ' || (select string_agg(r ->> 'code', ', ')
                                                       from jsonb_array_elements(v_row.hold_reasons) r), ''));
    end if;
    insert into smf.ccee_release (consumer_unit_id, day, hold_reason, released_by, reason, released_at)
    values (v_uc, p_day, 'musd_exceeded', trim(p_by), trim(p_reason), p_now)
    returning id into v_id;
    update smf.ccee_uc_day set state = 'due', next_try_at = p_now, trigger = 'release', updated_at = p_now
    where consumer_unit_id = v_uc and day = p_day;
    return v_id;
end
$$;

CREATE FUNCTION smf.ccee_release_claims(p_holders text[], p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with r as (
        update smf.ccee_uc_day set state = 'due', claimed_by = null, claim_expires = null, next_try_at = p_now,
                                   updated_at = p_now
        where state = 'claimed' and claimed_by = any (p_holders)
        returning 1
    )
    select count(*)::int from r
$$;

CREATE FUNCTION smf.ccee_stamps(p_day date) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array_agg(to_char(p_day::timestamp + (g + 1) * interval '5 minutes',
                             'YYYY-MM-DD"T"HH24:MI:SS"-03:00"') order by g)
    from generate_series(0, 287) g
$$;

CREATE FUNCTION smf.ccee_today(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select ((p_now at time zone 'UTC') - interval '3 hours')::date
$$;

CREATE FUNCTION smf.contract_hourly_of(p_contract integer, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.contract_id(p_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.contract_modulation(p_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select m.* from smf.contract_hourly_of(smf.contract_id(p_code), p_month) m
$$;

CREATE FUNCTION smf.contract_month_mwh(p_contract integer, p_month date) RETURNS TABLE(mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.contract_seasonalization(p_code text, p_year integer) RETURNS TABLE(month date, hours integer, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select m::date, smf.local_month_hours(m::date), v.mwh, v.method
    from generate_series(make_date(p_year, 1, 1), make_date(p_year, 12, 1), interval '1 month') m
    cross join lateral smf.contract_month_mwh(smf.contract_id(p_code), m::date) v
    order by 1
$$;

CREATE FUNCTION smf.contracted_demand(p_uc integer, p_demand_posto text) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case p_demand_posto when 'ponta' then contracted_demand_ponta_kw
                               else contracted_demand_fora_ponta_kw end
    from smf.consumer_unit where id = p_uc
$$;

CREATE FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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
           smf.demand_overrun_kw(d.kw, d.contracted, d.tol), smf.demand_excess_kw(d.dmcr, d.contracted)
    from d
    order by 1 desc, 2 desc
$$;

CREATE FUNCTION smf.demand_excess_kw(p_dmcr numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select greatest(p_dmcr - p_contracted, 0)
$$;

CREATE FUNCTION smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select case when p_measured > p_contracted * (1 + p_tolerance) then p_measured - p_contracted
                when p_measured is not null and p_contracted is not null then 0 end
$$;

CREATE FUNCTION smf.demand_series(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, demand_posto text, demand_kw_raw numeric, demand_kw numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select q.ts, q.local_ts, q.demand_posto, q.p_kwh_raw * 4, q.p_kwh * 4, q.n_present, q.n_expected
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    order by q.ts
$$;

CREATE FUNCTION smf.easter_sunday(p_year integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select make_date(p_year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    from (select a, h, l, (a + 11 * h + 22 * l) / 451 as m
          from (select a, h, (32 + 2 * e + 2 * i - h - k) % 7 as l
                from (select a, e, i, k, (19 * a + b - d - g + 15) % 30 as h
                      from (select p_year % 19 as a, p_year / 100 as b, p_year % 100 / 4 as i,
                                   p_year % 100 % 4 as k, p_year / 100 / 4 as d, p_year / 100 % 4 as e,
                                   (p_year / 100 - (p_year / 100 + 8) / 25 + 1) / 3 as g) s1) s2) s3) s4
$$;

CREATE FUNCTION smf.energy_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select array['active_fwd_wh', 'active_rev_wh', 'reactive_ind_fwd_varh', 'reactive_ind_rev_varh',
                 'reactive_cap_fwd_varh', 'reactive_cap_rev_varh']
$$;

CREATE FUNCTION smf.exposure_hourly(p_uc_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select e.* from smf.exposure_hourly_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month) e
$$;

CREATE FUNCTION smf.exposure_hourly_of(p_uc integer, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.exposure_month(p_uc_code text, p_month date) RETURNS TABLE(uc_code text, month date, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, value_brl numeric, hours_without_pld integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select p_uc_code, date_trunc('month', p_month)::date, round(sum(e.consumption_mwh), 6),
           round(sum(e.contracted_mwh), 6), round(sum(e.exposure_mwh), 6), sum(e.value_brl),
           count(*) filter (where e.pld is null)::int
    from smf.exposure_hourly(p_uc_code, p_month) e
$$;

CREATE FUNCTION smf.holiday_dates(p_rules text[], p_from_year integer, p_to_year integer) RETURNS TABLE(day date, rule_code text, name text)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select case when r.easter_offset is null then make_date(y, r.fixed_month, r.fixed_day)
                else smf.easter_sunday(y) + r.easter_offset end,
           r.code, r.name
    from smf.holiday_rule r
    cross join generate_series(p_from_year, p_to_year) y
    where r.code = any (p_rules) and y between r.first_year and r.last_year
$$;

CREATE FUNCTION smf.ingest_begin(p_source smf.reading_source, p_origin text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp'
    AS $$
declare
    v_batch int;
begin
    drop view if exists pg_temp.ingest_valid;  -- depends on the previous batch's tables
    drop table if exists pg_temp.ingest_stage;
    create temp table ingest_stage (
        line_no bigint generated by default as identity,
        meter_id int,
        meter_serial text,
        ts text,
        active_fwd_kwh float8,
        active_rev_kwh float8,
        reactive_ind_fwd_kvarh float8,
        reactive_ind_rev_kvarh float8,
        reactive_cap_fwd_kvarh float8,
        reactive_cap_rev_kvarh float8,
        voltage_a_v float8,
        voltage_b_v float8,
        voltage_c_v float8,
        current_a_a float8,
        current_b_a float8,
        current_c_a float8,
        quality text,
        source text
    ) on commit drop;
    insert into smf.ingest_batch (source, origin) values (p_source, p_origin) returning id into v_batch;
    return v_batch;
end
$$;

CREATE FUNCTION smf.ingest_finish(p_batch integer, p_line_offset integer DEFAULT 0) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS $_$
declare
    v_qualities text[] := enum_range(null::smf.quality)::text[];
    v_sources text[] := enum_range(null::smf.reading_source)::text[];
    v_line bigint;
    v_text text;
    v_source smf.reading_source;
    v_rows bigint;
    v_ins bigint := 0;
    v_upd bigint := 0;
    v_rejected bigint;
    v_fresh boolean;
    v_quarantined jsonb;
begin
    select source into v_source from smf.ingest_batch where id = p_batch and finished_at is null;
    if not found then
        raise exception using errcode = 'SMF02', message = format('batch %s is not open', p_batch);
    end if;
    select count(*) into v_rows from ingest_stage;

    raise debug 'ingest batch % classify at %', p_batch, clock_timestamp();
    -- 1. One pass over the staged rows. A malformed row (problem) rejects the whole batch; a row
    -- that breaks a rule (reason) goes to quarantine. Only such rows are written.
    drop view if exists pg_temp.ingest_valid;
    drop table if exists pg_temp.ingest_bad;
    begin
        create temp table ingest_bad on commit drop as
        select line_no, meter_ref, ts, problem, reason from (
            select s.line_no, s.meter_ref, s.t as ts,
                case
                    when s.ts is null then 'timestamp is missing'
                    when not s.ts_ok then format('timestamp %L is not ISO 8601 with a UTC offset '
                                                 'or Z (e.g. 2026-10-01T00:05:00-03:00)', s.ts)
                    when s.meter_id is null and coalesce(s.meter_serial, '') = ''
                        then 'no meter (meter_serial or meter_id) given'
                    when s.quality <> all (v_qualities)
                        then format('quality %L is not one of %s', s.quality, v_qualities)
                    when s.source <> all (v_sources)
                        then format('source %L is not one of %s', s.source, v_sources)
                end as problem,
                case
                    when m.id is null then 'unknown_meter'
                    when date_part('epoch', s.t) / m.step_s <> floor(date_part('epoch', s.t) / m.step_s)
                        then 'off_grid'
                    when s.t + m.step > now() then 'future'
                    when greatest(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh,
                s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a,
                s.current_c_a) >= 'Infinity'::float8
                        or least(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh,
                s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a,
                s.current_c_a) = '-Infinity'::float8 then 'non_finite'
                    when least(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh) < 0 then 'negative_energy'
                    when least(s.voltage_a_v, s.voltage_b_v, s.voltage_c_v, s.current_a_a, s.current_b_a, s.current_c_a) < 0 then 'negative_value'
                    when greatest(s.active_fwd_kwh, s.active_rev_kwh, s.reactive_ind_fwd_kvarh,
                s.reactive_ind_rev_kvarh, s.reactive_cap_fwd_kvarh, s.reactive_cap_rev_kvarh) > m.max_kwh
                        or greatest(s.voltage_a_v, s.voltage_b_v, s.voltage_c_v) > m.max_v
                        or greatest(s.current_a_a, s.current_b_a, s.current_c_a) > m.max_a
                        then 'above_physical_max'
                end as reason
            from (
                select s.*, case when s.ts_ok then s.ts::timestamptz end as t,
                       coalesce(s.meter_id, ms.id) as resolved_id,
                       coalesce(s.meter_serial, s.meter_id::text) as meter_ref
                from (
                    select s.*, substr(s.ts, 5, 1) = '-' and substr(s.ts, 8, 1) = '-'
                        and substr(s.ts, 11, 1) in ('T', ' ') and substr(s.ts, 14, 1) = ':'
                        and (right(s.ts, 1) in ('Z', 'z')
                        or substr(s.ts, length(s.ts) - 5, 1) in ('+', '-')  -- +hh:mm
                        or substr(s.ts, length(s.ts) - 4, 1) in ('+', '-')  -- +hhmm
                        or substr(s.ts, length(s.ts) - 2, 1) in ('+', '-')) -- +hh
                        as ts_ok
                    from ingest_stage s
                    offset 0  -- fences: each expression is evaluated once per row
                ) s
                left join smf.meter ms on s.meter_id is null and ms.serial = s.meter_serial
                offset 0
            ) s
            left join (
                select id, interval_minutes * 60.0::float8 as step_s,
                       interval_minutes * interval '1 minute' as step,
                       least(max_power_kw * interval_minutes / 60.0, 2000000)::float8 as max_kwh,
                       least(max_voltage_v, 2000000)::float8 as max_v,
                       least(max_current_a, 2000000)::float8 as max_a
                from smf.meter
            ) m on m.id = s.resolved_id
            offset 0
        ) k
        where problem is not null or reason is not null;
    exception when invalid_datetime_format or datetime_field_overflow
                   or invalid_time_zone_displacement_value then
        -- Slow path, taken only on error: find the first timestamp that does not parse.
        for v_line, v_text in select line_no, ts from ingest_stage order by line_no loop
            begin
                perform v_text::timestamptz;
            exception when others then
                perform smf.ingest_reject(v_line + p_line_offset,
                    format('timestamp %L: %s', v_text, sqlerrm));
            end;
        end loop;
        raise;
    end;

    select line_no, problem into v_line, v_text from ingest_bad
    where problem is not null order by line_no limit 1;
    if found then
        perform smf.ingest_reject(v_line + p_line_offset, v_text);
    end if;

    raise debug 'ingest batch % valid view at %', p_batch, clock_timestamp();
    -- 2. The valid rows, in stored units.
    execute format($v$
        create or replace temp view ingest_valid as
        select s.line_no, coalesce(s.meter_id, ms.id) as meter_id, s.ts::timestamptz as ts,
            round(s.active_fwd_kwh * 1000)::int as active_fwd_wh,
            round(s.active_rev_kwh * 1000)::int as active_rev_wh,
            round(s.reactive_ind_fwd_kvarh * 1000)::int as reactive_ind_fwd_varh,
            round(s.reactive_ind_rev_kvarh * 1000)::int as reactive_ind_rev_varh,
            round(s.reactive_cap_fwd_kvarh * 1000)::int as reactive_cap_fwd_varh,
            round(s.reactive_cap_rev_kvarh * 1000)::int as reactive_cap_rev_varh,
            round(s.voltage_a_v * 1000)::int as voltage_a_mv,
            round(s.voltage_b_v * 1000)::int as voltage_b_mv,
            round(s.voltage_c_v * 1000)::int as voltage_c_mv,
            round(s.current_a_a * 1000)::int as current_a_ma,
            round(s.current_b_a * 1000)::int as current_b_ma,
            round(s.current_c_a * 1000)::int as current_c_ma,
            coalesce(s.quality, 'measured')::smf.quality as quality,
            coalesce(s.source::smf.reading_source, %L) as source
        from ingest_stage s
        left join smf.meter ms on s.meter_id is null and ms.serial = s.meter_serial
        where not exists (select 1 from ingest_bad b where b.line_no = s.line_no)$v$, v_source);

    raise debug 'ingest batch % spans at %', p_batch, clock_timestamp();
    -- Per meter, the span the batch covers; if no stored row lies in any span, a plain insert
    -- suffices (the common case of new data).
    drop table if exists pg_temp.ingest_touched;
    create temp table ingest_touched on commit drop as
    select meter_id, min(ts) as lo, max(ts) as hi from ingest_valid group by meter_id;
    analyze ingest_touched;
    select not exists (select 1 from ingest_touched t join smf.interval_reading r
                       on r.meter_id = t.meter_id and r.ts between t.lo and t.hi) into v_fresh;

    raise debug 'ingest batch % merge at %', p_batch, clock_timestamp();
    -- 3. Merge. Changed rows are updated; the trigger keeps the old version in history.
    perform set_config('smf.batch_id', p_batch::text, true);
    if coalesce(current_setting('smf.change_reason', true), '') = '' then
        perform set_config('smf.change_reason', format('ingest batch %s', p_batch), true);
    end if;
    begin
        if v_fresh then
            insert into smf.interval_reading (meter_id, ts,
                active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
                quality, source, batch_id)
            select meter_id, ts,
                active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
                quality, source, p_batch
            from ingest_valid;
            get diagnostics v_ins = row_count;
        else
            select inserted, updated into v_ins, v_upd from smf.ingest_upsert(p_batch);
        end if;
    exception when unique_violation or cardinality_violation then
        -- Slow path: the batch holds one key twice. Differing copies are conflicts (all
        -- quarantined); identical copies are kept once. Then merge again.
        insert into ingest_bad (line_no, meter_ref, ts, reason)
        select v.line_no, coalesce(s.meter_serial, s.meter_id::text), v.ts,
            case when count(*) over k <> count(*) over k_same then 'duplicate_conflict'
                 when row_number() over k_first > 1 then 'duplicate_identical' end
        from ingest_valid v join ingest_stage s using (line_no)
        where (v.meter_id, v.ts) in (select meter_id, ts from ingest_valid
                                     group by 1, 2 having count(*) > 1)
        window k as (partition by v.meter_id, v.ts),
               k_same as (partition by v.meter_id, v.ts,
                    v.active_fwd_wh, v.active_rev_wh, v.reactive_ind_fwd_varh,
                    v.reactive_ind_rev_varh, v.reactive_cap_fwd_varh, v.reactive_cap_rev_varh,
                    v.voltage_a_mv, v.voltage_b_mv, v.voltage_c_mv, v.current_a_ma,
                    v.current_b_ma, v.current_c_ma, v.quality, v.source),
               k_first as (k_same order by v.line_no);
        delete from ingest_bad where reason is null;
        select inserted, updated into v_ins, v_upd from smf.ingest_upsert(p_batch);
    end;

    raise debug 'ingest batch % quarantine+rollups at %', p_batch, clock_timestamp();
    -- 4. Quarantine, then the rollups of every touched bucket, in this transaction.
    insert into smf.ingest_quarantine (batch_id, line_no, meter_ref, ts, reason, detail)
    select p_batch, b.line_no + p_line_offset, b.meter_ref, b.ts, b.reason, row_to_json(s)::text
    from ingest_bad b join ingest_stage s using (line_no)
    where b.reason <> 'duplicate_identical';
    perform smf.rollup_refresh(array_agg(meter_id), array_agg(lo), array_agg(hi)) from ingest_touched;

    raise debug 'ingest batch % done at %', p_batch, clock_timestamp();
    select coalesce(sum(n) filter (where reason <> 'duplicate_identical'), 0),
           coalesce(jsonb_object_agg(reason, n) filter (where reason <> 'duplicate_identical'), '{}')
    into v_rejected, v_quarantined
    from (select reason, count(*) as n from ingest_bad group by reason) g;
    update smf.ingest_batch set finished_at = clock_timestamp(), rows_in = v_rows, inserted = v_ins,
        updated = v_upd, unchanged = v_rows - v_rejected - v_ins - v_upd, quarantined = v_quarantined
    where id = p_batch;
    return jsonb_build_object('batch_id', p_batch, 'rows', v_rows, 'inserted', v_ins,
        'updated', v_upd, 'unchanged', v_rows - v_rejected - v_ins - v_upd,
        'quarantined', v_quarantined);
end
$_$;

CREATE FUNCTION smf.ingest_reject(p_line bigint, p_message text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS $$
begin
    raise exception using errcode = 'SMF01', message = format('line %s: %s', p_line, p_message),
        hint = p_line::text;
end
$$;

CREATE FUNCTION smf.ingest_upsert(p_batch integer, OUT inserted bigint, OUT updated bigint) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    AS $_$
declare
    v_lo timestamptz;
    v_hi timestamptz;
begin
    -- One key twice in the batch goes to the caller's duplicate handling; the delta below would
    -- otherwise hide a copy equal to the stored row behind its conflicting twin.
    if exists (select from ingest_valid group by meter_id, ts having count(*) > 1) then
        raise exception using errcode = 'cardinality_violation',
            message = 'the batch holds an interval twice';
    end if;
    -- Only rows that are new or differ go to the upsert: ON CONFLICT locks (and so rewrites)
    -- every existing row it meets, which made re-importing an unchanged file write all of it.
    select min(lo), max(hi) into v_lo, v_hi from ingest_touched;
    drop table if exists pg_temp.ingest_delta;
    execute format($q$
        create temp table ingest_delta on commit drop as
        select v.* from ingest_valid v
        where not exists (
            select 1 from smf.interval_reading r
            where r.meter_id = v.meter_id and r.ts = v.ts and r.ts between %L and %L
              and (r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh,
                   r.reactive_ind_rev_varh, r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh,
                   r.voltage_a_mv, r.voltage_b_mv, r.voltage_c_mv, r.current_a_ma,
                   r.current_b_ma, r.current_c_ma, r.quality, r.source)
                  is not distinct from
                  (v.active_fwd_wh, v.active_rev_wh, v.reactive_ind_fwd_varh,
                   v.reactive_ind_rev_varh, v.reactive_cap_fwd_varh, v.reactive_cap_rev_varh,
                   v.voltage_a_mv, v.voltage_b_mv, v.voltage_c_mv, v.current_a_ma,
                   v.current_b_ma, v.current_c_ma, v.quality, v.source))$q$, v_lo, v_hi);
    drop table if exists pg_temp.ingest_changed;
    create temp table ingest_changed on commit drop as
    with up as (
        insert into smf.interval_reading as r (meter_id, ts,
            active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
            quality, source, batch_id)
        select meter_id, ts,
            active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh, reactive_ind_rev_varh,
            reactive_cap_fwd_varh, reactive_cap_rev_varh, voltage_a_mv, voltage_b_mv,
            voltage_c_mv, current_a_ma, current_b_ma, current_c_ma,
            quality, source, p_batch
        from ingest_delta
        on conflict (meter_id, ts) do update set
            active_fwd_wh = excluded.active_fwd_wh,
            active_rev_wh = excluded.active_rev_wh,
            reactive_ind_fwd_varh = excluded.reactive_ind_fwd_varh,
            reactive_ind_rev_varh = excluded.reactive_ind_rev_varh,
            reactive_cap_fwd_varh = excluded.reactive_cap_fwd_varh,
            reactive_cap_rev_varh = excluded.reactive_cap_rev_varh,
            voltage_a_mv = excluded.voltage_a_mv,
            voltage_b_mv = excluded.voltage_b_mv,
            voltage_c_mv = excluded.voltage_c_mv,
            current_a_ma = excluded.current_a_ma,
            current_b_ma = excluded.current_b_ma,
            current_c_ma = excluded.current_c_ma,
            quality = excluded.quality,
            source = excluded.source,
            batch_id = excluded.batch_id
        where (r.active_fwd_wh, r.active_rev_wh, r.reactive_ind_fwd_varh, r.reactive_ind_rev_varh,
              r.reactive_cap_fwd_varh, r.reactive_cap_rev_varh, r.voltage_a_mv, r.voltage_b_mv,
              r.voltage_c_mv, r.current_a_ma, r.current_b_ma, r.current_c_ma, r.quality,
              r.source)
              is distinct from (excluded.active_fwd_wh, excluded.active_rev_wh, excluded.reactive_ind_fwd_varh,
              excluded.reactive_ind_rev_varh, excluded.reactive_cap_fwd_varh,
              excluded.reactive_cap_rev_varh, excluded.voltage_a_mv, excluded.voltage_b_mv,
              excluded.voltage_c_mv, excluded.current_a_ma, excluded.current_b_ma,
              excluded.current_c_ma, excluded.quality, excluded.source)
        returning r.meter_id, r.ts, (r.xmax = 0) as is_insert
    )
    select meter_id, min(ts) as lo, max(ts) as hi,
           count(*) filter (where is_insert) as n_ins, count(*) filter (where not is_insert) as n_upd
    from up group by meter_id;
    select coalesce(sum(n_ins), 0), coalesce(sum(n_upd), 0) into inserted, updated
    from ingest_changed;
    truncate ingest_touched;
    insert into ingest_touched select meter_id, lo, hi from ingest_changed;
end
$_$;

CREATE FUNCTION smf.interval_reading_keep_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    insert into smf.interval_reading_history
    select (old).*, now(),
           nullif(current_setting('smf.batch_id', true), '')::int,
           coalesce(nullif(current_setting('smf.changed_by', true), ''), current_user),
           nullif(current_setting('smf.change_reason', true), '');
    return new;
end
$$;

CREATE FUNCTION smf.is_business_day(p_day date, p_purpose text DEFAULT 'ccee'::text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select extract(isodow from p_day) < 6
       and not exists (select 1 from smf.holiday
                       where calendar_id = smf.calendar_for(p_purpose, p_day) and day = p_day)
$$;

CREATE FUNCTION smf.job_run_finish(p_id bigint, p_outcome text, p_counts jsonb, p_error text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    update smf.job_run set finished_at = clock_timestamp(), outcome = p_outcome,
                           counts = coalesce(p_counts, '{}'), error = p_error
    where id = p_id
$$;

CREATE FUNCTION smf.job_run_start(p_job text, p_holder text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    insert into smf.job_run (job, holder) values (p_job, p_holder) returning id
$$;

CREATE FUNCTION smf.lastro_penalty(p_uc_code text, p_month date) RETURNS TABLE(window_from date, window_to date, consumption_mwh numeric, contracted_mwh numeric, shortfall_mwh numeric, mean_pld numeric, reference_value numeric, price numeric, penalty_brl numeric, penalty_month_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.local_month_hours(p_month date) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select (extract(epoch from smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)
            - smf.local_month_start(p_month)) / 3600)::int
$$;

CREATE FUNCTION smf.local_month_start(p_month date) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select date_trunc('month', p_month)::timestamp at time zone smf.local_timezone()
$$;

CREATE FUNCTION smf.local_timezone() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select value from smf.setting where key = 'local_timezone'), 'America/Sao_Paulo')
$$;

CREATE FUNCTION smf.m_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.add_business_days(date_trunc('month', p_month)::date - 1, p_n, 'ccee')
$$;

CREATE FUNCTION smf.measured_demand(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(demand_posto text, contracted_kw numeric, measured_kw numeric, measured_at timestamp with time zone, tolerance numeric, limit_kw numeric, overrun_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select c.posto, c.contracted_kw, round(c.measured_kw, 3), c.measured_at, c.tolerance,
           round(c.contracted_kw * (1 + c.tolerance), 3), round(c.overrun_kw, 3)
    from smf.cycle_evaluation_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) c
    where c.kind = 'demand'
$$;

CREATE FUNCTION smf.meter_gaps(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(gap_start timestamp with time zone, gap_end timestamp with time zone, intervals integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with m as (select make_interval(mins => interval_minutes) as step from smf.meter where id = p_meter),
    missing as (
        select ts, ts - (row_number() over (order by ts))::int * (select step from m) as island
        from smf.meter_missing_intervals(p_meter, p_from, p_to) ts
    )
    select min(ts), max(ts) + (select step from m), count(*)::int
    from missing group by island order by 1
$$;

CREATE FUNCTION smf.meter_interval_grid(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select g
    from smf.meter m,
         lateral (select make_interval(mins => m.interval_minutes) as step,
                         to_timestamp(ceil(extract(epoch from p_from) / (m.interval_minutes * 60))
                                      * m.interval_minutes * 60) as first) k,
         lateral generate_series(k.first, p_to - interval '1 microsecond', k.step) g
    where m.id = p_meter
$$;

CREATE FUNCTION smf.meter_last_interval(p_meter integer) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select max(ts) from smf.interval_reading where meter_id = p_meter and quality <> 'missing'
$$;

CREATE FUNCTION smf.meter_lease_acquire(p_meter integer, p_holder text, p_seconds integer) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    insert into smf.meter_session_lease as l (meter_id, holder, expires_at)
    values (p_meter, p_holder, clock_timestamp() + make_interval(secs => p_seconds))
    on conflict (meter_id) do update
        set holder = excluded.holder, expires_at = excluded.expires_at
        where l.holder = excluded.holder or l.expires_at < clock_timestamp()
    returning true
$$;

CREATE FUNCTION smf.meter_lease_release(p_meter integer, p_holder text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    delete from smf.meter_session_lease where meter_id = p_meter and holder = p_holder
$$;

CREATE FUNCTION smf.meter_missing_intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select g.ts
    from smf.meter_interval_grid(p_meter, p_from, p_to) g(ts)
    where not exists (select 1 from smf.interval_reading r
                      where r.meter_id = p_meter and r.ts = g.ts and r.quality <> 'missing')
    order by g.ts
$$;

CREATE FUNCTION smf.meter_poll_health(p_meter integer) RETURNS TABLE(last_attempt_at timestamp with time zone, last_outcome text, last_ok_at timestamp with time zone, failures_since_ok bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    with last_ok as (select max(started_at) as at from smf.poll_attempt
                     where meter_id = p_meter and outcome = 'ok')
    select a.started_at, a.outcome, (select at from last_ok),
           (select count(*) from smf.poll_attempt f where f.meter_id = p_meter
              and f.outcome <> 'ok' and f.started_at > coalesce((select at from last_ok), '-infinity'))
    from smf.poll_attempt a where a.meter_id = p_meter order by a.started_at desc limit 1
$$;

CREATE FUNCTION smf.meter_recent_outages(p_meter integer, p_n integer DEFAULT 20) RETURNS TABLE(start_at timestamp with time zone, end_at timestamp with time zone, duration_s numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select start_at, end_at, extract(epoch from end_at - start_at)
    from smf.meter_outage where meter_id = p_meter order by start_at desc limit p_n
$$;

CREATE FUNCTION smf.meter_refuse_delete_with_readings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
begin
    if exists (select 1 from smf.interval_reading where meter_id = old.id) then
        raise exception using errcode = 'SMF02',
            message = format('meter %s (id %s) has stored readings and cannot be deleted; disable it instead',
                             old.serial, old.id);
    end if;
    return old;
end
$$;

CREATE FUNCTION smf.ms_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select smf.add_business_days((date_trunc('month', p_month) + interval '1 month')::date - 1, p_n, 'ccee')
$$;

CREATE FUNCTION smf.musd_check(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select c.* from smf.musd_check_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                                      smf.musd_factor_checked(p_factor, p_month), p_with_losses) c
$$;

CREATE FUNCTION smf.musd_check_hours(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, excess_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour, h.local_hour, round(h.kwh, 3), round(h.limit_kwh, 3), round(h.kwh - h.limit_kwh, 3)
    from smf.musd_hours_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month,
                           smf.musd_factor_checked(p_factor, p_month), p_with_losses) h
    where h.exceeds
$$;

CREATE FUNCTION smf.musd_check_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select cu.uc_code::text, date_trunc('month', p_month)::date, cu.musd_kw, p_factor, round(max(h.limit_kwh), 3),
           count(h.kwh)::int, count(*) filter (where h.exceeds)::int, round(max(h.kwh), 3),
           case when cu.musd_kw is null then 'no_musd'
                when bool_or(h.exceeds) then 'rejected' else 'accepted' end
    from smf.consumer_unit cu
    cross join smf.musd_hours_of(p_uc, p_month, p_factor, p_with_losses) h
    where cu.id = p_uc
    group by cu.uc_code, cu.musd_kw
$$;

CREATE FUNCTION smf.musd_factor_checked(p_factor numeric, p_month date) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v numeric := coalesce(p_factor, smf.rule_param('musd_factor', date_trunc('month', p_month)::date));
begin
    if v <= 0 then
        raise exception using errcode = 'SMF02', message = format('MUSD factor must be positive, got %s', v);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.musd_hours_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, exceeds boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.pld_import(p_months text[], p_submarkets text[], p_days integer[], p_hours integer[], p_prices numeric[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v int;
    bad record;
begin
    select i, p_months[i] as m, p_submarkets[i] as s, p_days[i] as d, p_hours[i] as h, p_prices[i] as p
    into bad
    from generate_subscripts(p_months, 1) i
    where p_months[i] !~ '^[0-9]{4}-?[0-9]{2}$' or smf.pld_submarket(p_submarkets[i]) is null
       or p_hours[i] not between 0 and 23 or p_prices[i] is null or p_days[i] is null
       or p_days[i] not between 1 and extract(day from date_trunc('month', to_date(replace(p_months[i], '-', ''), 'YYYYMM'))
                                                     + interval '1 month - 1 day')
    order by i limit 1;
    if found then
        raise exception using errcode = 'SMF02',
            message = format('PLD row %s is invalid: month %s, submarket %s, day %s, hour %s, price %s',
                             bad.i, bad.m, bad.s, bad.d, bad.h, bad.p);
    end if;
    insert into smf.pld (submarket, hour, price)
    select smf.pld_submarket(p_submarkets[i]),
           (to_date(replace(p_months[i], '-', ''), 'YYYYMM') + (p_days[i] - 1) + make_interval(hours => p_hours[i]))
               at time zone smf.local_timezone(),
           p_prices[i]
    from generate_subscripts(p_months, 1) i
    on conflict (submarket, hour) do update set price = excluded.price
        where smf.pld.price is distinct from excluded.price;
    get diagnostics v = row_count;
    return v;
end
$_$;

CREATE FUNCTION smf.pld_submarket(p_name text) RETURNS smf.submarket
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v text := upper(translate(trim(coalesce(p_name, '')), 'áéíóúãõâêôç', 'aeiouaoaeoc'));
begin
    return case
        when v in ('SUDESTE', 'SE/CO', 'SECO', 'SE', 'SUDESTE/CENTRO-OESTE') then 'SE/CO'
        when v in ('SUL', 'S') then 'S'
        when v in ('NORDESTE', 'NE') then 'NE'
        when v in ('NORTE', 'N') then 'N'
    end::smf.submarket;
end
$$;

CREATE FUNCTION smf.posto_at(p_uc_code text, p_ts timestamp with time zone) RETURNS TABLE(local_ts timestamp without time zone, posto text, demand_posto text, reactive_window text, reservado boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_uc int := smf.uc_id(p_uc_code);
begin
    return query
    select p_ts at time zone smf.local_timezone(), l.posto, l.demand_posto, l.reactive_window, l.reservado
    from smf.uc_quarter_labels(v_uc, p_ts, p_ts + interval '1 microsecond') l
    where l.posto is not null;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for the distributor of consumer unit %s on %s', p_uc_code,
                             (p_ts at time zone smf.local_timezone())::date);
    end if;
end
$$;

CREATE FUNCTION smf.posto_schedule_validate() RETURNS trigger
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
declare
    v_day date := coalesce(lower(new.valid_during), current_date);
    v_ps int := extract(epoch from new.ponta_start)::int / 60;
    v_cs int := extract(epoch from new.capacitive_start)::int / 60;
    v_span_lo int := smf.rule_param('capacitive_span_start_min', v_day)::int;
    v_span_hi int := smf.rule_param('capacitive_span_end_min', v_day)::int;
    v_cs_rel int;
    v_t text;
begin
    foreach v_t in array array[new.ponta_start::text, new.capacitive_start::text,
                               coalesce(new.reservado_start::text, '00:00:00')] loop
        if extract(epoch from v_t::time)::int % 900 <> 0 then
            raise exception using errcode = 'SMF02',
                message = format('posto schedule time %s is not on the 15-minute grid', left(v_t, 5));
        end if;
    end loop;
    if new.ponta_minutes <> smf.rule_param('ponta_minutes', v_day) or v_ps + new.ponta_minutes > 1440 then
        raise exception using errcode = 'SMF02',
            message = format('ponta must be %s consecutive minutes within one day, got %s from %s',
                             smf.rule_param('ponta_minutes', v_day), new.ponta_minutes, left(new.ponta_start::text, 5));
    end if;
    v_cs_rel := case when v_cs >= 720 then v_cs - 1440 else v_cs end;
    if new.capacitive_minutes <> smf.rule_param('capacitive_window_minutes', v_day)
       or v_cs_rel < v_span_lo or v_cs_rel + new.capacitive_minutes > v_span_hi then
        raise exception using errcode = 'SMF02',
            message = format('capacitive window %s-%s is not %s consecutive minutes inside %s-%s',
                left(new.capacitive_start::text, 5),
                left((new.capacitive_start + make_interval(mins => new.capacitive_minutes))::text, 5),
                smf.rule_param('capacitive_window_minutes', v_day),
                left(('00:00'::time + make_interval(mins => v_span_lo))::text, 5),
                left(('00:00'::time + make_interval(mins => v_span_hi))::text, 5));
    end if;
    if new.reservado_minutes is not null
       and (new.reservado_minutes <= 0 or new.reservado_minutes >= 1440 or new.reservado_minutes % 15 <> 0) then
        raise exception using errcode = 'SMF02',
            message = format('reservado window of %s minutes is not a positive multiple of 15 below 24 h',
                             new.reservado_minutes);
    end if;
    if new.intermediario_minutes is not null
       and (new.intermediario_minutes <= 0 or new.intermediario_minutes % 15 <> 0
            or v_ps - new.intermediario_minutes < 0
            or v_ps + new.ponta_minutes + new.intermediario_minutes > 1440) then
        raise exception using errcode = 'SMF02',
            message = format('intermediario of %s minutes around ponta %s does not fit the day on the 15-minute grid',
                             new.intermediario_minutes, left(new.ponta_start::text, 5));
    end if;
    return new;
end
$$;

CREATE FUNCTION smf.require_cycle(p_uc integer, p_month date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS $$
declare
    v_code text;
    v_meter int;
    v_dist int;
    v_lo timestamptz := smf.local_month_start(p_month);
    v_hi timestamptz := smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date);
    v_day date;
begin
    select uc_code, main_meter_id, distributor_id into v_code, v_meter, v_dist
    from smf.consumer_unit where id = p_uc;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown consumer unit id %s', p_uc);
    end if;
    if v_meter is null then
        raise exception using errcode = 'SMF04', message = format('consumer unit %s has no main meter', v_code);
    end if;
    select d::date into v_day
    from generate_series(date_trunc('month', p_month), date_trunc('month', p_month) + interval '1 month - 1 day',
                         interval '1 day') d
    where not exists (select 1 from smf.posto_schedule s
                      where s.distributor_id = v_dist and s.valid_during @> d::date)
    order by 1 limit 1;
    if found then
        raise exception using errcode = 'SMF04',
            message = format('no posto schedule for the distributor of consumer unit %s on %s', v_code, v_day);
    end if;
    if not exists (select 1 from smf.rollup_15min
                   where meter_id = v_meter and bucket >= v_lo and bucket < v_hi) then
        raise exception using errcode = 'SMF04',
            message = format('no readings for consumer unit %s in %s', v_code, to_char(p_month, 'YYYY-MM'));
    end if;
    return p_uc;
end
$$;

CREATE FUNCTION smf.rollup_refresh(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS $_$
declare
    v_tz text := smf.local_timezone();
    v_raw text := smf.rollup_select_list(true);
    v_derived text := smf.rollup_select_list(false);
    v_min timestamptz;
    v_max timestamptz;
begin
    if cardinality(p_meter) is distinct from cardinality(p_lo)
       or cardinality(p_meter) is distinct from cardinality(p_hi) then
        raise exception using errcode = 'SMF02', message = 'rollup_refresh: arrays differ in length';
    end if;
    drop table if exists pg_temp.rollup_scope;
    create temp table rollup_scope on commit drop as
    select u.meter_id, m.interval_minutes,
           time_bucket('15 minutes', min(u.lo)) as lo15,
           time_bucket('15 minutes', max(u.hi)) + interval '15 minutes' as hi15,
           time_bucket('1 hour', min(u.lo)) as lo_h,
           time_bucket('1 hour', max(u.hi)) + interval '1 hour' as hi_h,
           (min(u.lo) at time zone v_tz)::date as lo_d,
           (max(u.hi) at time zone v_tz)::date as hi_d,
           date_trunc('month', min(u.lo) at time zone v_tz)::date as lo_m,
           date_trunc('month', max(u.hi) at time zone v_tz)::date as hi_m
    from unnest(p_meter, p_lo, p_hi) as u(meter_id, lo, hi)
    join smf.meter m on m.id = u.meter_id
    group by u.meter_id, m.interval_minutes;
    analyze rollup_scope;  -- lets the planner choose index probes for a few meters, scans for many
    -- Two transactions refreshing one meter would each delete only what it can see and insert
    -- the same buckets twice: serialise refreshes per meter (256 lock stripes, taken in order,
    -- so bulk imports cannot deadlock). The statements below then see the other's commit.
    perform pg_advisory_xact_lock(hashtext('smf.rollup_refresh'), stripe)
    from (select distinct meter_id % 256 as stripe from rollup_scope order by 1) s;
    select min(lo15), max(hi15) into v_min, v_max from rollup_scope;
    if v_min is null then
        return;
    end if;
    -- The literal outer bounds let TimescaleDB exclude chunks when planning.

    raise debug 'rollup_refresh 15min at %', clock_timestamp();
    delete from smf.rollup_15min r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo15 and r.bucket < s.hi15;
    execute format($q$
        insert into smf.rollup_15min
        select x.meter_id, time_bucket('15 minutes', x.ts), %s
        from smf.interval_reading x
        join rollup_scope s on s.meter_id = x.meter_id and x.ts >= s.lo15 and x.ts < s.hi15
        where x.ts >= %L and x.ts < %L
        group by x.meter_id, time_bucket('15 minutes', x.ts), s.interval_minutes$q$,
        format(v_raw, '15 / s.interval_minutes'), v_min, v_max);

    raise debug 'rollup_refresh hour at %', clock_timestamp();
    delete from smf.rollup_hour r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket >= s.lo_h and r.bucket < s.hi_h;
    execute format($q$
        insert into smf.rollup_hour
        select x.meter_id, time_bucket('1 hour', x.bucket), %s
        from smf.rollup_15min x
        join rollup_scope s on s.meter_id = x.meter_id and x.bucket >= s.lo_h and x.bucket < s.hi_h
        where x.bucket >= %L and x.bucket < %L
        group by x.meter_id, time_bucket('1 hour', x.bucket), s.interval_minutes$q$,
        format(v_derived, '60 / s.interval_minutes'),
        time_bucket('1 hour', v_min), time_bucket('1 hour', v_max) + interval '1 hour');

    raise debug 'rollup_refresh day at %', clock_timestamp();
    delete from smf.rollup_day r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_d and s.hi_d;
    execute format($q$
        insert into smf.rollup_day
        select x.meter_id, (x.bucket at time zone %1$L)::date as day, %2$s
        from smf.rollup_hour x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= (s.lo_d::timestamp at time zone %1$L)
            and x.bucket < ((s.hi_d + 1)::timestamp at time zone %1$L)
        group by x.meter_id, day, s.interval_minutes$q$,
        v_tz,
        format(v_derived, format(
            'min(extract(epoch from (((x.bucket at time zone %1$L)::date + 1)::timestamp at time zone %1$L)'
            ' - (((x.bucket at time zone %1$L)::date)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)));

    raise debug 'rollup_refresh month at %', clock_timestamp();
    delete from smf.rollup_month r using rollup_scope s
    where r.meter_id = s.meter_id and r.bucket between s.lo_m and s.hi_m;
    execute format($q$
        insert into smf.rollup_month
        select x.meter_id, date_trunc('month', x.bucket)::date as month, %s
        from smf.rollup_day x
        join rollup_scope s on s.meter_id = x.meter_id
            and x.bucket >= s.lo_m and x.bucket < (s.hi_m + interval '1 month')::date
        group by x.meter_id, month, s.interval_minutes$q$,
        format(v_derived, format(
            'min(extract(epoch from ((date_trunc(''month'', x.bucket) + interval ''1 month'')::timestamp at time zone %1$L)'
            ' - (date_trunc(''month'', x.bucket)::timestamp at time zone %1$L))::int / 60 / s.interval_minutes)',
            v_tz)));
    raise debug 'rollup_refresh done at %', clock_timestamp();
end
$_$;

CREATE FUNCTION smf.rollup_refresh_meter(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'public'
    AS $$
    select smf.rollup_refresh(array[p_meter], array[p_lo], array[p_hi])
$$;

CREATE FUNCTION smf.rollup_select_list(p_from_raw boolean) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
    select concat_ws(', ',
        (select string_agg(format('sum(x.%I)', c), ', ') from unnest(smf.energy_columns()) c),
        case when p_from_raw then
            'count(*) filter (where x.quality = ''measured''), count(*) filter (where x.quality = ''adjusted''), '
            'count(*) filter (where x.quality = ''estimated''), count(*) filter (where x.quality = ''missing'')'
        else 'sum(x.n_measured), sum(x.n_adjusted), sum(x.n_estimated), sum(x.n_missing)' end,
        '%s',  -- n_expected, filled in by the caller
        (select string_agg(
            case when p_from_raw then format('min(x.%1$I), max(x.%1$I), sum(x.%1$I), count(x.%1$I)', c)
            else format('min(x.%1$I), max(x.%2$I), sum(x.%3$I), sum(x.%4$I)', c || '_min', c || '_max',
                        c || '_sum', c || '_n') end, ', ')
         from unnest(smf.analog_columns()) c),
        case when p_from_raw then
            -- 15-minute demand: energy of the quarter hour (Wh) x 4 / 1000 = kW
            'round(sum(x.active_fwd_wh) * 4 / 1000.0, 3), min(time_bucket(''15 minutes'', x.ts))'
        -- the time of the highest demand, the earliest on ties (TimescaleDB last(value, key))
        else 'max(x.max_demand_kw), last(x.max_demand_at, x.max_demand_kw * 100000000000 '
             '- extract(epoch from x.max_demand_at))' end)
$_$;

CREATE FUNCTION smf.rollup_view_sql(p_table text, p_start text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
    select format(
        'select r.meter_id, m.serial, %s as bucket_start, %s, '
        'round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2) '
        'as completeness_pct, r.n_measured, r.n_adjusted, r.n_estimated, r.n_missing, '
        'r.n_expected, %s, r.max_demand_kw, r.max_demand_at '
        'from smf.%I r join smf.meter m on m.id = r.meter_id',
        p_start,
        (select string_agg(format('(r.%I / 1000.0)::numeric(18,3) as %I', c,
                                  regexp_replace(c, '_(wh|varh)$', '_k\1')), ', ')
         from unnest(smf.energy_columns()) c),
        (select string_agg(format(
            '(r.%1$I / 1000.0)::numeric(12,3) as %2$I_min, '
            '(r.%3$I / 1000.0)::numeric(12,3) as %2$I_max, '
            'round(r.%4$I / nullif(r.%5$I, 0) / 1000.0, 3) as %2$I_mean',
            c || '_min', regexp_replace(c, '_m(v|a)$', '_\1'), c || '_max', c || '_sum', c || '_n'),
            ', ')
         from unnest(smf.analog_columns()) c),
        p_table)
$_$;

CREATE FUNCTION smf.rule_param(p_key text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
declare
    v numeric;
begin
    select value into v from smf.rule_parameter where key = p_key and valid_during @> p_day;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no rule parameter %s valid on %s', p_key, p_day);
    end if;
    return v;
end
$$;

CREATE FUNCTION smf.setting_text(p_key text, p_default text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS $$
    select coalesce((select value from smf.setting where key = p_key), p_default)
$$;

CREATE FUNCTION smf.tariff_price(p_distributor integer, p_modality text, p_item text, p_posto text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select price from smf.tariff
    where distributor_id = p_distributor and modality = p_modality and item = p_item and posto = p_posto
      and valid_during @> p_day
$$;

CREATE FUNCTION smf.transformer_loss_default(p_uc_code text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select case when cu.supply_voltage_kv <= smf.rule_param('loss_voltage_threshold_kv', p_day)
                then smf.rule_param('loss_factor_up_to_threshold', p_day)
                else smf.rule_param('loss_factor_above_threshold', p_day) end
    from smf.consumer_unit cu where cu.id = smf.uc_id(p_uc_code)
$$;

CREATE FUNCTION smf.transformer_loss_factor(p_uc_code text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select coalesce((select factor from smf.transformer_loss
                     where consumer_unit_id = smf.uc_id(p_uc_code) and valid_during @> p_day), 0)
$$;

CREATE FUNCTION smf.uc_check_digit(p_digits text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
    select case when s % 11 < 2 then 0 else 11 - s % 11 end
    from (
        select sum(substr(p_digits, length(p_digits) - i, 1)::int
                   * case when i < 3 then 8 + i else i - 2 end) as s
        from generate_series(0, length(p_digits) - 1) as i
    ) t
    where p_digits ~ '^[0-9]{13,14}$'
$_$;

CREATE FUNCTION smf.uc_code_is_valid(p_code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
    select coalesce(p_code ~ '^[0-9]{15}$'
        and smf.uc_check_digit(left(p_code, 13)) = substr(p_code, 14, 1)::int
        and smf.uc_check_digit(left(p_code, 14)) = substr(p_code, 15, 1)::int, false)
$_$;

CREATE FUNCTION smf.uc_code_with_check_digits(p_sequential bigint, p_distributor integer) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
    select base || d1 || smf.uc_check_digit(base || d1)
    from (select lpad(p_sequential::text, 10, '0') || lpad(p_distributor::text, 3, '0') as base) b,
         lateral (select smf.uc_check_digit(b.base)::text as d1) c
$$;

CREATE FUNCTION smf.uc_hour_pieces(p_uc integer, p_month date, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.uc_hourly_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select q.hour_ts, min(q.local_ts),
           sum(q.p_kwh_raw), sum(q.q_ind_kvarh_raw), sum(q.q_cap_kvarh_raw),
           sum(q.p_kwh), sum(q.q_ind_kvarh), sum(q.q_cap_kvarh),
           sum(q.n_present)::int, sum(q.n_expected)::int
    from smf.uc_quarter_hours(smf.uc_id(p_uc_code), p_from, p_to) q
    group by q.hour_ts
    order by q.hour_ts
$$;

CREATE FUNCTION smf.uc_id(p_uc_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS $_$
declare
    v int;
begin
    if p_uc_code is null or p_uc_code !~ '^[0-9]{15}$' then
        raise exception using errcode = 'SMF02',
            message = format('UC code %s is not 15 digits', coalesce(quote_literal(p_uc_code), 'null'));
    end if;
    select id into v from smf.consumer_unit where uc_code = p_uc_code;
    if not found then
        raise exception using errcode = 'SMF04', message = format('unknown consumer unit %s', p_uc_code);
    end if;
    return v;
end
$_$;

CREATE FUNCTION smf.uc_interval_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, quality smf.quality, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select x.ts, x.quality, coalesce(tl.factor, 0),
           x.active_fwd_wh / 1000.0, x.reactive_ind_fwd_varh / 1000.0, x.reactive_cap_fwd_varh / 1000.0,
           x.active_fwd_wh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_ind_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0)),
           x.reactive_cap_fwd_varh / 1000.0 * (1 + coalesce(tl.factor, 0))
    from smf.consumer_unit cu
    join smf.interval_reading x on x.meter_id = cu.main_meter_id and x.ts >= p_from and x.ts < p_to
    left join smf.transformer_loss tl on tl.consumer_unit_id = cu.id
        and tl.valid_during @> (x.ts at time zone smf.local_timezone())::date
    where cu.id = smf.uc_id(p_uc_code)
    order by x.ts
$$;

CREATE FUNCTION smf.uc_quarter_hours(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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
    cross join smf.uc_quarter_labels(p_uc, p_from, p_to) l
    left join smf.rollup_15min r on r.meter_id = m.id and r.bucket = l.ts
        and r.bucket >= p_from - interval '15 minutes' and r.bucket < p_to
$$;

CREATE FUNCTION smf.uc_quarter_labels(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS $$
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

CREATE FUNCTION smf.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select u.* from smf.ufer_dmcr_of(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) u
$$;

CREATE FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    select h.hour, h.local_hour, h.posto, h.reactive_window, h.minutes, round(h.p_kwh, 3), round(h.q_kvarh, 3),
           round(h.s_kvah, 3), round(h.power_factor, 4), round(h.ufer_kwh, 3), round(h.dmcr_kw, 3), h.p_zero
    from smf.uc_hour_pieces(smf.require_cycle(smf.uc_id(p_uc_code), p_month), p_month, p_with_losses) h
    where h.p_kwh is not null
$$;

CREATE FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS $$
    with c as materialized (
        select * from smf.cycle_evaluation_of(p_uc, p_month, p_with_losses)
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

CREATE TABLE smf.calendar (
    id integer NOT NULL,
    purpose text NOT NULL,
    version integer NOT NULL,
    valid_during daterange NOT NULL,
    description text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT calendar_purpose_check CHECK ((purpose = ANY (ARRAY['tariff'::text, 'ccee'::text]))),
    CONSTRAINT calendar_valid_during_check CHECK ((NOT isempty(valid_during))),
    CONSTRAINT calendar_version_check CHECK ((version > 0))
);

COMMENT ON TABLE smf.calendar IS 'Versioned holiday calendars: purpose tariff (days without ponta) or ccee (non-business days of CCEE deadlines); one version applies per date.';

ALTER TABLE smf.calendar ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.calendar_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.calendar_rule (
    calendar_id integer NOT NULL,
    rule_code text NOT NULL
);

COMMENT ON TABLE smf.calendar_rule IS 'Which holiday rules a calendar version is generated from.';

CREATE TABLE smf.ccee_attempt (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    uc_code character(15) NOT NULL,
    day date NOT NULL,
    attempt integer NOT NULL,
    trigger text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    payload_hash character(64),
    http_status smallint,
    response_body text,
    outcome text NOT NULL,
    reasons jsonb,
    warning text,
    late boolean DEFAULT false NOT NULL,
    CONSTRAINT ccee_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT ccee_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text]))),
    CONSTRAINT ccee_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'retry'::text, 'manual'::text, 'late'::text, 'release'::text])))
);

COMMENT ON TABLE smf.ccee_attempt IS 'Ledger of CCEE submissions: one row per attempt (held ones included), with the payload hash (body in ccee_payload), HTTP status, CCEE''s response body, outcome and who or what triggered it.';

ALTER TABLE smf.ccee_attempt ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.ccee_board_recent AS
 SELECT b.month,
    b.distributor,
    b.agent_code,
    b.uc_code,
    b.customer,
    b.days_due,
    b.complete,
    b.held,
    b.held_reasons,
    b.sent,
    b.accepted,
    b.rejected,
    b.failed,
    b.missing,
    b.deadline,
    b.business_days_left,
    b.at_risk
   FROM (generate_series((date_trunc('month'::text, (now() - '03:00:00'::interval)) - '1 mon'::interval), date_trunc('month'::text, (now() - '03:00:00'::interval)), '1 mon'::interval) mm(mm)
     CROSS JOIN LATERAL smf.ccee_board((mm.mm)::date) b(month, distributor, agent_code, uc_code, customer, days_due, complete, held, held_reasons, sent, accepted, rejected, failed, missing, deadline, business_days_left, at_risk));

COMMENT ON VIEW smf.ccee_board_recent IS 'CCEE deadline board of the current and previous month: per UC, days complete/held/sent/accepted/rejected/missing, MS+7du and business days left.';

CREATE TABLE smf.ccee_deadline (
    code text NOT NULL,
    description text NOT NULL,
    base text NOT NULL,
    business_days smallint NOT NULL,
    valid_during daterange NOT NULL,
    CONSTRAINT ccee_deadline_base_check CHECK ((base = ANY (ARRAY['M'::text, 'MS'::text]))),
    CONSTRAINT ccee_deadline_business_days_check CHECK ((business_days > 0)),
    CONSTRAINT ccee_deadline_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_deadline IS 'CCEE deadlines of a reference month M: the n-th business day of M (base M) or of the month after (base MS).';

CREATE TABLE smf.ccee_payload (
    hash character(64) NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY smf.ccee_payload ALTER COLUMN body SET COMPRESSION lz4;

COMMENT ON TABLE smf.ccee_payload IS 'Every distinct payload sent to CCEE, byte for byte (UTF-8 JSON), keyed by its SHA-256 (hex).';

CREATE TABLE smf.ccee_release (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    hold_reason text NOT NULL,
    released_by text NOT NULL,
    reason text NOT NULL,
    released_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_release_hold_reason_check CHECK ((hold_reason = 'musd_exceeded'::text)),
    CONSTRAINT ccee_release_reason_check CHECK ((length(reason) >= 3)),
    CONSTRAINT ccee_release_released_by_check CHECK ((released_by <> ''::text))
);

COMMENT ON TABLE smf.ccee_release IS 'A held UC-day released for sending by an analyst: who, why and when.';

ALTER TABLE smf.ccee_release ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_release_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ccee_retail_uc (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_retail_uc_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_retail_uc IS 'UCs in the simplified retail model (their 5-minute consumption goes to CCEE daily), per validity period of local days.';

CREATE TABLE smf.ccee_uc_day (
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    state text DEFAULT 'due'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_try_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_by text,
    claim_expires timestamp with time zone,
    trigger text,
    last_hash character(64),
    accepted_hash character(64),
    accepted_at timestamp with time zone,
    fingerprint text,
    hold_reasons jsonb,
    late boolean DEFAULT false NOT NULL,
    verdict_consistida integer,
    verdict_rejeitada integer,
    verdict_at timestamp with time zone,
    verdict_detail jsonb,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_uc_day_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT ccee_uc_day_check CHECK (((state = 'claimed'::text) = ((claimed_by IS NOT NULL) AND (claim_expires IS NOT NULL)))),
    CONSTRAINT ccee_uc_day_state_check CHECK ((state = ANY (ARRAY['due'::text, 'claimed'::text, 'accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text, 'late'::text])))
);

COMMENT ON TABLE smf.ccee_uc_day IS 'The state of each UC-day towards CCEE (local day D at -03:00): the due-work queue claimed with FOR UPDATE SKIP LOCKED, the last accepted payload hash, holds and CCEE''s read-back verdict.';

CREATE TABLE smf.consumer_unit (
    id integer NOT NULL,
    uc_code character(15) NOT NULL,
    distributor_id integer NOT NULL,
    customer_name text NOT NULL,
    submarket smf.submarket NOT NULL,
    tariff_group text NOT NULL,
    modality text NOT NULL,
    contracted_demand_ponta_kw numeric(12,3),
    contracted_demand_fora_ponta_kw numeric(12,3),
    musd_kw numeric(12,3),
    supply_voltage_kv numeric(8,3) NOT NULL,
    main_meter_id integer,
    backup_meter_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT consumer_unit_azul_needs_ponta_demand CHECK (((modality <> 'azul'::text) OR (contracted_demand_ponta_kw IS NOT NULL))),
    CONSTRAINT consumer_unit_backup_differs CHECK ((backup_meter_id <> main_meter_id)),
    CONSTRAINT consumer_unit_contracted_demand_fora_ponta_kw_check CHECK ((contracted_demand_fora_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_contracted_demand_ponta_kw_check CHECK ((contracted_demand_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_customer_name_check CHECK ((customer_name <> ''::text)),
    CONSTRAINT consumer_unit_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT consumer_unit_musd_kw_check CHECK ((musd_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_supply_voltage_kv_check CHECK ((supply_voltage_kv > (0)::numeric)),
    CONSTRAINT consumer_unit_tariff_group_check CHECK ((tariff_group = ANY (ARRAY['A1'::text, 'A2'::text, 'A3'::text, 'A3a'::text, 'A4'::text, 'AS'::text, 'B1'::text, 'B2'::text, 'B3'::text]))),
    CONSTRAINT consumer_unit_uc_code_valid CHECK (smf.uc_code_is_valid((uc_code)::text))
);

COMMENT ON TABLE smf.consumer_unit IS 'Consumer units / metering points. uc_code: 15 digits with two mod-11 check digits.';

ALTER TABLE smf.consumer_unit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.consumer_unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.contract_hour_volume (
    contract_id integer NOT NULL,
    hour timestamp with time zone NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_hour_volume_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0)),
    CONSTRAINT contract_hour_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_hour_volume IS 'Declared modulation: MWh per hour (hour-beginning instant).';

CREATE TABLE smf.contract_month_volume (
    contract_id integer NOT NULL,
    month date NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_month_volume_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
    CONSTRAINT contract_month_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_month_volume IS 'Declared seasonalization (or the month volumes of a short-term contract), MWh per local month.';

CREATE TABLE smf.distributor (
    id integer NOT NULL,
    ccee_agent_code integer NOT NULL,
    aneel_code character(3) NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT distributor_aneel_code_check CHECK ((aneel_code ~ '^[0-9]{3}$'::text)),
    CONSTRAINT distributor_ccee_agent_code_check CHECK ((ccee_agent_code > 0)),
    CONSTRAINT distributor_name_check CHECK ((name <> ''::text))
);

COMMENT ON TABLE smf.distributor IS 'Distribution utilities (connected agents), with their CCEE agent code and the 3-digit ANEEL code used in UC codes.';

ALTER TABLE smf.distributor ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.distributor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.energy_contract (
    id integer NOT NULL,
    code text NOT NULL,
    kind text NOT NULL,
    seller text NOT NULL,
    buyer_uc_id integer,
    buyer_agent text,
    submarket smf.submarket NOT NULL,
    valid_during daterange NOT NULL,
    annual_mwh numeric(14,6),
    modulation text DEFAULT 'flat'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT energy_contract_annual_mwh_check CHECK ((annual_mwh >= (0)::numeric)),
    CONSTRAINT energy_contract_check CHECK (((buyer_uc_id IS NOT NULL) OR (buyer_agent IS NOT NULL))),
    CONSTRAINT energy_contract_code_check CHECK ((code <> ''::text)),
    CONSTRAINT energy_contract_kind_check CHECK ((kind = ANY (ARRAY['bilateral'::text, 'incentivada'::text, 'proinfa'::text]))),
    CONSTRAINT energy_contract_modulation_check CHECK ((modulation = ANY (ARRAY['flat'::text, 'load_following'::text]))),
    CONSTRAINT energy_contract_seller_check CHECK ((seller <> ''::text)),
    CONSTRAINT energy_contract_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.energy_contract IS 'Energy contracts (bilateral, incentivized, PROINFA): annual volume (long term) and/or month volumes; modulation used when no hourly volumes are declared.';

ALTER TABLE smf.energy_contract ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.energy_contract_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.holiday (
    calendar_id integer NOT NULL,
    day date NOT NULL,
    name text NOT NULL,
    rule_code text
);

COMMENT ON TABLE smf.holiday IS 'Holidays of each calendar version: generated from its rules (rule_code set), editable (rule_code null for days added by hand).';

CREATE TABLE smf.holiday_rule (
    code text NOT NULL,
    name text NOT NULL,
    fixed_month smallint,
    fixed_day smallint,
    easter_offset smallint,
    first_year smallint DEFAULT 1900 NOT NULL,
    last_year smallint DEFAULT 9999 NOT NULL,
    CONSTRAINT holiday_rule_check CHECK ((((fixed_month IS NOT NULL) AND (fixed_day IS NOT NULL) AND (easter_offset IS NULL)) OR ((fixed_month IS NULL) AND (fixed_day IS NULL) AND (easter_offset IS NOT NULL)))),
    CONSTRAINT holiday_rule_check1 CHECK ((first_year <= last_year)),
    CONSTRAINT holiday_rule_fixed_day_check CHECK (((fixed_day >= 1) AND (fixed_day <= 31))),
    CONSTRAINT holiday_rule_fixed_month_check CHECK (((fixed_month >= 1) AND (fixed_month <= 12)))
);

COMMENT ON TABLE smf.holiday_rule IS 'How a holiday falls each year: a fixed date or an offset in days from Easter Sunday, within [first_year, last_year].';

CREATE TABLE smf.rollup_hour (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_hour IS 'Per meter and UTC hour: same shape as rollup_15min, derived from it.';

CREATE VIEW smf.hour_label AS
 SELECT cu.uc_code,
    rh.meter_id,
    rh.bucket AS hour,
    (rh.bucket AT TIME ZONE smf.local_timezone()) AS local_hour,
    l.posto,
    l.reactive_window,
    l.loss_factor
   FROM ((smf.rollup_hour rh
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = rh.meter_id)))
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN (count(DISTINCT q.posto) = 1) THEN min(q.posto)
                    ELSE 'mixed'::text
                END AS posto,
                CASE
                    WHEN (count(DISTINCT q.reactive_window) = 1) THEN min(q.reactive_window)
                    ELSE 'mixed'::text
                END AS reactive_window,
            max(q.loss_factor) AS loss_factor
           FROM smf.uc_quarter_labels(cu.id, rh.bucket, (rh.bucket + '01:00:00'::interval)) q(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor)) l);

CREATE TABLE smf.ingest_batch (
    id integer NOT NULL,
    source smf.reading_source NOT NULL,
    origin text,
    operator text DEFAULT CURRENT_USER NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    rows_in bigint,
    inserted bigint,
    updated bigint,
    unchanged bigint,
    quarantined jsonb
);

ALTER TABLE smf.ingest_batch ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ingest_quarantine (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    line_no bigint,
    meter_ref text,
    ts timestamp with time zone,
    reason text NOT NULL,
    detail text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE smf.ingest_quarantine ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_quarantine_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.instantaneous_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    "values" jsonb NOT NULL,
    reactive_characteristic text
);

COMMENT ON TABLE smf.instantaneous_reading IS 'Instantaneous values 0x14 at the meter clock (UTC): V, A, W, var, cos phi, frequency, THD ... as read (units of power fields depend on the meter).';

CREATE TABLE smf.interval_reading (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality DEFAULT 'measured'::smf.quality NOT NULL,
    source smf.reading_source DEFAULT 'meter'::smf.reading_source NOT NULL,
    batch_id integer NOT NULL
);

COMMENT ON TABLE smf.interval_reading IS 'One row per meter and interval start (UTC). Energies in Wh/varh, voltages in mV, currents in mA, all integers.';

CREATE VIEW smf.interval_label AS
 SELECT cu.uc_code,
    ir.meter_id,
    ir.ts,
    (ir.ts AT TIME ZONE smf.local_timezone()) AS local_ts,
    l.posto,
    l.demand_posto,
    l.reactive_window,
    l.reservado,
    l.loss_factor
   FROM ((smf.interval_reading ir
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = ir.meter_id)))
     CROSS JOIN LATERAL smf.uc_quarter_labels(cu.id, ir.ts, (ir.ts + '00:00:00.000001'::interval)) l(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor));

CREATE TABLE smf.interval_reading_history (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality NOT NULL,
    source smf.reading_source NOT NULL,
    batch_id integer NOT NULL,
    superseded_at timestamp with time zone DEFAULT now() NOT NULL,
    superseded_by_batch integer,
    changed_by text DEFAULT CURRENT_USER NOT NULL,
    reason text
);

COMMENT ON TABLE smf.interval_reading_history IS 'Every superseded version of an interval row, with when, by whom, by which batch and why.';

CREATE TABLE smf.job_run (
    id bigint NOT NULL,
    job text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    outcome text DEFAULT 'running'::text NOT NULL,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    error text,
    CONSTRAINT job_run_outcome_check CHECK ((outcome = ANY (ARRAY['running'::text, 'ok'::text, 'error'::text])))
);

COMMENT ON TABLE smf.job_run IS 'Every run of a scheduled job: start, end, outcome, counts and error.';

ALTER TABLE smf.job_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.job_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.meter (
    id integer NOT NULL,
    serial text NOT NULL,
    manufacturer text,
    model text,
    protocol text DEFAULT 'nbr14522'::text NOT NULL,
    interval_minutes smallint DEFAULT 5 NOT NULL,
    channel_map text[] DEFAULT ARRAY['active_fwd_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_cap_fwd_kvarh'::text] NOT NULL,
    channel_constants numeric[],
    utc_offset_minutes smallint DEFAULT '-180'::integer NOT NULL,
    transport text,
    max_power_kw numeric DEFAULT 100000 NOT NULL,
    max_voltage_v numeric DEFAULT 600000 NOT NULL,
    max_current_a numeric DEFAULT 20000 NOT NULL,
    poll_schedule text DEFAULT 'daily'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_channel_map_check CHECK (((cardinality(channel_map) >= 1) AND (cardinality(channel_map) <= 12))),
    CONSTRAINT meter_channel_map_check1 CHECK ((channel_map <@ ARRAY['active_fwd_kwh'::text, 'active_rev_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_ind_rev_kvarh'::text, 'reactive_cap_fwd_kvarh'::text, 'reactive_cap_rev_kvarh'::text, 'voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text, 'current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text])),
    CONSTRAINT meter_check CHECK (((channel_constants IS NULL) OR (cardinality(channel_constants) = cardinality(channel_map)))),
    CONSTRAINT meter_interval_minutes_check CHECK ((interval_minutes = ANY (ARRAY[5, 15]))),
    CONSTRAINT meter_max_current_a_check CHECK ((max_current_a > (0)::numeric)),
    CONSTRAINT meter_max_power_kw_check CHECK ((max_power_kw > (0)::numeric)),
    CONSTRAINT meter_max_voltage_v_check CHECK ((max_voltage_v > (0)::numeric)),
    CONSTRAINT meter_poll_schedule_check CHECK ((poll_schedule = ANY (ARRAY['15min'::text, 'hourly'::text, 'daily'::text, 'never'::text]))),
    CONSTRAINT meter_protocol_check CHECK ((protocol = ANY (ARRAY['nbr14522'::text, 'nbr14522_wrapper'::text, 'nbr14522_addressed'::text, 'import_only'::text]))),
    CONSTRAINT meter_serial_check CHECK ((serial ~ '^[0-9A-Za-z-]{1,20}$'::text)),
    CONSTRAINT meter_utc_offset_minutes_check CHECK (((utc_offset_minutes >= '-720'::integer) AND (utc_offset_minutes <= 840)))
);

COMMENT ON COLUMN smf.meter.channel_map IS 'Quantity carried by each meter channel, in channel order (1-based); 3 entries for legacy meters, up to 12.';

COMMENT ON COLUMN smf.meter.channel_constants IS 'Multiplication constant of each channel: engineering units per pulse (kWh, kvarh, V, A).';

COMMENT ON COLUMN smf.meter.utc_offset_minutes IS 'Offset of the meter clock from UTC, in minutes (Brazil: -180); the DST flag of the protocol adds 60.';

COMMENT ON COLUMN smf.meter.max_power_kw IS 'Physical maximum of energy channels, as power: a value above max_power_kw x interval is quarantined.';

CREATE TABLE smf.rollup_15min (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_15min IS 'Per meter and 15-minute bucket (UTC start): sums, counts by quality, min/max/sum of V and A, demand (kW).';

CREATE VIEW smf.meter_15min AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_15min r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_alteration (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    command_code smallint NOT NULL,
    reader_serial text NOT NULL,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE smf.meter_alteration IS 'Alteration log of meters (0x28): which command (0x29 date, 0x30 time, 0x20 demand reset ...) changed the meter, when (UTC) and from which reader.';

CREATE TABLE smf.rollup_day (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_day IS 'Per meter and local day (SMF local time zone): derived from rollup_hour.';

CREATE VIEW smf.meter_daily AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_day r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_event (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    dedupe_key text,
    CONSTRAINT meter_event_kind_check CHECK ((kind = ANY (ARRAY['clock_corrected'::text, 'clock_drift_large'::text, 'serial_changed'::text, 'plausibility_contradiction'::text, 'gap'::text])))
);

COMMENT ON TABLE smf.meter_event IS 'Conditions found while polling that need attention. Rows with the same (meter, kind, dedupe_key) are logged once.';

ALTER TABLE smf.meter_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.meter_hourly AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_hour r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

ALTER TABLE smf.meter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.rollup_month (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_month IS 'Per meter and local month (first day): derived from rollup_day.';

CREATE VIEW smf.meter_monthly AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_month r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

CREATE TABLE smf.meter_outage (
    meter_id integer NOT NULL,
    start_at timestamp with time zone NOT NULL,
    end_at timestamp with time zone,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_outage_check CHECK (((end_at IS NULL) OR (end_at >= start_at)))
);

COMMENT ON TABLE smf.meter_outage IS 'Supply outages reported by meters (0x25), UTC; every record ever reported, once. end_at null: still open when read.';

CREATE TABLE smf.meter_session_lease (
    meter_id integer NOT NULL,
    holder text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE smf.meter_session_lease IS 'Who is talking to a meter now (host:pid of a poller) and until when the lease holds if that poller dies.';

CREATE TABLE smf.pld (
    submarket smf.submarket NOT NULL,
    hour timestamp with time zone NOT NULL,
    price numeric(12,2) NOT NULL,
    CONSTRAINT pld_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0))
);

COMMENT ON TABLE smf.pld IS 'Hourly spot price (PLD) per submarket, R$/MWh, by hour-beginning instant.';

CREATE TABLE smf.poll_attempt (
    meter_id integer NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration_ms integer NOT NULL,
    trigger text NOT NULL,
    attempt smallint DEFAULT 1 NOT NULL,
    bytes_in bigint DEFAULT 0 NOT NULL,
    bytes_out bigint DEFAULT 0 NOT NULL,
    outcome text NOT NULL,
    error_class text,
    error_message text,
    clock_drift_s numeric(10,1),
    intervals_read integer DEFAULT 0 NOT NULL,
    intervals_stored integer DEFAULT 0 NOT NULL,
    batch_id integer,
    CONSTRAINT poll_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT poll_attempt_bytes_in_check CHECK ((bytes_in >= 0)),
    CONSTRAINT poll_attempt_bytes_out_check CHECK ((bytes_out >= 0)),
    CONSTRAINT poll_attempt_check CHECK (((outcome = 'ok'::text) = (error_class IS NULL))),
    CONSTRAINT poll_attempt_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT poll_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'link_error'::text, 'meter_busy'::text, 'meter_refused'::text, 'wrong_meter'::text, 'not_implemented'::text, 'store_failed'::text]))),
    CONSTRAINT poll_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'on_demand'::text, 'retry'::text])))
);

COMMENT ON TABLE smf.poll_attempt IS 'Connectivity log: one row per session with a meter (its outcome, error class and message, bytes, duration, clock drift in seconds, intervals read and newly stored).';

CREATE TABLE smf.posto_schedule (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    valid_during daterange NOT NULL,
    ponta_start time without time zone NOT NULL,
    ponta_minutes smallint DEFAULT 180 NOT NULL,
    capacitive_start time without time zone DEFAULT '00:00:00'::time without time zone NOT NULL,
    capacitive_minutes smallint DEFAULT 360 NOT NULL,
    reservado_start time without time zone,
    reservado_minutes smallint,
    intermediario_minutes smallint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT posto_schedule_check CHECK (((reservado_start IS NULL) = (reservado_minutes IS NULL))),
    CONSTRAINT posto_schedule_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.posto_schedule IS 'Postos tarifários of a distributor per validity period (local time): ponta (weekdays that are not tariff holidays), the capacitive reactive window (every day), reservado and intermediário (minutes before and after ponta) where they exist.';

ALTER TABLE smf.posto_schedule ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.posto_schedule_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.register_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    period text NOT NULL,
    channel smallint NOT NULL,
    registers bigint[] NOT NULL,
    demands bigint[] NOT NULL,
    read_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT register_reading_channel_check CHECK (((channel >= 1) AND (channel <= 3))),
    CONSTRAINT register_reading_demands_check CHECK ((cardinality(demands) = 7)),
    CONSTRAINT register_reading_period_check CHECK ((period = ANY (ARRAY['current'::text, 'previous'::text]))),
    CONSTRAINT register_reading_registers_check CHECK ((cardinality(registers) = 7))
);

COMMENT ON TABLE smf.register_reading IS 'Registers 0x23 (current period, at = meter clock of the read, UTC) and 0x24 (previous period, at = the demand reset that closed it), raw as read. registers: total, ponta, ufer_ponta, fora_ponta, ufer_fora_ponta, reservado, ufer_reservado; demands: last_interval, max_ponta, dmcr_ponta, max_fora_ponta, dmcr_fora_ponta, max_reservado, dmcr_reservado.';

CREATE TABLE smf.rule_parameter (
    key text NOT NULL,
    valid_during daterange NOT NULL,
    value numeric NOT NULL,
    unit text NOT NULL,
    confidence character(1) NOT NULL,
    description text NOT NULL,
    CONSTRAINT rule_parameter_confidence_check CHECK ((confidence = ANY (ARRAY['C'::bpchar, 'L'::bpchar, 'U'::bpchar]))),
    CONSTRAINT rule_parameter_key_check CHECK ((key ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT rule_parameter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.rule_parameter IS 'Regulatory and business parameters of the billing and market rules, per validity period; confidence C certain, L likely, U unverified (a documented default).';

CREATE TABLE smf.setting (
    key text NOT NULL,
    value text NOT NULL,
    description text NOT NULL
);

CREATE TABLE smf.tariff (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    modality text NOT NULL,
    item text NOT NULL,
    posto text NOT NULL,
    valid_during daterange NOT NULL,
    price numeric(14,6) NOT NULL,
    CONSTRAINT tariff_item_check CHECK ((item = ANY (ARRAY['energy'::text, 'demand'::text, 'overrun'::text, 'ufer'::text, 'dmcr'::text]))),
    CONSTRAINT tariff_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT tariff_posto_check CHECK ((posto = ANY (ARRAY['ponta'::text, 'fora_ponta'::text, 'intermediario'::text, 'unica'::text]))),
    CONSTRAINT tariff_price_check CHECK ((price >= (0)::numeric)),
    CONSTRAINT tariff_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.tariff IS 'Tariffs per distributor, modality, item and posto: energy and ufer in R$/kWh, demand, overrun and dmcr (excess) in R$/kW. Posto unica = the single demand of non-azul modalities.';

ALTER TABLE smf.tariff ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.tariff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.transformer_loss (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    factor numeric(6,5) NOT NULL,
    CONSTRAINT transformer_loss_factor_check CHECK (((factor >= (0)::numeric) AND (factor < 0.2))),
    CONSTRAINT transformer_loss_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.transformer_loss IS 'Transformer-loss factor per UC and validity period (0.025 at <= 44 kV, 0.01 above), applied to every interval before demand and UFER/DMCR.';

CREATE TABLE smf.uc_code_change (
    consumer_unit_id integer NOT NULL,
    old_code character(15) NOT NULL,
    new_code character(15) NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text NOT NULL
);

COMMENT ON TABLE smf.uc_code_change IS 'UC codes re-computed when the check-digit algorithm was corrected (REN 1.095/2024 Annex II).';

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_no_overlap EXCLUDE USING gist (purpose WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_purpose_version_key UNIQUE (purpose, version);

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_pkey PRIMARY KEY (calendar_id, rule_code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_deadline
    ADD CONSTRAINT ccee_deadline_no_overlap EXCLUDE USING gist (code WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_payload
    ADD CONSTRAINT ccee_payload_pkey PRIMARY KEY (hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_no_overlap EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_pkey PRIMARY KEY (consumer_unit_id, day);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_key UNIQUE (backup_meter_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_key UNIQUE (main_meter_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_uc_code_key UNIQUE (uc_code);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_pkey PRIMARY KEY (contract_id, hour);

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_pkey PRIMARY KEY (contract_id, month);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_aneel_code_key UNIQUE (aneel_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_ccee_agent_code_key UNIQUE (ccee_agent_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_code_key UNIQUE (code);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_pkey PRIMARY KEY (calendar_id, day);

ALTER TABLE ONLY smf.holiday_rule
    ADD CONSTRAINT holiday_rule_pkey PRIMARY KEY (code);

ALTER TABLE ONLY smf.ingest_batch
    ADD CONSTRAINT ingest_batch_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.instantaneous_reading
    ADD CONSTRAINT instantaneous_reading_pkey PRIMARY KEY (meter_id, at);

ALTER TABLE ONLY smf.interval_reading
    ADD CONSTRAINT interval_reading_pkey PRIMARY KEY (meter_id, ts);

ALTER TABLE ONLY smf.job_run
    ADD CONSTRAINT job_run_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_pkey PRIMARY KEY (meter_id, at, command_code);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_kind_dedupe_key_key UNIQUE (meter_id, kind, dedupe_key);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_pkey PRIMARY KEY (meter_id, start_at);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_serial_key UNIQUE (serial);

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_pkey PRIMARY KEY (meter_id);

ALTER TABLE ONLY smf.pld
    ADD CONSTRAINT pld_pkey PRIMARY KEY (submarket, hour);

ALTER TABLE ONLY smf.poll_attempt
    ADD CONSTRAINT poll_attempt_pkey PRIMARY KEY (meter_id, started_at);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_no_overlap EXCLUDE USING gist (distributor_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.register_reading
    ADD CONSTRAINT register_reading_pkey PRIMARY KEY (meter_id, at, period, channel);

ALTER TABLE ONLY smf.rollup_15min
    ADD CONSTRAINT rollup_15min_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_day
    ADD CONSTRAINT rollup_day_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_hour
    ADD CONSTRAINT rollup_hour_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_month
    ADD CONSTRAINT rollup_month_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rule_parameter
    ADD CONSTRAINT rule_parameter_no_overlap EXCLUDE USING gist (key WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (key);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_no_overlap EXCLUDE USING gist (distributor_id WITH =, modality WITH =, item WITH =, posto WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_valid_during_excl EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

CREATE INDEX ccee_attempt_consumer_unit_id_day_idx ON smf.ccee_attempt USING btree (consumer_unit_id, day);

CREATE INDEX ccee_attempt_started_at_idx ON smf.ccee_attempt USING btree (started_at);

CREATE INDEX ccee_release_consumer_unit_id_day_idx ON smf.ccee_release USING btree (consumer_unit_id, day);

CREATE INDEX ccee_uc_day_day_idx ON smf.ccee_uc_day USING btree (day);

CREATE INDEX ccee_uc_day_due ON smf.ccee_uc_day USING btree (next_try_at) WHERE (state = ANY (ARRAY['due'::text, 'failed'::text, 'held'::text, 'claimed'::text]));

CREATE INDEX energy_contract_buyer_uc_id_idx ON smf.energy_contract USING btree (buyer_uc_id);

CREATE INDEX ingest_quarantine_batch_id_idx ON smf.ingest_quarantine USING btree (batch_id);

CREATE INDEX instantaneous_reading_at_idx ON smf.instantaneous_reading USING btree (at DESC);

CREATE INDEX interval_reading_history_meter_id_ts_idx ON smf.interval_reading_history USING btree (meter_id, ts);

CREATE INDEX interval_reading_ts_idx ON smf.interval_reading USING btree (ts DESC);

CREATE INDEX job_run_job_started_at_idx ON smf.job_run USING btree (job, started_at);

CREATE INDEX meter_event_meter_id_at_idx ON smf.meter_event USING btree (meter_id, at);

CREATE INDEX poll_attempt_started_at_idx ON smf.poll_attempt USING btree (started_at DESC);

CREATE INDEX poll_attempt_started_at_idx1 ON smf.poll_attempt USING btree (started_at);

CREATE INDEX register_reading_at_idx ON smf.register_reading USING btree (at DESC);

CREATE TRIGGER keep_history BEFORE UPDATE ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION smf.interval_reading_keep_history();

CREATE TRIGGER refuse_delete_with_readings BEFORE DELETE ON smf.meter FOR EACH ROW EXECUTE FUNCTION smf.meter_refuse_delete_with_readings();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.instantaneous_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.poll_attempt FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.register_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_15min FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_hour FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER validate_windows BEFORE INSERT OR UPDATE ON smf.posto_schedule FOR EACH ROW EXECUTE FUNCTION smf.posto_schedule_validate();

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_payload_hash_fkey FOREIGN KEY (payload_hash) REFERENCES smf.ccee_payload(hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_fkey FOREIGN KEY (backup_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_fkey FOREIGN KEY (main_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_buyer_uc_id_fkey FOREIGN KEY (buyer_uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_code_change
    ADD CONSTRAINT uc_code_change_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;
