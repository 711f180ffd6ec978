-- The client web view's pages (api/pages/): what a page needs in one call, so a page view is one
-- round trip and one cached plan per statement (PL/pgSQL) instead of several queries. SECURITY
-- INVOKER (the default): row-level security filters every row by the caller's scope, as for the
-- queries of db/queries/web.sql these replace.

-- web_home: the home page of UC p_uc_code (/web/uc/{uc}), one row, none when the UC is outside
-- the caller's scope (or unknown). The registration columns as query web_unit (last_ts: start,
-- UTC, of the main meter's latest interval; tz: smf.local_timezone()); month: the billed local
-- month (first day) = the local month of last_ts, or of now without data; bill: the rows of
-- smf.billing_summary for that month as smf.uc_figures keeps them (jsonb array of objects with
-- its columns: item, posto, quantity, unit, price, amount...; kWh, kW, R$), or null with bill_why
-- the reason (the SMF04/SMF02 message the page showed);
-- demand_ts / demand_kw: smf.uc_demand_curve over the 24 h ending at last_ts + 15 minutes (local
-- slot starts, kW loss-adjusted; null arrays without data); history_months / history_billing: the
-- months of [month - 11, month] in which the main meter has readings (its month rollups) and
-- smf.uc_figures has billing rows, with those rows (null arrays when any month has no figures).
create or replace function smf.web_home(p_uc_code text)
returns table (uc_code text, customer_name text, tariff_group text, modality text,
               distributor_name text, distributor_aneel_code text,
               contracted_demand_ponta_kw numeric, contracted_demand_fora_ponta_kw numeric,
               meter_id int, meter_serial text, meter_manufacturer text, meter_model text,
               last_ts timestamptz, tz text, month date, bill jsonb, bill_why text,
               demand_ts timestamp[], demand_kw numeric[], history_months date[],
               history_billing jsonb[])
language plpgsql stable set search_path = smf, public, pg_catalog set jit = off as $$
declare
    v_uc int;
    v_month date;
    v_hi timestamptz;
    v_detail text;
    v_constraint text;
begin
    select u.id, u.uc_code::text, u.customer_name, u.tariff_group, u.modality, d.name,
           d.aneel_code::text, u.contracted_demand_ponta_kw, u.contracted_demand_fora_ponta_kw,
           m.id, m.serial, m.manufacturer, m.model,
           smf.interval_last_ts(array[m.id], 'infinity', null), smf.local_timezone()
    into v_uc, uc_code, customer_name, tariff_group, modality, distributor_name,
         distributor_aneel_code, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw,
         meter_id, meter_serial, meter_manufacturer, meter_model, last_ts, tz
    from smf.consumer_unit u
    join smf.distributor d on d.id = u.distributor_id
    left join smf.meter m on m.id = u.main_meter_id
    where u.uc_code = p_uc_code;
    if v_uc is null then
        return;  -- not in the caller's scope (row-level security), or no such UC
    end if;
    v_month := date_trunc('month', coalesce(last_ts, now()) at time zone tz)::date;
    month := v_month;
    begin
        select f.billing into bill from smf.uc_figures(p_uc_code, v_month) f;
    exception when sqlstate 'SMF04' or sqlstate 'SMF02' or check_violation
                   or foreign_key_violation or not_null_violation or numeric_value_out_of_range
                   or invalid_text_representation or string_data_right_truncation
                   or invalid_datetime_format or datetime_field_overflow
                   or character_not_in_repertoire then
        -- the message the driver gives the page for these (db/driver.py translate)
        get stacked diagnostics bill_why = message_text, v_detail = pg_exception_detail,
                                v_constraint = constraint_name;
        bill := null;
        bill_why := bill_why || coalesce(' (constraint ' || nullif(v_constraint, '') || ')', '')
                    || coalesce(': ' || nullif(v_detail, ''), '');
    end;
    if last_ts is not null then
        v_hi := last_ts + interval '15 minutes';
        select array_agg(c.local_ts order by c.ts), array_agg(c.demand_kw order by c.ts)
        into demand_ts, demand_kw
        from smf.uc_demand_curve(v_uc, v_hi - interval '24 hours', v_hi) c;
    end if;
    begin
        select array_agg(f.month order by f.month), array_agg(f.billing order by f.month)
        into history_months, history_billing
        from smf.rollup_month r
        cross join lateral smf.uc_figures(p_uc_code, r.bucket) f
        where r.meter_id = web_home.meter_id and r.bucket >= (v_month - interval '11 months')::date
          and r.bucket < (v_month + interval '1 month')::date
          and jsonb_array_length(coalesce(f.billing, '[]')) > 0;  -- a month without bill rows
          -- is no month of the charts
    exception when sqlstate 'SMF04' or sqlstate 'SMF02' or check_violation
                   or foreign_key_violation or not_null_violation or numeric_value_out_of_range
                   or invalid_text_representation or string_data_right_truncation
                   or invalid_datetime_format or datetime_field_overflow
                   or character_not_in_repertoire then
        history_months := null;
        history_billing := null;
    end;
    return next;
end
$$;
