-- VEE validation runner: applies every rule (05x files) to a meter and range, records findings
-- once per (meter, rule, range), resolves open findings a re-run no longer finds, and runs the
-- rules for the meter-days an ingest batch touched.

-- vee_rule_names: the rules smf.vee_validate applies (finding rule names).
create or replace function smf.vee_rule_names() returns text[]
language sql immutable parallel safe set search_path = pg_catalog as $$
    select array['missing', 'zero_run', 'spike', 'demand', 'reverse_flow', 'voltage_band', 'phase_loss',
                 'clock', 'interval_length', 'register', 'backup_interval', 'backup_hour', 'backup_day',
                 'outage', 'meter_status']
$$;

-- vee_validate: run every rule on meter p_meter over [p_from, p_to) (UTC); upsert findings (a
-- re-run rewrites a finding only when its detail or severity changed, setting last_seen_at, or to
-- re-open one it had resolved itself; accepted ones stay accepted) and resolve open findings of
-- the rules inside the range that no rule reports any more.
-- p_upto_last: gaps after the meter's newest interval are not reported (used after an ingest).
-- Returns {"found": n, "new": n, "resolved": n}.
create or replace function smf.vee_validate(p_meter int, p_from timestamptz, p_to timestamptz,
                                            p_upto_last boolean default false)
returns jsonb
language plpgsql volatile set search_path = smf, pg_catalog
set jit = off
as $$
declare
    v_seen timestamptz := clock_timestamp();
    v_found int;
    v_new int;
    v_resolved int;
