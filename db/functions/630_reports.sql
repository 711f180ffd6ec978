-- Operator reports of seed 003 §5.8: the last outages, the last alterations applied to a meter,
-- phasor analysis from the 0x14 values, and a simulation of the meter's display. UC by code;
-- times UTC timestamptz (the CLI also prints local time).

-- uc_main_meter: the main meter id of UC p_uc_code; SMF04 when the UC is unknown or has none.
create or replace function smf.uc_main_meter(p_uc_code text) returns int
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v int;
begin
    select main_meter_id into v from smf.consumer_unit where id = smf.uc_id(p_uc_code);
    if v is null then
        raise exception using errcode = 'SMF04', message = format('UC %s has no main meter', p_uc_code);
    end if;
    return v;
end
$$;

-- report_outages: the last p_n supply outages of UC p_uc_code's main meter, newest first: start
-- and return (UTC), duration (s). From the meter's own outage records (0x25) when it has any
-- (source 'meter'); otherwise from the holes in its stored intervals (source 'gaps': from the
-- first missing interval start to the start of the next stored one), since a meter without an
-- outage log only shows an outage as missing intervals.
create or replace function smf.report_outages(p_uc_code text, p_n int default 20)
returns table (start_at timestamptz, end_at timestamptz, duration_s numeric, source text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_meter int := smf.uc_main_meter(p_uc_code);
    v_step interval;
begin
    if p_n is null or p_n < 1 then
        raise exception using errcode = 'SMF02', message = format('report_outages: n %s is not positive', p_n);
    end if;
    if exists (select 1 from smf.meter_outage o where o.meter_id = v_meter) then
        return query
        select o.start_at, o.end_at, extract(epoch from o.end_at - o.start_at), 'meter'::text
        from smf.meter_outage o where o.meter_id = v_meter order by o.start_at desc limit p_n;
        return;
    end if;
    select make_interval(mins => m.interval_minutes) into v_step from smf.meter m where m.id = v_meter;
    return query
    select g.prev + v_step, g.ts, extract(epoch from g.ts - (g.prev + v_step)), 'gaps'::text
    from (select r.ts, lag(r.ts) over (order by r.ts) as prev
          from smf.intervals(v_meter, '-infinity', 'infinity') r
          where r.quality <> 'missing') g
    where g.ts - g.prev > v_step
    order by g.ts desc limit p_n;
end
$$;

-- abnt_command_name: what ABNT NBR 14522 command code p_code (the octet as read, e.g. 0x29 = 41)
-- does, for the alteration report; null when not catalogued.
create or replace function smf.abnt_command_name(p_code int) returns text
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select case p_code
        when x'11'::int then 'session opening with password'
        when x'12'::int then 'client code programmed'
        when x'13'::int then 'string request'
        when x'20'::int then 'demand reset (parameters read with reset)'
        when x'21'::int then 'parameters read'
        when x'22'::int then 'previous parameters read'
        when x'23'::int then 'registers read'
        when x'29'::int then 'date changed'
        when x'30'::int then 'time changed'
        when x'31'::int then 'demand interval changed'
        when x'32'::int then 'holidays programmed'
        when x'33'::int then 'multiplication constants changed'
        when x'35'::int then 'tariff posts changed'
        when x'63'::int then 'automatic demand reset programmed'
        when x'64'::int then 'daylight saving programmed'
        when x'66'::int then 'channel quantities changed'
        when x'87'::int then 'installation code'
        when x'98'::int then 'clock micro-adjustment'
        when x'99'::int then 'fast program load' end
$$;

-- report_alterations: the last p_n alterations applied to UC p_uc_code's main meter (0x28 log),
-- newest first: when (UTC), command code (hex as on the wire), what it does, reader serial.
create or replace function smf.report_alterations(p_uc_code text, p_n int default 16)
returns table (at timestamptz, command_hex text, command text, reader_serial text)
language sql stable set search_path = smf, pg_catalog as $$
    select a.at, '0x' || upper(lpad(to_hex(a.command_code::int), 2, '0')),
           coalesce(smf.abnt_command_name(a.command_code), 'not catalogued'), a.reader_serial
    from smf.meter_alteration a
    where a.meter_id = smf.uc_main_meter(p_uc_code)
    order by a.at desc, a.command_code
    limit p_n
$$;

-- phasor_connection: the metering connection a 0x14 reading shows, inferred from which fields the
-- meter fills (octet 188 is not kept): 'wye_3_element' (phase voltages and three currents),
-- 'delta_2_element' (line voltages, currents A and C only: Aron / two-wattmeter metering) or
-- 'delta_3_element' (line voltages and three currents, no phase voltages).
create or replace function smf.phasor_connection(p_values jsonb) returns text
language sql immutable parallel safe set search_path = smf, pg_catalog as $$
    select case
        when p_values->>'VA' is not null and p_values->>'VB' is not null and p_values->>'VC' is not null
             and coalesce((p_values->>'VB')::numeric, 0) > 0 then 'wye_3_element'
        when p_values->>'IB' is null or coalesce((p_values->>'IB')::numeric, 0) = 0
             and coalesce((p_values->>'VB')::numeric, 0) = 0 then 'delta_2_element'
        else 'delta_3_element' end
$$;

-- report_phasors: phasor analysis of UC p_uc_code from its main meter's 0x14 reading at or before
-- p_at (default: the latest). One row per measuring element: its voltage (V) and angle, current
-- (A) and angle, V-I shift, active P (kW), reactive Q (kvar), apparent S (kVA), power factor.
-- Angles in degrees, voltage of element 1 at 0 unless the meter reports angles; the current
-- angle = voltage angle - shift, the shift lagging (positive) where the phase is inductive
-- (Q > 0 or characteristic 'L'). Elements: wye 3-element A, B, C (phase voltages); delta
-- 2-element 1 = (V_AB, I_A), 2 = (V_CB, I_C); delta 3-element AB, BC, CA with I_A, I_B, I_C.
-- angle_source says which angles came from the meter and which follow an ABC sequence.
create or replace function smf.report_phasors(p_uc_code text, p_at timestamptz default null)
returns table (uc_code text, customer_name text, meter_serial text, at timestamptz, connection text,
               element text, voltage_v numeric, voltage_angle_deg numeric, current_a numeric,
               current_angle_deg numeric, shift_deg numeric, p_kw numeric, q_kvar numeric,
               s_kva numeric, power_factor numeric, angle_source text)
language plpgsql stable set search_path = smf, pg_catalog as $$
declare
    v_meter int := smf.uc_main_meter(p_uc_code);
    r record;
    v jsonb;
    k numeric := case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW'
                      then 1 else 0.001 end;
    conn text;
    e record;
    v_shift numeric;
    v_vang numeric;
    v_p numeric;
    v_q numeric;
    v_src text;
begin
    select i.at, i."values", i.reactive_characteristic into r
    from smf.instantaneous_reading i
    where i.meter_id = v_meter and (p_at is null or i.at <= p_at)
    order by i.at desc limit 1;
    if not found then
        raise exception using errcode = 'SMF04',
            message = format('UC %s: no 0x14 (instantaneous) reading%s', p_uc_code,
                             case when p_at is null then '' else ' at or before ' || p_at end);
    end if;
    v := r."values";
    conn := smf.phasor_connection(v);
    for e in
        select * from (values
            ('wye_3_element', 1, 'A', 'VA', 'IA', 'PA', 'QA', 'phase_shift_A', 'Vangle_A', 0::numeric),
            ('wye_3_element', 2, 'B', 'VB', 'IB', 'PB', 'QB', 'phase_shift_B', 'Vangle_B', -120),
            ('wye_3_element', 3, 'C', 'VC', 'IC', 'PC', 'QC', 'phase_shift_C', 'Vangle_C', 120),
            ('delta_2_element', 1, '1 (V_AB, I_A)', 'VAB', 'IA', 'PA', 'QA', 'phase_shift_A', null, 30),
            ('delta_2_element', 2, '2 (V_CB, I_C)', 'VBC', 'IC', 'PC', 'QC', 'phase_shift_C', null, 90),
            ('delta_3_element', 1, 'AB (I_A)', 'VAB', 'IA', 'PA', 'QA', 'phase_shift_A', null, 30),
            ('delta_3_element', 2, 'BC (I_B)', 'VBC', 'IB', 'PB', 'QB', 'phase_shift_B', null, -90),
            ('delta_3_element', 3, 'CA (I_C)', 'VCA', 'IC', 'PC', 'QC', 'phase_shift_C', null, 150)
        ) x(c, n, label, vk, ik, pk, qk, sk, ak, nominal)
        where x.c = conn order by x.n
    loop
        v_p := round((v->>e.pk)::numeric * k, 3);
        v_q := round((v->>e.qk)::numeric * k, 3);
        v_vang := (v->>e.ak)::numeric;
        v_src := case when v_vang is null then 'voltage: ABC sequence' else 'voltage: meter' end;
        v_vang := coalesce(v_vang, e.nominal);
        v_shift := abs((v->>e.sk)::numeric);
        if v_shift is not null then
            v_src := v_src || '; shift: meter';
        elsif v_p is not null and v_q is not null and (v_p <> 0 or v_q <> 0) then
            v_shift := abs(degrees(atan2(v_q, v_p)));  -- |phi| from P and Q
            v_src := v_src || '; shift: from P, Q';
        else
            v_src := v_src || '; shift: unknown (no shift, P or Q reported)';
        end if;
        if v_shift is not null and (v_q < 0 or (v_q is null and substr(coalesce(r.reactive_characteristic, ''), e.n, 1) = 'C')) then
            v_shift := -v_shift;  -- capacitive: the current leads
        end if;
        element := e.label;
        voltage_v := round((v->>e.vk)::numeric, 2);
        voltage_angle_deg := round(v_vang, 1);
        current_a := round((v->>e.ik)::numeric, 3);
        current_angle_deg := round(v_vang - v_shift, 1);
        shift_deg := round(v_shift, 1);
        p_kw := v_p;
        q_kvar := v_q;
        s_kva := round(sqrt(v_p ^ 2 + v_q ^ 2), 3);
        power_factor := round(v_p / nullif(sqrt(v_p ^ 2 + v_q ^ 2), 0), 4);
        angle_source := v_src;
        uc_code := p_uc_code;
        select cu.customer_name, m.serial into customer_name, meter_serial
        from smf.consumer_unit cu join smf.meter m on m.id = v_meter where cu.id = smf.uc_id(p_uc_code);
        at := r.at;
        connection := conn;
        return next;
    end loop;
end
$$;

-- report_display: a simulation of what the meter's display shows: the latest registers (0x23,
-- per channel: totals and demands per posto, as the raw digits the meter keeps: the decimal point
-- follows the meter's presentation mode, unverified) and the latest instantaneous values (0x14:
-- V, A, kW, frequency). One row per display item, in display order.
create or replace function smf.report_display(p_uc_code text)
returns table (item int, code text, label text, value numeric, unit text, at timestamptz)
language sql stable set search_path = smf, pg_catalog as $$
    with m as (select smf.uc_main_meter(p_uc_code) as id),
    reg as (
        select rr.* from m, smf.register_reading rr
        where rr.meter_id = m.id and rr.period = 'current'
          and rr.at = (select max(at) from smf.register_reading x where x.meter_id = m.id and x.period = 'current')
    ),
    names(n, code, label) as (values
        (1, 'total', 'total'), (2, 'ponta', 'ponta'), (3, 'ufer_ponta', 'UFER / reverse ponta'),
        (4, 'fora_ponta', 'fora de ponta'), (5, 'ufer_fora_ponta', 'UFER / reverse fora de ponta'),
        (6, 'reservado', 'reservado'), (7, 'ufer_reservado', 'UFER / reverse reservado')),
    dnames(n, code, label) as (values
        (1, 'last_interval', 'demand, last interval'), (2, 'max_ponta', 'maximum demand ponta'),
        (3, 'dmcr_ponta', 'DMCR / reverse demand ponta'), (4, 'max_fora_ponta', 'maximum demand fora de ponta'),
        (5, 'dmcr_fora_ponta', 'DMCR / reverse demand fora de ponta'), (6, 'max_reservado', 'maximum demand reservado'),
        (7, 'dmcr_reservado', 'DMCR / reverse demand reservado')),
    inst as (
        select i.at, i."values" as v from m, smf.instantaneous_reading i
        where i.meter_id = m.id order by i.at desc limit 1
    ),
    items as (
        select reg.channel * 100 + n.n as item, format('c%s.%s', reg.channel, n.code) as code,
               format('channel %s: %s', reg.channel, n.label) as label, reg.registers[n.n]::numeric as value,
               'register digits' as unit, reg.at
        from reg cross join names n
        union all
        select reg.channel * 100 + 10 + n.n, format('c%s.d.%s', reg.channel, n.code),
               format('channel %s: %s', reg.channel, n.label), reg.demands[n.n]::numeric, 'demand digits', reg.at
        from reg cross join dnames n
        union all
        select 1000 + x.n, x.k, x.label, round((inst.v->>x.k)::numeric * x.f, 3), x.unit, inst.at
        from inst cross join (values
            (1, 'VA', 'voltage A', 'V', 1.0), (2, 'VB', 'voltage B', 'V', 1.0), (3, 'VC', 'voltage C', 'V', 1.0),
            (4, 'IA', 'current A', 'A', 1.0), (5, 'IB', 'current B', 'A', 1.0), (6, 'IC', 'current C', 'A', 1.0),
            (7, 'P3', 'active power 3-phase', 'kW',
                case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW' then 1 else 0.001 end),
            (8, 'Q3', 'reactive power 3-phase', 'kvar',
                case when coalesce((select value from smf.setting where key = 'instantaneous_power_unit'), 'W') = 'kW' then 1 else 0.001 end),
            (9, 'cos3', 'power factor 3-phase', '', 1.0), (10, 'frequency', 'frequency', 'Hz', 1.0)) x(n, k, label, unit, f)
        where inst.v->>x.k is not null
    )
    select * from items order by item
$$;
