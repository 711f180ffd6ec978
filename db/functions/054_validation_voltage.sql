-- VEE rules on voltage (V; stored as mV): out of the adequate band, and phase loss. The nominal
-- phase voltage is the parameter voltage_nominal_v, or, when that is 0, detected per call as the
-- standard nominal value nearest the median of the meter's phase voltages in the range (the
-- detail says which). Findings for meter p_meter over [p_from, p_to).

-- vee_nominal_voltage: (nominal V, 'configured' | 'detected') of meter p_meter over the range;
-- null nominal when no voltage is stored.
create or replace function smf.vee_nominal_voltage(p_meter int, p_from timestamptz, p_to timestamptz,
                                                   out nominal_v numeric, out how text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_median numeric;
begin
    nominal_v := smf.vee_param('voltage_nominal_v', p_meter, smf.vee_local_day(p_from));
    how := 'configured';
    if nominal_v > 0 then
        return;
    end if;
    select percentile_cont(0.5) within group (order by v) / 1000.0 into v_median
    from smf.interval_reading r, lateral (values (r.voltage_a_mv), (r.voltage_b_mv), (r.voltage_c_mv)) p(v)
    where r.meter_id = p_meter and r.ts >= p_from and r.ts < p_to and p.v is not null;
    select s into nominal_v
    from unnest(array[57.7, 63.5, 110, 115, 120, 127, 220, 230, 240, 254, 380, 400, 440]::numeric[]) s
    where v_median is not null order by abs(s - v_median) limit 1;
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
    return query
    with x as (
        select r.ts, p.phase, p.v,
               bool_or(p.v between v_low and v_high) over (partition by r.ts) as any_normal
        from smf.interval_reading r,
             lateral (values ('A', r.voltage_a_mv), ('B', r.voltage_b_mv), ('C', r.voltage_c_mv)) p(phase, v)
        where r.meter_id = p_meter and r.ts >= p_from and r.ts < p_to and r.quality <> 'missing'
          and p.v is not null
    ), flagged as (
        select x.ts, x.phase, x.v,
               case when x.v < v_loss then case when x.any_normal then 'phase_loss' end
                    when x.v < v_low or x.v > v_high then 'voltage_band' end as kind
        from x
    )
    select f.kind, min(f.ts), max(f.ts) + v_step,
           case when f.kind = 'phase_loss' then 'error' else 'warning' end,
           case when f.kind = 'phase_loss'
                then format('phase %s near zero (min %s V, below %s V) while another phase is normal, '
                            '%s interval(s) %s to %s (local); nominal %s V (%s)', f.phase,
                            smf.vee_kwh(min(f.v)), round(v_loss / 1000.0, 1), count(*),
                            smf.vee_fmt_local(min(f.ts)), smf.vee_fmt_local(max(f.ts) + v_step),
                            v_nom, v_how)
                else format('phase %s outside %s-%s V (min %s V, max %s V), %s interval(s) %s to %s '
                            '(local); nominal %s V (%s)', f.phase, round(v_low / 1000.0, 1),
                            round(v_high / 1000.0, 1), smf.vee_kwh(min(f.v)), smf.vee_kwh(max(f.v)), count(*),
                            smf.vee_fmt_local(min(f.ts)), smf.vee_fmt_local(max(f.ts) + v_step),
                            v_nom, v_how) end
    from (select flagged.*, flagged.ts - (row_number() over (partition by flagged.phase, flagged.kind
                                                              order by flagged.ts)) * v_step as island
          from flagged where flagged.kind is not null) f
    group by f.kind, f.phase, f.island;
end
$$;
