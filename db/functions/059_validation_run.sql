-- VEE validation runner: applies every rule (05x files) to a meter and range, records findings
-- once per (meter, rule, subject, range), resolves open findings a re-run no longer finds, and runs
-- the rules for the meter-days an ingest batch touched. Validation never costs a reading: a rule
-- that raises is caught on its own (a read-only subtransaction, no write inside it), the other
-- rules still report, and the failure becomes a 'validation_error' finding (subject: the rule
-- function) plus, after an ingest, an error row in smf.job_run; the daily VEE job runs open
-- validation_error ranges again (smf.vee_validate_retry).

-- vee_rules: the rule functions smf.vee_validate applies, in this order, and the finding rules
-- each of them reports.
create or replace function smf.vee_rules() returns table (fn text, emits text[])
language sql immutable parallel safe set search_path = pg_catalog as $$
    values ('vee_rule_missing', array['missing']), ('vee_rule_zero_run', array['zero_run']),
           ('vee_rule_spike', array['spike']), ('vee_rule_demand', array['demand']),
           ('vee_rule_reverse_flow', array['reverse_flow']),
           ('vee_rule_voltage', array['voltage_band', 'phase_loss']),
           ('vee_rule_clock', array['clock', 'interval_length']),
           ('vee_rule_register', array['register']),
           ('vee_rule_backup', array['backup_interval', 'backup_hour', 'backup_day']),
           ('vee_rule_meter_status', array['outage', 'meter_status'])
$$;

-- vee_rule_names: the finding rules smf.vee_validate reports (and resolves), validation_error
-- included.
create or replace function smf.vee_rule_names() returns text[]
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select array_agg(e order by r.ord, e.ord) || array['validation_error']
    from smf.vee_rules() with ordinality r(fn, emits, ord), unnest(r.emits) with ordinality e(e, ord)
$$;

-- vee_validate: run every rule on meter p_meter over [p_from, p_to) (UTC); upsert findings (a
-- re-run rewrites a finding only when its detail or severity changed, setting last_seen_at, or to
-- re-open one it had resolved itself; accepted ones stay accepted) and resolve open findings of
-- the rules inside the range that no rule reports any more. Two rows a rule (or two rules) report
-- with one identity (rule, subject, range) become one finding: the worst severity, the distinct
-- details joined by '; '; so the upsert never meets a row twice.
-- A rule that raises: its previous findings in the range stay as they are, a validation_error
-- finding (severity error, subject the rule function, the range) names it and its SQLSTATE; a
-- later run where it succeeds resolves that finding when its range lies inside the run's range.
-- p_upto_last: gaps after the meter's newest interval are not reported (used after an ingest).
-- Returns {"found": n, "new": n, "resolved": n}, plus "errors": [{"rule", "sqlstate", "message"}]
-- when a rule raised.
create or replace function smf.vee_validate(p_meter int, p_from timestamptz, p_to timestamptz,
                                            p_upto_last boolean default false)
returns jsonb
language plpgsql volatile set search_path = smf, pg_catalog
set jit = off
as $$
declare
    v_seen timestamptz := clock_timestamp();
    v_all jsonb := '[]';
    v_part jsonb;
    v_failed text[] := '{}';
    v_errors jsonb := '[]';
    v_state text;
    v_msg text;
    r record;
    v_found int;
    v_new int;
    v_resolved int;
begin
    perform smf.vee_step(p_meter);  -- SMF04 for an unknown meter
    if p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('validation range [%s, %s) is empty', p_from, p_to);
    end if;
    for r in select * from smf.vee_rules() loop
        begin  -- one rule: it only reads, so this subtransaction takes no transaction id
            if r.fn = 'vee_rule_missing' then
                select coalesce(jsonb_agg(to_jsonb(x)), '[]') into v_part
                from smf.vee_rule_missing(p_meter, p_from, p_to, p_upto_last) x;
            else
                execute format('select coalesce(jsonb_agg(to_jsonb(x)), ''[]'') from smf.%I($1, $2, $3) x', r.fn)
                    into v_part using p_meter, p_from, p_to;
            end if;
            v_all := v_all || v_part;
        exception when others then
            get stacked diagnostics v_state = returned_sqlstate, v_msg = message_text;
            v_failed := v_failed || r.emits;
            v_errors := v_errors || jsonb_build_object('rule', r.fn, 'sqlstate', v_state, 'message', v_msg);
            v_all := v_all || jsonb_build_object(
                'rule', 'validation_error', 'subject', r.fn, 'ts_from', p_from, 'ts_to', p_to,
                'severity', 'error',
                'detail', format('rule smf.%s raised SQLSTATE %s (%s) on %s to %s (local); the readings are '
                                 'stored, its findings (%s) of this range were not refreshed; the daily VEE '
                                 'job runs it again', r.fn, v_state, v_msg, smf.vee_fmt_local(p_from),
                                 smf.vee_fmt_local(p_to), array_to_string(r.emits, ', ')));
        end;
    end loop;
    with f as materialized (  -- one row per identity
        select x.rule, coalesce(x.subject, '') as subject, x.ts_from, x.ts_to,
               (array_agg(x.severity order by array_position(array['error', 'warning', 'info'], x.severity)))[1]
                   as severity,
               string_agg(distinct x.detail, '; ' order by x.detail) as detail
        from jsonb_to_recordset(v_all) as x(rule text, subject text, ts_from timestamptz, ts_to timestamptz,
                                            severity text, detail text)
        group by 1, 2, 3, 4
    ), up as (  -- new findings, and changed or self-resolved ones (unchanged rows are not rewritten)
        insert into smf.vee_finding as v (meter_id, rule, subject, ts_from, ts_to, severity, detail,
                                          first_seen_at, last_seen_at)
        select p_meter, f.rule, f.subject, f.ts_from, f.ts_to, f.severity, f.detail, v_seen, v_seen from f
        on conflict (meter_id, rule, subject, ts_from, ts_to) do update set
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
          and v.rule = any (smf.vee_rule_names()) and v.rule <> all (v_failed)
          and (v.rule <> 'validation_error' or v.ts_to <= p_to)
          and not exists (select 1 from f where f.rule = v.rule and f.subject = v.subject
                                            and f.ts_from = v.ts_from and f.ts_to = v.ts_to)
        returning 1
    )
    select (select count(*) from f), (select count(*) filter (where is_new) from up), (select count(*) from gone)
    into v_found, v_new, v_resolved;
    return jsonb_build_object('found', v_found, 'new', v_new, 'resolved', v_resolved)
           || case when jsonb_array_length(v_errors) > 0 then jsonb_build_object('errors', v_errors)
                   else '{}' end;
