-- VEE rules on voltage (V; stored as mV): out of the adequate band, and phase loss, one finding
-- per phase (its subject: A, B or C). The nominal phase voltage is the parameter
-- voltage_nominal_v (a meter's own row is written by `smf meter set --nominal-voltage`), or, when
-- that is 0, detected per call as the standard nominal value nearest the highest of the phase means
-- of the local days of the range (from smf.rollup_day: a lost phase does not pull it down). The
-- candidates include the phase-to-earth secondaries of voltage transformers (100/sqrt 3 = 57.7,
-- 110/sqrt 3 = 63.5, 115/sqrt 3 = 66.4, 120/sqrt 3 = 69.3 V), the phase-to-phase secondaries
-- (100, 110, 115, 120 V) and low-voltage supplies (127, 220, 230, 240, 254, 380, 400, 440 V). Some
-- are only 4.5 % apart, less than the adequate band is wide: when the mean lies nearer the midpoint
-- of its two nearest candidates than 1.5 % of the value, the detection is called ambiguous and the
-- detail names both and the command that settles it. Every finding states the nominal it used and
-- how it was chosen. Findings for meter p_meter over [p_from, p_to).

-- vee_nominal_candidates: the standard nominal phase voltages (V) detection chooses from.
create or replace function smf.vee_nominal_candidates() returns numeric[]
language sql immutable parallel safe set search_path = pg_catalog as $$
    select array[57.7, 63.5, 66.4, 69.3, 100, 110, 115, 120, 127, 220, 230, 240, 254, 380, 400, 440]::numeric[]
$$;

-- vee_nominal_voltage: (nominal V, how) of meter p_meter over [p_from, p_to): how is 'configured',
-- 'detected from mean X V' or 'detected from mean X V, ambiguous with Y V: smf meter set SERIAL
-- --nominal-voltage'; null nominal when no voltage is stored.
create or replace function smf.vee_nominal_voltage(p_meter int, p_from timestamptz, p_to timestamptz,
                                                   out nominal_v numeric, out how text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_mean numeric;
    v_next numeric;
begin
    nominal_v := smf.vee_param('voltage_nominal_v', p_meter, smf.vee_local_day(p_from));
    how := 'configured';
    if nominal_v > 0 then
        return;
    end if;
    select greatest(sum(d.voltage_a_mv_sum) / nullif(sum(d.voltage_a_mv_n), 0),
                    sum(d.voltage_b_mv_sum) / nullif(sum(d.voltage_b_mv_n), 0),
                    sum(d.voltage_c_mv_sum) / nullif(sum(d.voltage_c_mv_n), 0)) / 1000.0 into v_mean
    from smf.rollup_day d
    where d.meter_id = p_meter and d.bucket between smf.vee_local_day(p_from) and smf.vee_local_day(p_to);
    if v_mean is null or v_mean <= 0 then
        nominal_v := null;
        how := 'detected';
        return;
    end if;
    select (array_agg(s order by abs(s - v_mean), s))[1], (array_agg(s order by abs(s - v_mean), s))[2]
    into nominal_v, v_next
    from unnest(smf.vee_nominal_candidates()) s;
    how := format('detected from mean %s V', round(v_mean, 1));
    if abs(abs(v_mean - nominal_v) - abs(v_mean - v_next)) < 0.015 * v_mean then
        how := how || format(', ambiguous with %s V: smf meter set %s --nominal-voltage V', v_next,
                             (select m.serial from smf.meter m where m.id = p_meter));
    end if;
end
$$;

-- vee_set_nominal_voltage: meter p_serial's own voltage_nominal_v parameter (V phase to neutral;
-- 0 = detect from the data) from local day p_from (null: all its data) on: rows of the meter that
-- start later are replaced, one that covers p_from ends there. SMF04 unknown meter, SMF02 a value
-- outside 20-1000 V. Returns {"serial", "volts", "valid_from", "standard"} (standard: whether it
-- is one of smf.vee_nominal_candidates()).
create or replace function smf.vee_set_nominal_voltage(p_serial text, p_volts numeric, p_from date default null)
returns jsonb
language plpgsql volatile set search_path = smf, pg_catalog as $$
declare
    v_meter int;
    v_from date := coalesce(p_from, '2000-01-01');
begin
    select m.id into v_meter from smf.meter m where m.serial = p_serial;
    if v_meter is null then
        raise exception using errcode = 'SMF04', message = format('no meter with serial %s', p_serial);
    end if;
    if p_volts is null or (p_volts <> 0 and (p_volts < 20 or p_volts > 1000)) then
        raise exception using errcode = 'SMF02',
            message = format('nominal voltage %s V out of range: 20-1000 V phase to neutral, or 0 (detect)', p_volts);
    end if;
    delete from smf.vee_parameter p
    where p.key = 'voltage_nominal_v' and p.meter_id = v_meter and lower(p.valid_during) >= v_from;
    update smf.vee_parameter p set valid_during = daterange(lower(p.valid_during), v_from)
    where p.key = 'voltage_nominal_v' and p.meter_id = v_meter and p.valid_during @> v_from;
    insert into smf.vee_parameter (key, meter_id, valid_during, value, unit, description)
    values ('voltage_nominal_v', v_meter, daterange(v_from, null), p_volts, 'V',
            case when p_volts = 0 then 'detect from the data (smf meter set --nominal-voltage auto)'
                 else 'set by smf meter set --nominal-voltage' end);
    return jsonb_build_object('serial', p_serial, 'volts', p_volts, 'valid_from', v_from,
                              'standard', p_volts = 0 or p_volts = any (smf.vee_nominal_candidates()));
end
$$;

-- vee_rule_voltage: runs (per phase: the finding's subject) of voltages outside [voltage_low, voltage_high] x nominal,
-- not counting a phase below phase_loss_pu (that is phase_loss); and runs of phase loss: a phase
-- below phase_loss_pu x nominal while another phase is inside the band.
create or replace function smf.vee_rule_voltage(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, subject text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_tz text := smf.local_timezone();
    v_step interval := smf.vee_step(p_meter);
    v_day date := smf.vee_local_day(p_from);
    v_nom numeric;
    v_how text;
    v_low numeric;
    v_high numeric;
    v_loss numeric;
begin
    -- (an import-only meter is judged on the voltages it carries, whatever its channel map says;
    -- with none stored the nominal is null below)
    if not exists (select 1 from smf.meter m where m.id = p_meter
                   and (m.channel_map && array['voltage_a_v', 'voltage_b_v', 'voltage_c_v']
                        or m.protocol = 'import_only')) then
        return;
    end if;
    select n.nominal_v, n.how into v_nom, v_how from smf.vee_nominal_voltage(p_meter, p_from, p_to) n;
    if v_nom is null then
        return;
    end if;
    v_low := v_nom * 1000 * smf.vee_param('voltage_low', p_meter, v_day);
    v_high := v_nom * 1000 * smf.vee_param('voltage_high', p_meter, v_day);
    v_loss := v_nom * 1000 * smf.vee_param('phase_loss_pu', p_meter, v_day);
    -- the daily min/max per phase tell cheaply whether any interval leaves the band
    if not exists (select 1 from smf.rollup_day d where d.meter_id = p_meter
                   and d.bucket between smf.vee_local_day(p_from) and smf.vee_local_day(p_to)
                   and (least(d.voltage_a_mv_min, d.voltage_b_mv_min, d.voltage_c_mv_min) < v_low
                        or greatest(d.voltage_a_mv_max, d.voltage_b_mv_max, d.voltage_c_mv_max) > v_high)) then
        return;
    end if;
    return query
    with x as (  -- only intervals with a phase outside the band are unpivoted
        select r.ts, r.voltage_a_mv as va, r.voltage_b_mv as vb, r.voltage_c_mv as vc,
               coalesce(r.voltage_a_mv between v_low and v_high, false)
               or coalesce(r.voltage_b_mv between v_low and v_high, false)
               or coalesce(r.voltage_c_mv between v_low and v_high, false) as any_normal
        from smf.intervals(p_meter, p_from, p_to) r
        where r.quality <> 'missing'
          and not (coalesce(r.voltage_a_mv between v_low and v_high, true)
                   and coalesce(r.voltage_b_mv between v_low and v_high, true)
                   and coalesce(r.voltage_c_mv between v_low and v_high, true))
    ), flagged as (
        select x.ts, p.phase, p.v,
               case when p.v < v_loss then case when x.any_normal then 'phase_loss' end
                    when p.v < v_low or p.v > v_high then 'voltage_band' end as kind
        from x, lateral (values ('A', x.va), ('B', x.vb), ('C', x.vc)) p(phase, v)
        where p.v is not null
    )
    select f.kind, f.phase, min(f.ts), max(f.ts) + v_step,
           case when f.kind = 'phase_loss' then 'error' else 'warning' end,
           case when f.kind = 'phase_loss'
                then format('phase %s near zero (min %s V, below %s V) while another phase is normal, '
                            '%s interval(s) %s to %s (local); nominal %s V (%s)', f.phase,
                            round((min(f.v)) / 1000.0, 3), round(v_loss / 1000.0, 1), count(*),
                            to_char((min(f.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(f.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            v_nom, v_how)
                else format('phase %s outside %s-%s V (min %s V, max %s V), %s interval(s) %s to %s '
                            '(local); nominal %s V (%s)', f.phase, round(v_low / 1000.0, 1),
                            round(v_high / 1000.0, 1), round((min(f.v)) / 1000.0, 3), round((max(f.v)) / 1000.0, 3), count(*),
                            to_char((min(f.ts)) at time zone v_tz, 'YYYY-MM-DD HH24:MI'), to_char((max(f.ts) + v_step) at time zone v_tz, 'YYYY-MM-DD HH24:MI'),
                            v_nom, v_how) end
    from (select flagged.*, flagged.ts - (row_number() over (partition by flagged.phase, flagged.kind
                                                              order by flagged.ts)) * v_step as island
          from flagged where flagged.kind is not null) f
    group by f.kind, f.phase, f.island;
end
$$;
