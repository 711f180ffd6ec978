-- What the Grafana dashboards (grafana/dashboards/*.json) read through a scoped database login
-- role (a member of smf_reader: `smf user add NAME --role analyst --scope ... --db-role ROLE`).
-- Such a role reads only schema smf_read: views owned by smf_api, so the row-level policies of
-- 510_scope_policies.sql filter every row by the login role's account (session_user), and the
-- two dashboard functions below. It has no access to smf.* tables and no execute on smf
-- functions. Times: UTC timestamptz bucket starts.


-- smf_read.channel_divisor: 1 in mode 'units'; in mode 'pulses' the multiplication constant
-- (units per pulse) of quantity p_q in channel map p_map / constants p_k, null when unknown.
-- (A copy of smf.channel_divisor: the reader may not call functions of schema smf.)
create or replace function smf_read.channel_divisor(p_map text[], p_k numeric[], p_q text, p_mode text)
returns numeric
language sql immutable parallel safe set search_path = pg_catalog as $$
    select case when p_mode = 'units' then 1 else nullif(p_k[array_position(p_map, p_q)], 0) end
$$;

-- smf_read.uc_channels: smf.uc_channels for the reader: the 12 mass-memory quantities of UC
-- p_uc_code's main meter over [p_from, p_to) per bucket of p_step ('15min', 'hour', 'day' = local
-- day, 'month' = local month); p_mode 'units' (kWh / kvarh per bucket, mean V / A) or 'pulses'
-- (each value divided by its channel's multiplication constant). Security invoker, reading only
-- smf_read views: a UC outside the caller's scope is invisible, so it returns no rows.
create or replace function smf_read.uc_channels(p_uc_code text, p_from timestamptz, p_to timestamptz,
                                                p_step text default '15min', p_mode text default 'units')
returns table (bucket_start timestamptz, active_fwd numeric, active_rev numeric,
               reactive_ind_fwd numeric, reactive_ind_rev numeric, reactive_cap_fwd numeric,
               reactive_cap_rev numeric, voltage_a numeric, voltage_b numeric, voltage_c numeric,
               current_a numeric, current_b numeric, current_c numeric, completeness_pct numeric)
language plpgsql stable set search_path = smf_read, pg_catalog as $$
declare
    v_meter int;
    v_map text[];
    v_k numeric[];
    v_view text := case p_step when '15min' then 'meter_15min' when 'hour' then 'meter_hourly'
                               when 'day' then 'meter_daily' when 'month' then 'meter_monthly' end;
begin
    if v_view is null or p_mode is null or p_mode not in ('units', 'pulses') then
        raise exception using errcode = 'SMF02',
            message = format('uc_channels: step %s (15min, hour, day, month) / mode %s (units, pulses)', p_step, p_mode);
    end if;
    select m.id, m.channel_map, m.channel_constants into v_meter, v_map, v_k
    from smf_read.consumer_unit cu join smf_read.meter m on m.id = cu.main_meter_id
    where cu.uc_code = p_uc_code;
    if v_meter is null then
        return;
    end if;
    return query execute format($q$
        select r.bucket_start,
               r.active_fwd_kwh / smf_read.channel_divisor($1, $2, 'active_fwd_kwh', $3),
               r.active_rev_kwh / smf_read.channel_divisor($1, $2, 'active_rev_kwh', $3),
               r.reactive_ind_fwd_kvarh / smf_read.channel_divisor($1, $2, 'reactive_ind_fwd_kvarh', $3),
               r.reactive_ind_rev_kvarh / smf_read.channel_divisor($1, $2, 'reactive_ind_rev_kvarh', $3),
               r.reactive_cap_fwd_kvarh / smf_read.channel_divisor($1, $2, 'reactive_cap_fwd_kvarh', $3),
               r.reactive_cap_rev_kvarh / smf_read.channel_divisor($1, $2, 'reactive_cap_rev_kvarh', $3),
               r.voltage_a_v_mean / smf_read.channel_divisor($1, $2, 'voltage_a_v', $3),
               r.voltage_b_v_mean / smf_read.channel_divisor($1, $2, 'voltage_b_v', $3),
               r.voltage_c_v_mean / smf_read.channel_divisor($1, $2, 'voltage_c_v', $3),
               r.current_a_a_mean / smf_read.channel_divisor($1, $2, 'current_a_a', $3),
               r.current_b_a_mean / smf_read.channel_divisor($1, $2, 'current_b_a', $3),
               r.current_c_a_mean / smf_read.channel_divisor($1, $2, 'current_c_a', $3),
               r.completeness_pct
        from smf_read.%I r
        where r.meter_id = $4 and r.bucket_start >= $5 and r.bucket_start < $6
        order by r.bucket_start$q$, v_view)
    using v_map, v_k, p_mode, v_meter, p_from, p_to;
end
$$;

-- Wrappers smf_read.X(...) = smf.X(...) for the smf functions that the views of smf read by the
-- dashboards call, and for the billing rules of the power-factor panels. The smf functions read
-- smf.* tables, which the reader may not read, so these run with the rights of smf_api (security
-- definer, owned by smf_api): smf_api is not the tables' owner and has no BYPASSRLS, so every row
-- they read is filtered by the policies for the CALLER's account (smf.principal() looks at
-- session_user, which a security definer does not change, and ignores the smf.principal setting
-- for a role outside smf_api). They take values, never SQL or names, so nothing else is reachable.

-- smf_read.local_timezone: the local time zone setting (reference data, e.g. America/Sao_Paulo).
create or replace function smf_read.local_timezone() returns text
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select smf.local_timezone()
$$;

-- smf_read.meter_poll_health: last session, outcome, last success and failures since, of a meter
-- the caller may see (nulls / 0 for one it may not).
create or replace function smf_read.meter_poll_health(p_meter int)
returns table (last_attempt_at timestamptz, last_outcome text, last_ok_at timestamptz,
               failures_since_ok bigint)
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select * from smf.meter_poll_health(p_meter)
$$;

-- smf_read.meter_uc: the UC (and its alarm group) of a meter the caller may see.
create or replace function smf_read.meter_uc(p_meter int)
returns table (uc_id int, distributor_id int, group_id int, uc_code text, customer_name text)
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select * from smf.meter_uc(p_meter)
$$;

-- smf_read.alarm_thresholds_of: the alarm thresholds in force at p_at for a meter the caller may
-- see (rule code, value in the rule's unit, params, level).
create or replace function smf_read.alarm_thresholds_of(p_meter int, p_at timestamptz)
returns table (rule_code char(1), value numeric, params jsonb, level text)
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select * from smf.alarm_thresholds_of(p_meter, p_at)
$$;

-- smf_read.uc_reactive_hourly: per local clock hour of UC p_uc_code over [p_from, p_to): P (kWh),
-- the reactive Q that counts (kvarh), power factor fT and excess reactive UFER (kWh), as the
-- billing rules compute them (smf.uc_reactive_hourly). A UC outside the caller's scope is
-- invisible to smf_api here too: no rows (not an error).
create or replace function smf_read.uc_reactive_hourly(p_uc_code text, p_from timestamptz, p_to timestamptz)
returns table (hour timestamptz, p_kwh numeric, q_kvarh numeric, power_factor numeric, ufer_kwh numeric)
language plpgsql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
begin
    if not exists (select 1 from smf.consumer_unit cu where cu.uc_code = p_uc_code) then
        return;
    end if;
    return query select * from smf.uc_reactive_hourly(p_uc_code, p_from, p_to);
end
$$;

-- read_views_rewrite: a copy in smf_read of a view of smf runs the smf functions it calls with
-- the reader's rights (a view checks its tables against its owner, but runs functions as the
-- caller): 'permission denied for schema smf' for a reader. So in the views of smf_read, calls of
-- smf functions that have a smf_read wrapper go to the wrapper. (Views are not pointed at other
-- copies: the frozen downgrades of 0008/0009 drop the copies one by one, without cascade; a view
-- of smf read by the dashboards therefore names tables only, not other views of smf, whose
-- security-invoker rules would check them against the reader.) search_path pg_catalog, so
-- pg_get_viewdef names every object with its schema. Owner-only.
create or replace function smf.read_views_rewrite() returns void
language plpgsql volatile set search_path = pg_catalog as $f$
declare
    v text;
    def text;
    fns text;
begin
    select string_agg(distinct p.proname, '|') into fns
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'smf_read';
    for v, def in select c.relname, pg_get_viewdef(c.oid)
                  from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = 'smf_read' and c.relkind = 'v'
                  order by c.relname loop
        def := regexp_replace(def, '\msmf\.(' || coalesce(fns, 'x-none') || ')\(', 'smf_read.\1(', 'g');
        if def <> pg_get_viewdef(format('smf_read.%I', v)::regclass) then
            execute format('create or replace view smf_read.%I with (security_barrier) as %s', v, def);
        end if;
    end loop;
end $f$;
revoke execute on function smf.read_views_rewrite() from public;

-- smf_read.uc_quarter_labels: posto, demand posto, reactive window, reservado and loss factor of
-- each quarter hour of UC p_uc over [p_from, p_to) (smf.uc_quarter_labels), for the views
-- smf_read.interval_label and hour_label; a UC outside the caller's scope gives no rows.
create or replace function smf_read.uc_quarter_labels(p_uc int, p_from timestamptz, p_to timestamptz)
returns table (ts timestamptz, local_ts timestamp, hour_ts timestamptz, posto text, demand_posto text,
               reactive_window text, reservado boolean, loss_factor numeric)
language plpgsql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
begin
    if not exists (select 1 from smf.consumer_unit cu where cu.id = p_uc) then
        return;
    end if;
    return query select * from smf.uc_quarter_labels(p_uc, p_from, p_to);
end
$$;

-- smf_read.ccee_board: the CCEE deadline board of month p_month (smf.ccee_board) for the UCs the
-- caller may see, for the view smf_read.ccee_board_recent.
create or replace function smf_read.ccee_board(p_month date, p_now timestamptz default now())
returns table (month date, distributor text, agent_code int, uc_code text, customer text,
               days_due int, complete int, held int, held_reasons text, sent int, accepted int,
               rejected int, failed int, missing int, deadline date, business_days_left int,
               at_risk boolean)
language sql stable security definer set search_path = smf, pg_catalog, pg_temp as $$
    select * from smf.ccee_board(p_month, p_now)
$$;

do $$
declare
    f regprocedure;
begin
    -- Before revision 0007 there is no smf_read and no smf_api: nothing to do.
    if to_regclass('smf.account') is null then
        return;
    end if;
    foreach f in array array['smf_read.local_timezone()', 'smf_read.meter_poll_health(int)',
            'smf_read.meter_uc(int)', 'smf_read.alarm_thresholds_of(int, timestamptz)',
            'smf_read.uc_reactive_hourly(text, timestamptz, timestamptz)',
            'smf_read.uc_quarter_labels(int, timestamptz, timestamptz)',
            'smf_read.ccee_board(date, timestamptz)']::regprocedure[] loop
        execute format('alter function %s owner to smf_api', f);
    end loop;
    foreach f in array array['smf_read.local_timezone()', 'smf_read.meter_poll_health(int)',
            'smf_read.meter_uc(int)', 'smf_read.alarm_thresholds_of(int, timestamptz)',
            'smf_read.uc_reactive_hourly(text, timestamptz, timestamptz)',
            'smf_read.uc_quarter_labels(int, timestamptz, timestamptz)',
            'smf_read.ccee_board(date, timestamptz)',
            'smf_read.channel_divisor(text[], numeric[], text, text)',
            'smf_read.uc_channels(text, timestamptz, timestamptz, text, text)']::regprocedure[] loop
        execute format('revoke execute on function %s from public', f);
        execute format('grant execute on function %s to smf_reader', f);
    end loop;

    -- (every view of smf gets its smf_read copy in 999_read_views.sql, applied last)
end $$;