end
$$;

-- vee_record_error: one finished smf.job_run row of job p_job (outcome error, p_error, counts
-- p_counts) by p_holder: how a failure seen inside a writer's transaction (an ingest) becomes
-- visible where operators look for failed jobs. SECURITY DEFINER: the writer need not hold
-- insert on smf.job_run. Returns its id.
create or replace function smf.vee_record_error(p_job text, p_holder text, p_error text, p_counts jsonb)
returns bigint
language sql volatile security definer set search_path = smf, pg_catalog as $$
    insert into smf.job_run (job, holder, finished_at, outcome, counts, error)
    values (p_job, p_holder, clock_timestamp(), 'error', coalesce(p_counts, '{}'), left(p_error, 2000))
    returning id
$$;

-- vee_validate_batch: run the rules on the local days touched by the ingest batch just finished in
-- this transaction (pg_temp.ingest_touched of smf.ingest_finish), when the setting
-- vee_validate_on_ingest is 'on' and the session is not a back-fill (`smf import --backfill` sets
-- smf.vee_on_ingest = 'off' for its transaction and validates each meter-month it touched once,
-- after the load: smf.vee_validate_backfill). A rule that raised leaves its validation_error findings and one
-- smf.job_run row (job 'vee_validate', outcome error) naming each rule, its SQLSTATE and how many
-- meter-ranges it failed on. Returns the number of meter-ranges validated.
create or replace function smf.vee_validate_batch(p_batch int) returns int
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog as $$
declare
    v record;
    v_n int := 0;
    v_res jsonb;
    v_errors jsonb := '[]';
begin
    if coalesce((select value from smf.setting where key = 'vee_validate_on_ingest'), 'on') <> 'on'
       or current_setting('smf.vee_on_ingest', true) = 'off'
       or to_regclass('pg_temp.ingest_touched') is null then
        return 0;
    end if;
    for v in select t.meter_id, m.serial, smf.vee_day_start(smf.vee_local_day(t.lo)) as lo,
                    smf.vee_day_start(smf.vee_local_day(t.hi) + 1) as hi
             from ingest_touched t join smf.meter m on m.id = t.meter_id order by t.meter_id loop
        v_res := smf.vee_validate(v.meter_id, v.lo, v.hi, true);
        v_errors := v_errors || (select coalesce(jsonb_agg(e || jsonb_build_object('serial', v.serial,
                                                            'from', v.lo, 'to', v.hi)), '[]')
                                 from jsonb_array_elements(coalesce(v_res -> 'errors', '[]')) e);
        v_n := v_n + 1;
    end loop;
    if jsonb_array_length(v_errors) > 0 then
        perform smf.vee_record_error('vee_validate', format('ingest batch %s', p_batch),
            (select format('validation of ingest batch %s: %s; the readings are stored, open '
                           'validation_error findings list the ranges, the daily VEE job runs them again',
                           p_batch, string_agg(format('rule smf.%s raised SQLSTATE %s (%s) on %s meter-range(s), '
                                                      'first meter %s', e.rule, e.sqlstate, e.message, e.n,
                                                      e.serial), '; ' order by e.rule))
             from (select x ->> 'rule' as rule, x ->> 'sqlstate' as sqlstate, min(x ->> 'message') as message,
                          count(*) as n, min(x ->> 'serial') as serial
                   from jsonb_array_elements(v_errors) x group by 1, 2) e),
            jsonb_build_object('batch_id', p_batch, 'errors', v_errors));
    end if;
    return v_n;
