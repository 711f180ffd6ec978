-- VEE manual edits: set, scale or copy one channel of a meter over [p_from, p_to) (UTC interval
-- starts), with a required reason. Edited rows are written through the ingest path (quality
-- adjusted, source manual; rollups refreshed, the old rows kept in interval_reading_history with
-- the operator and the reason) and smf.vee_manual_edit keeps who, when, why and the old values.
-- Bad input raises SMF02/SMF04 before anything is written.

-- vee_channel_column: the stored column of a channel name ('active_fwd', 'active_fwd_kwh',
-- 'active_fwd_wh', 'voltage_a', 'voltage_a_v' ...); SMF02 for anything else.
create or replace function smf.vee_channel_column(p_channel text) returns text
language plpgsql immutable set search_path = smf, pg_catalog as $$
declare
    v text;
begin
    select c into v
    from unnest(smf.energy_columns() || smf.analog_columns()) c
    where lower(p_channel) in (c, regexp_replace(c, '_(wh|varh|mv|ma)$', ''),
                               regexp_replace(regexp_replace(c, '_(wh|varh)$', '_k\1'), '_m(v|a)$', '_\1'));
    if v is null then
        raise exception using errcode = 'SMF02',
            message = format('unknown channel %L; channels: %s', p_channel,
                             (select string_agg(regexp_replace(c, '_(wh|varh|mv|ma)$', ''), ', ')
                              from unnest(smf.energy_columns() || smf.analog_columns()) c));
    end if;
    return v;
end
$$;

-- vee_edit: apply a manual edit to channel p_channel of meter p_serial over [p_from, p_to):
-- p_operation 'set' (p_value in kWh/kvarh/V/A per interval), 'scale' (by p_value >= 0) or
-- 'copy_from' (the same channel of meter p_source_serial). Returns {"edit_id", "batch_id", "intervals"}.
create or replace function smf.vee_edit(p_serial text, p_from timestamptz, p_to timestamptz, p_channel text,
                                        p_operation text, p_value numeric, p_source_serial text,
                                        p_reason text, p_operator text default current_user)
returns jsonb
language plpgsql volatile set search_path = smf, pg_temp, pg_catalog as $$
declare
    v_meter int;
    v_source int;
    v_step interval;
    v_col text := smf.vee_channel_column(p_channel);
    v_first timestamptz;
    v_last timestamptz;
    v_rows jsonb;
    v_bad int;
    v_batch int;
    v_edit int;
    v_cols text;
    v_result jsonb;