begin
    perform smf.vee_step(p_meter);  -- SMF04 for an unknown meter
    if p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('validation range [%s, %s) is empty', p_from, p_to);
    end if;
    with found as materialized (
        select * from smf.vee_rule_missing(p_meter, p_from, p_to, p_upto_last)
        union all select * from smf.vee_rule_zero_run(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_spike(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_demand(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_reverse_flow(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_voltage(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_clock(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_register(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_backup(p_meter, p_from, p_to)
        union all select * from smf.vee_rule_meter_status(p_meter, p_from, p_to)
    ), f as materialized (  -- one finding per rule and range: e.g. the three phases of one
        -- interval outside the voltage band are one voltage_band finding naming each phase (two
        -- rows with one key would fail the upsert below, and with it the ingest that called it)
        select x.rule, x.ts_from, x.ts_to,
               case when bool_or(x.severity = 'error') then 'error'
                    when bool_or(x.severity = 'warning') then 'warning' else 'info' end as severity,
               string_agg(x.detail, '; ' order by x.detail) as detail
        from found x
        group by x.rule, x.ts_from, x.ts_to
    ), up as (  -- new findings, and changed or self-resolved ones (unchanged rows are not rewritten)
        insert into smf.vee_finding as v (meter_id, rule, ts_from, ts_to, severity, detail,
                                          first_seen_at, last_seen_at)
        select p_meter, f.rule, f.ts_from, f.ts_to, f.severity, f.detail, v_seen, v_seen from f
        on conflict (meter_id, rule, ts_from, ts_to) do update set
            last_seen_at = excluded.last_seen_at, detail = excluded.detail, severity = excluded.severity,
            status = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                          then 'open' else v.status end,
            resolved_by = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                               then null else v.resolved_by end,
            resolved_at = case when v.status = 'resolved' and v.resolved_by = 'validation: no longer found'
                               then null else v.resolved_at end
        where (v.detail, v.severity) is distinct from (excluded.detail, excluded.severity)
           or (v.status = 'resolved' and v.resolved_by = 'validation: no longer found')
        returning (xmax = 0) as is_new
    ), gone as (  -- open findings of this meter inside the range that no rule reports any more
        update smf.vee_finding v set status = 'resolved', resolved_by = 'validation: no longer found',
            resolved_at = now()
        where v.meter_id = p_meter and v.status = 'open' and v.ts_from >= p_from and v.ts_from < p_to
          and v.rule = any (smf.vee_rule_names())
          and not exists (select 1 from f where f.rule = v.rule and f.ts_from = v.ts_from and f.ts_to = v.ts_to)
        returning 1
    )
    select (select count(*) from f), (select count(*) filter (where is_new) from up), (select count(*) from gone)
    into v_found, v_new, v_resolved;
    return jsonb_build_object('found', v_found, 'new', v_new, 'resolved', v_resolved);
end
$$;

-- vee_validate_batch: run the rules on the local days touched by the ingest batch just finished in
-- this transaction (pg_temp.ingest_touched of smf.ingest_finish), when the setting
-- vee_validate_on_ingest is 'on'. Returns the number of meter-ranges validated.
create or replace function smf.vee_validate_batch(p_batch int) returns int
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog as $$
declare
    v record;
    v_n int := 0;
begin
    if coalesce((select value from smf.setting where key = 'vee_validate_on_ingest'), 'on') <> 'on'
       or to_regclass('pg_temp.ingest_touched') is null then
        return 0;
    end if;
    for v in select t.meter_id, smf.vee_day_start(smf.vee_local_day(t.lo)) as lo,
                    smf.vee_day_start(smf.vee_local_day(t.hi) + 1) as hi
             from ingest_touched t order by t.meter_id loop
        perform smf.vee_validate(v.meter_id, v.lo, v.hi, true);
        v_n := v_n + 1;
    end loop;
    return v_n;
end
$$;

-- vee_scope_meters: the meters of a scope: 'meter' (serial), 'uc' (UC code: main and backup
-- meters) or 'distributor' (ANEEL code: the meters of its UCs); SMF04 when it names nothing.
create or replace function smf.vee_scope_meters(p_kind text, p_ref text) returns setof int
language plpgsql stable set search_path = smf, pg_catalog as $$
begin
    if p_kind = 'meter' then
        return query select m.id from smf.meter m where m.serial = p_ref;
    elsif p_kind = 'uc' then
        return query select unnest(array[cu.main_meter_id, cu.backup_meter_id]) from smf.consumer_unit cu
                     where cu.uc_code = p_ref;
    elsif p_kind = 'distributor' then
        return query select unnest(array[cu.main_meter_id, cu.backup_meter_id])
                     from smf.consumer_unit cu join smf.distributor d on d.id = cu.distributor_id
                     where d.aneel_code = p_ref;
    else
        raise exception using errcode = 'SMF02',
            message = format('scope %L is not meter, uc or distributor', p_kind);
    end if;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no %s %L', p_kind, p_ref);
    end if;
end
$$;

-- vee_validate_scope: smf.vee_validate for every meter of a scope (see vee_scope_meters) over
-- [p_from, p_to); one row per meter with its counts.
create or replace function smf.vee_validate_scope(p_kind text, p_ref text, p_from timestamptz, p_to timestamptz)
returns table (meter_id int, serial text, result jsonb)
language sql volatile set search_path = smf, pg_catalog as $$
    select m.id, m.serial, smf.vee_validate(m.id, p_from, p_to)
    from smf.meter m
    where m.id in (select s from smf.vee_scope_meters(p_kind, p_ref) s where s is not null)
    order by m.serial
$$;

-- vee_finding_set_status: accept or resolve (or re-open) finding p_id, by p_who; SMF04 unknown id.
create or replace function smf.vee_finding_set_status(p_id bigint, p_status text, p_who text)
returns void
language plpgsql volatile set search_path = smf, pg_catalog as $$
begin
    if p_status not in ('open', 'accepted', 'resolved') then
        raise exception using errcode = 'SMF02',
            message = format('status %L is not open, accepted or resolved', p_status);
    end if;
    update smf.vee_finding set status = p_status,
        resolved_by = case when p_status = 'open' then null else p_who end,
        resolved_at = case when p_status = 'open' then null else now() end
    where id = p_id;
    if not found then
        raise exception using errcode = 'SMF04', message = format('no finding %s', p_id);
    end if;
end
$$;