end
$$;

-- vee_validate_backfill: the rules over meter p_meter's [p_from, p_to) (UTC; a back-fill passes
-- whole local days of one local month: the hull of what its files loaded in that month), with
-- gaps after the meter's newest interval not reported, as after an ingest; what `smf import
-- --backfill` runs once per meter-month after the load. A rule that raises leaves a
-- validation_error finding (smf.vee_validate) and one smf.job_run error row (job vee_validate)
-- naming it. Returns smf.vee_validate's result.
create or replace function smf.vee_validate_backfill(p_meter int, p_from timestamptz, p_to timestamptz)
returns jsonb
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_res jsonb := smf.vee_validate(p_meter, p_from, p_to, true);
    v_what text := format('back-fill of meter %s, %s to %s (local)', p_meter, smf.vee_fmt_local(p_from),
                          smf.vee_fmt_local(p_to));
begin
    if jsonb_array_length(coalesce(v_res -> 'errors', '[]')) > 0 then
        perform smf.vee_record_error('vee_validate', v_what,
            (select format('validation of the %s: %s; the readings are stored, open validation_error '
                           'findings list the ranges, the daily VEE job runs them again', v_what,
                           string_agg(format('rule smf.%s raised SQLSTATE %s (%s)', e ->> 'rule',
                                             e ->> 'sqlstate', e ->> 'message'), '; '))
             from jsonb_array_elements(v_res -> 'errors') e),
            jsonb_build_object('meter_id', p_meter, 'from', p_from, 'to', p_to, 'errors', v_res -> 'errors'));
    end if;
    return v_res;
end
$$;

-- vee_validate_batch_failed: the validation of ingest batch p_batch raised outside any one rule
-- (SQLSTATE p_sqlstate, p_message) and was rolled back to its savepoint by db/ingest.py: every
-- meter-range the batch touched (pg_temp.ingest_touched) gets a validation_error finding (subject
-- 'vee_validate_batch'), and smf.job_run an error row. The batch's readings stay. Returns the
-- number of meter-ranges.
create or replace function smf.vee_validate_batch_failed(p_batch int, p_sqlstate text, p_message text)
returns int
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog as $$
declare
    v_n int := 0;
begin
    if to_regclass('pg_temp.ingest_touched') is not null then
        insert into smf.vee_finding as v (meter_id, rule, subject, ts_from, ts_to, severity, detail)
        select t.meter_id, 'validation_error', 'vee_validate_batch', t.lo, t.hi, 'error',
               format('the validation of ingest batch %s raised SQLSTATE %s (%s) on %s to %s (local); the '
                      'readings are stored, no finding of this range was refreshed; the daily VEE job runs it '
                      'again', p_batch, p_sqlstate, p_message, smf.vee_fmt_local(t.lo), smf.vee_fmt_local(t.hi))
        from (select t.meter_id, smf.vee_day_start(min(smf.vee_local_day(t.lo))) as lo,
                     smf.vee_day_start(max(smf.vee_local_day(t.hi)) + 1) as hi
              from ingest_touched t group by t.meter_id) t
        on conflict (meter_id, rule, subject, ts_from, ts_to) do update
            set detail = excluded.detail, last_seen_at = now(), status = 'open', resolved_by = null,
                resolved_at = null;
        get diagnostics v_n = row_count;
    end if;
    perform smf.vee_record_error('vee_validate', format('ingest batch %s', p_batch),
        format('validation of ingest batch %s raised SQLSTATE %s (%s) on %s meter-range(s); the readings '
               'are stored, open validation_error findings list the ranges, the daily VEE job runs them '
               'again', p_batch, p_sqlstate, p_message, v_n),
        jsonb_build_object('batch_id', p_batch, 'sqlstate', p_sqlstate, 'ranges', v_n));
    return v_n;
end
$$;

-- vee_validate_retry: smf.vee_validate again over the range of every open validation_error finding
-- (of meter p_meter, or of every meter when null): what the daily VEE job does for ranges whose
-- rules raised. A rule that now succeeds resolves its validation_error. One row per range with the
-- result.
create or replace function smf.vee_validate_retry(p_meter int default null)
returns table (meter_id int, serial text, ts_from timestamptz, ts_to timestamptz, result jsonb)
language plpgsql volatile set search_path = smf, pg_catalog as $$
#variable_conflict use_column
declare
    v record;
begin
    for v in select distinct f.meter_id, m.serial, f.ts_from, f.ts_to
             from smf.vee_finding f join smf.meter m on m.id = f.meter_id
             where f.rule = 'validation_error' and f.status = 'open'
               and (p_meter is null or f.meter_id = p_meter)
             order by m.serial, f.ts_from loop
        meter_id := v.meter_id;
        serial := v.serial;
        ts_from := v.ts_from;
        ts_to := v.ts_to;
        result := smf.vee_validate(v.meter_id, v.ts_from, v.ts_to);
        return next;
    end loop;
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
