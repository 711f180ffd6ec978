-- VEE validation, shared pieces: rule parameters by meter / distributor / default and date, the
-- interval length of a meter, local days, and the day type used by estimation. Interval starts
-- are UTC timestamptz; energies Wh (integers); findings cover [ts_from, ts_to).

-- vee_param: value of VEE parameter p_key for meter p_meter on local day p_day: the meter's own
-- row, else its UC's distributor's row, else the default row; SMF04 when none is valid.
create or replace function smf.vee_param(p_key text, p_meter int, p_day date default current_date)
returns numeric
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v numeric;
    v_dist int;
begin
    select cu.distributor_id into v_dist from smf.consumer_unit cu where cu.main_meter_id = p_meter;
    if v_dist is null then
        select cu.distributor_id into v_dist from smf.consumer_unit cu where cu.backup_meter_id = p_meter;
    end if;
    select p.value into v
    from smf.vee_parameter p
    where p.key = p_key and p.valid_during @> p_day
      and (p.meter_id = p_meter or p.distributor_id = v_dist
           or (p.meter_id is null and p.distributor_id is null))
    order by (p.meter_id is not null) desc, (p.distributor_id is not null) desc
    limit 1;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('no VEE parameter %s valid on %s for meter %s', p_key, p_day, p_meter);
    end if;
    return v;
end
$$;

-- vee_step: the interval length of meter p_meter (interval); SMF04 for an unknown meter.
create or replace function smf.vee_step(p_meter int) returns interval
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v interval;
begin
    select make_interval(mins => interval_minutes) into v from smf.meter where id = p_meter;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no meter with id %s', p_meter);
    end if;
    return v;
end
$$;

-- vee_grid_up: p_ts rounded up to the grid of p_step (multiples of the step since the epoch).
create or replace function smf.vee_grid_up(p_ts timestamptz, p_step interval) returns timestamptz
language sql immutable parallel safe set search_path = pg_catalog as $$
    select to_timestamp(ceil(extract(epoch from p_ts) / extract(epoch from p_step)) * extract(epoch from p_step))
$$;

-- vee_grid_down: p_ts rounded down to the grid of p_step.
create or replace function smf.vee_grid_down(p_ts timestamptz, p_step interval) returns timestamptz
language sql immutable parallel safe set search_path = pg_catalog as $$
    select to_timestamp(floor(extract(epoch from p_ts) / extract(epoch from p_step)) * extract(epoch from p_step))
$$;

-- vee_local_day: the local day (SMF time zone) of instant p_ts.
create or replace function smf.vee_local_day(p_ts timestamptz) returns date
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select (p_ts at time zone smf.local_timezone())::date
$$;

-- vee_day_start: the instant local day p_day begins.
create or replace function smf.vee_day_start(p_day date) returns timestamptz
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select p_day::timestamp at time zone smf.local_timezone()
$$;

-- vee_day_type: 'business', 'saturday' or 'sunday_holiday' (Sunday or a holiday of the ccee
-- calendar) of local day p_day; a day no calendar covers counts by its weekday only.
create or replace function smf.vee_day_type(p_day date) returns text
language sql stable set search_path = smf, pg_catalog as $$
    select case
        when extract(isodow from p_day) = 7 then 'sunday_holiday'
        when exists (select 1 from smf.holiday h join smf.calendar c on c.id = h.calendar_id
                     where c.purpose = 'ccee' and c.valid_during @> p_day and h.day = p_day)
            then 'sunday_holiday'
        when extract(isodow from p_day) = 6 then 'saturday'
        else 'business' end
$$;

-- vee_fmt_local: an instant as local 'YYYY-MM-DD HH24:MI' for finding details.
create or replace function smf.vee_fmt_local(p_ts timestamptz) returns text
language sql stable parallel safe set search_path = smf, pg_catalog as $$
    select to_char(p_ts at time zone smf.local_timezone(), 'YYYY-MM-DD HH24:MI')
$$;

-- vee_kwh: p_wh (Wh, varh, mV, mA) in kWh (kvarh, V, A), rounded to 3 decimals, for details.
create or replace function smf.vee_kwh(p_wh numeric) returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select round(p_wh / 1000.0, 3)
$$;