begin
    if p_reason is null or btrim(p_reason) = '' then
        raise exception using errcode = 'SMF02', message = 'a reason is required for a manual edit';
    end if;
    select id, make_interval(mins => interval_minutes) into v_meter, v_step from smf.meter where serial = p_serial;
    if v_meter is null then
        raise exception using errcode = 'SMF04', message = format('no meter with serial %L', p_serial);
    end if;
    if p_from is null or p_to is null or p_to <= p_from then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is empty', p_from, p_to);
    end if;
    if p_from <> smf.vee_grid_down(p_from, v_step) or p_to <> smf.vee_grid_down(p_to, v_step) then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is not on the %s grid of meter %s', p_from, p_to, v_step, p_serial);
    end if;
    select s.first_ts, s.last_ts + v_step into v_first, v_last from smf.interval_span(v_meter) s;
    if v_first is null or p_from < v_first or p_to > v_last then
        raise exception using errcode = 'SMF02',
            message = format('the edit range [%s, %s) is beyond the data of meter %s (%s)', p_from, p_to, p_serial,
                             coalesce(format('stored from %s to %s', v_first, v_last), 'nothing stored'));
    end if;
    if p_operation not in ('set', 'scale', 'copy_from') then
        raise exception using errcode = 'SMF02',
            message = format('operation %L is not set, scale or copy_from', p_operation);
    end if;
    if p_operation in ('set', 'scale') and (p_value is null or p_value < 0) then
        raise exception using errcode = 'SMF02',
            message = format('%s needs a value >= 0 (negative energy is refused), got %s', p_operation,
                             coalesce(p_value::text, 'none'));
    end if;
    if p_operation = 'copy_from' then
        select id into v_source from smf.meter
        where serial = p_source_serial and make_interval(mins => interval_minutes) = v_step;
        if v_source is null then
            raise exception using errcode = 'SMF04',
                message = format('no meter %L with the %s interval of %s to copy from', p_source_serial,
                                 v_step, p_serial);
        end if;
    end if;

    execute format($q$
        select jsonb_agg(jsonb_build_object('ts', g.ts, 'old', r.%1$I, 'quality', r.quality,
                                            'source', r.source, 'new', %2$s) order by g.ts)
        from generate_series($1, $2 - $3, $3) g(ts)
        left join smf.intervals($4, $1, $2) r on r.ts = g.ts
        left join smf.intervals($5, $1, $2) c on c.ts = g.ts$q$,
        v_col,
        case p_operation when 'set' then 'round($6 * 1000)::bigint'
                         when 'scale' then format('round(r.%I * $6)::bigint', v_col)
                         else format('case when c.quality <> ''missing'' then c.%I end', v_col) end)
    into v_rows using p_from, p_to, v_step, v_meter, v_source, p_value;
    select count(*) into v_bad from jsonb_array_elements(v_rows) e where e -> 'new' = 'null'::jsonb;
    if v_bad > 0 then
        raise exception using errcode = 'SMF02',
            message = format('%s of the %s intervals have no %s value to %s', v_bad,
                             jsonb_array_length(v_rows),
                             case when p_operation = 'copy_from' then p_source_serial else p_serial end,
                             case when p_operation = 'copy_from' then 'copy' else 'scale' end);
    end if;

    insert into smf.vee_manual_edit (meter_id, ts_from, ts_to, channel, operation, argument, reason, operator, old_values)
    values (v_meter, p_from, p_to, v_col, p_operation,
            case when p_operation = 'copy_from' then p_source_serial else p_value::text end,
            p_reason, p_operator,
            (select jsonb_agg(e - 'new') from jsonb_array_elements(v_rows) e))
    returning id into v_edit;

    v_batch := smf.ingest_begin('manual', format('vee manual edit %s', v_edit));
    select string_agg(case when c = v_col then '(x.new / 1000.0)' else format('(r.%I / 1000.0)', c) end, ', '
                      order by o)
    into v_cols from unnest(smf.energy_columns() || smf.analog_columns()) with ordinality u(c, o);
    execute format($q$
        insert into ingest_stage (meter_id, ts, active_fwd_kwh, active_rev_kwh, reactive_ind_fwd_kvarh,
            reactive_ind_rev_kvarh, reactive_cap_fwd_kvarh, reactive_cap_rev_kvarh, voltage_a_v, voltage_b_v,
            voltage_c_v, current_a_a, current_b_a, current_c_a, quality, source)
        select $1, x.ts::text, %s, 'adjusted', 'manual'
        from jsonb_to_recordset($2) as x(ts timestamptz, new bigint)
        left join smf.intervals($1, (select min(y.ts) from jsonb_to_recordset($2) as y(ts timestamptz)),
                                (select max(y.ts) from jsonb_to_recordset($2) as y(ts timestamptz))
                                + interval '1 microsecond') r on r.ts = x.ts$q$, v_cols)
    using v_meter, v_rows;
    perform set_config('smf.changed_by', p_operator, true);
    perform set_config('smf.change_reason', p_reason, true);
    v_result := smf.ingest_finish(v_batch, 0);
    if v_result -> 'quarantined' <> '{}'::jsonb then
        raise exception using errcode = 'SMF02',
            message = format('the edited values break an ingest rule (%s); nothing was changed',
                             v_result -> 'quarantined');
    end if;
    perform set_config('smf.changed_by', '', true);
    perform set_config('smf.change_reason', '', true);
    update smf.vee_manual_edit set batch_id = v_batch where id = v_edit;
    update smf.vee_finding set status = 'resolved', resolved_by = format('manual edit %s', v_edit), resolved_at = now()
    where meter_id = v_meter and status = 'open' and ts_from >= p_from and ts_to <= p_to;
    return jsonb_build_object('edit_id', v_edit, 'batch_id', v_batch, 'intervals', jsonb_array_length(v_rows));
end
$$;
