-- Calendars: Easter, holiday generation from smf.holiday_rule, business days of a calendar purpose
-- ('tariff': days with ponta; 'ccee': CCEE business days) and the CCEE deadlines M+n du / MS+n du.

-- easter_sunday: the date of Easter Sunday of year p_year (Gregorian, anonymous algorithm).
create or replace function smf.easter_sunday(p_year int) returns date
language sql immutable strict parallel safe set search_path = pg_catalog as $$
    select make_date(p_year, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    from (select a, h, l, (a + 11 * h + 22 * l) / 451 as m
          from (select a, h, (32 + 2 * e + 2 * i - h - k) % 7 as l
                from (select a, e, i, k, (19 * a + b - d - g + 15) % 30 as h
                      from (select p_year % 19 as a, p_year / 100 as b, p_year % 100 / 4 as i,
                                   p_year % 100 % 4 as k, p_year / 100 / 4 as d, p_year / 100 % 4 as e,
                                   (p_year / 100 - (p_year / 100 + 8) / 25 + 1) / 3 as g) s1) s2) s3) s4
$$;

-- holiday_dates: the holidays (date, rule, name) that the rules p_rules give in years
-- p_from_year..p_to_year.
create or replace function smf.holiday_dates(p_rules text[], p_from_year int, p_to_year int)
returns table (day date, rule_code text, name text)
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select case when r.easter_offset is null then make_date(y, r.fixed_month, r.fixed_day)
                else smf.easter_sunday(y) + r.easter_offset end,
           r.code, r.name
    from smf.holiday_rule r
    cross join generate_series(p_from_year, p_to_year) y
    where r.code = any (p_rules) and y between r.first_year and r.last_year
$$;

-- calendar_generate: insert into smf.holiday the holidays of calendar p_calendar's rules for years
-- p_from_year..p_to_year (days already present are kept); returns the number of days added.
create or replace function smf.calendar_generate(p_calendar int, p_from_year int, p_to_year int)
returns int
language plpgsql volatile set search_path = smf, pg_catalog as $$
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

-- calendar_for: the id of the calendar version of purpose p_purpose valid on p_day; SMF02 for an
-- unknown purpose, SMF04 when no version covers the day.
create or replace function smf.calendar_for(p_purpose text, p_day date) returns int
language plpgsql stable set search_path = smf, pg_catalog as $$
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

-- is_business_day: true when p_day is a weekday and not a holiday of the p_purpose calendar
-- ('ccee' business day by default; 'tariff' = a day with ponta).
create or replace function smf.is_business_day(p_day date, p_purpose text default 'ccee') returns boolean
language sql stable set search_path = smf, pg_catalog as $$
    select extract(isodow from p_day) < 6
       and not exists (select 1 from smf.holiday
                       where calendar_id = smf.calendar_for(p_purpose, p_day) and day = p_day)
$$;

-- add_business_days: the p_n-th business day (of the p_purpose calendar) after p_day, before it
-- for p_n < 0; p_day itself for p_n = 0.
create or replace function smf.add_business_days(p_day date, p_n int, p_purpose text default 'ccee')
returns date
language plpgsql stable set search_path = smf, pg_catalog as $$
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

-- m_du: "M+n du", the n-th CCEE business day of the reference month p_month itself.
create or replace function smf.m_du(p_month date, p_n int) returns date
language sql stable set search_path = smf, pg_catalog as $$
    select smf.add_business_days(date_trunc('month', p_month)::date - 1, p_n, 'ccee')
$$;

-- ms_du: "MS+n du", the n-th CCEE business day of the month after the reference month p_month.
create or replace function smf.ms_du(p_month date, p_n int) returns date
language sql stable set search_path = smf, pg_catalog as $$
    select smf.add_business_days((date_trunc('month', p_month) + interval '1 month')::date - 1, p_n, 'ccee')
$$;

-- ccee_deadlines: the deadlines (smf.ccee_deadline) of reference month p_month, with their dates.
create or replace function smf.ccee_deadlines(p_month date)
returns table (code text, description text, rule text, due date)
language sql stable set search_path = smf, pg_catalog as $$
    select d.code, d.description, d.base || '+' || d.business_days || 'du',
           case d.base when 'M' then smf.m_du(p_month, d.business_days)
                       else smf.ms_du(p_month, d.business_days) end
    from smf.ccee_deadline d
    where d.valid_during @> date_trunc('month', p_month)::date
    order by 4, 1
$$;
