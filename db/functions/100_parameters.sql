-- Rule parameters and the lookups every billing and market rule shares: parameter values by date,
-- local month bounds, consumer units by code.

-- rule_param: the value (in the parameter's unit) of smf.rule_parameter p_key valid on p_day;
-- raises SMF04 when none is valid.
create or replace function smf.rule_param(p_key text, p_day date default current_date) returns numeric
language plpgsql stable set search_path = smf, pg_catalog as $$
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

-- local_month_start: the instant (timestamptz) local month p_month (any day of it) begins, in the
-- SMF local time zone.
create or replace function smf.local_month_start(p_month date) returns timestamptz
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select date_trunc('month', p_month)::timestamp at time zone smf.local_timezone()
$$;

-- local_month_hours: number of hours (h) of local month p_month.
create or replace function smf.local_month_hours(p_month date) returns int
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select (extract(epoch from smf.local_month_start((date_trunc('month', p_month) + interval '1 month')::date)
            - smf.local_month_start(p_month)) / 3600)::int
$$;

-- uc_id: the id of the consumer unit with code p_uc_code; raises SMF04 for an unknown code and
-- SMF02 for a malformed one.
create or replace function smf.uc_id(p_uc_code text) returns int
language plpgsql stable set search_path = smf, pg_catalog as $$
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
$$;

-- require_cycle: checks that UC p_uc can be evaluated for local month p_month (a main meter, a
-- posto schedule of its distributor on every day, at least one reading); returns p_uc.
-- Raises SMF04 naming what is missing.
create or replace function smf.require_cycle(p_uc int, p_month date) returns int
language plpgsql stable set search_path = smf, public, pg_catalog as $$
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
                   where meter_id = v_meter and bucket >= v_lo and bucket < v_hi)
       and not exists (select 1 from smf.intervals_sealed(array[v_meter], v_lo, v_hi)) then
        raise exception using errcode = 'SMF04',
            message = format('no readings for consumer unit %s in %s', v_code, to_char(p_month, 'YYYY-MM'));
    end if;
    return p_uc;
end
$$;
