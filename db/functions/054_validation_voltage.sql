-- VEE rules on voltage (V; stored as mV): out of the adequate band, and phase loss. The nominal
-- phase voltage is the parameter voltage_nominal_v, or, when that is 0, detected per call as the
-- standard nominal value nearest the highest of the phase means of the local days of the range
-- (from smf.rollup_day: a lost phase does not pull it down; the standard values are far enough
-- apart that a mean snaps right); the detail says which. Findings for meter p_meter over [p_from, p_to).

-- vee_nominal_voltage: (nominal V, 'configured' | 'detected') of meter p_meter over [p_from, p_to);
-- null nominal when no voltage is stored.
create or replace function smf.vee_nominal_voltage(p_meter int, p_from timestamptz, p_to timestamptz,
                                                   out nominal_v numeric, out how text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_mean numeric;
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
    select s into nominal_v
    from unnest(array[57.7, 63.5, 110, 115, 120, 127, 220, 230, 240, 254, 380, 400, 440]::numeric[]) s
    where v_mean is not null order by abs(s - v_mean) limit 1;
    how := 'detected';
end
$$;

-- vee_rule_voltage: runs (per phase) of voltages outside [voltage_low, voltage_high] x nominal,
-- not counting a phase below phase_loss_pu (that is phase_loss); and runs of phase loss: a phase
-- below phase_loss_pu x nominal while another phase is inside the band.
create or replace function smf.vee_rule_voltage(p_meter int, p_from timestamptz, p_to timestamptz)
returns table (rule text, ts_from timestamptz, ts_to timestamptz, severity text, detail text)
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
    if not exists (select 1 from smf.meter m where m.id = p_meter
                   and m.channel_map && array['voltage_a_v', 'voltage_b_v', 'voltage_c_v']) then
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
    select f.kind, min(f.ts), max(f.ts) + v_step,
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
