-- name: upsert_distributor
insert into smf.distributor (ccee_agent_code, aneel_code, name)
values (%(ccee_agent_code)s, %(aneel_code)s, %(name)s)
on conflict (ccee_agent_code) do update set name = excluded.name
returning id;

-- name: upsert_meter
insert into smf.meter (serial, manufacturer, model, protocol, interval_minutes, channel_map,
                       channel_constants, utc_offset_minutes, transport, max_power_kw)
values (%(serial)s, %(manufacturer)s, %(model)s, %(protocol)s, %(interval_minutes)s,
        %(channel_map)s, %(channel_constants)s, %(utc_offset_minutes)s, %(transport)s,
        %(max_power_kw)s)
on conflict (serial) do update set transport = excluded.transport
returning id;

-- name: upsert_consumer_unit
insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket, tariff_group,
    modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw, musd_kw,
    supply_voltage_kv, main_meter_id)
values (smf.uc_code_with_check_digits(%(sequential)s, %(aneel_code)s::int), %(distributor_id)s,
        %(customer_name)s, %(submarket)s, %(tariff_group)s, %(modality)s, %(ponta_kw)s,
        %(fora_ponta_kw)s, %(musd_kw)s, %(supply_voltage_kv)s, %(main_meter_id)s)
on conflict (uc_code) do update set customer_name = excluded.customer_name, musd_kw = excluded.musd_kw
returning id, uc_code;

-- name: month_summary_per_uc
-- Energy (kWh), completeness (percent) and maximum 15-minute demand (kW) of each UC's main meter.
select u.uc_code, u.customer_name, d.name as distributor, m.serial,
       round(r.active_fwd_wh / 1000.0, 3) as energy_kwh,
       round(100.0 * (r.n_measured + r.n_adjusted + r.n_estimated) / r.n_expected, 2)
           as completeness_pct,
       r.max_demand_kw,
       r.max_demand_at
from smf.consumer_unit u
join smf.distributor d on d.id = u.distributor_id
join smf.meter m on m.id = u.main_meter_id
left join smf.rollup_month r on r.meter_id = m.id and r.bucket = %(month)s
order by u.uc_code;

-- name: demo_posto_schedule
-- Ponta 18:00-21:00 and the capacitive window 00:00-06:00 from 2020 on, unless already set.
insert into smf.posto_schedule (distributor_id, valid_during, ponta_start, capacitive_start)
select %(distributor_id)s, daterange('2020-01-01', null), '18:00', '00:00'
where not exists (select 1 from smf.posto_schedule where distributor_id = %(distributor_id)s);

-- name: demo_tariffs
-- Illustrative A4 prices (R$/kWh, R$/kW), not any distributor's real tariff.
insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)
select %(distributor_id)s, t.modality, t.item, t.posto, daterange('2020-01-01', null), t.price
from (values ('azul', 'energy', 'ponta', 0.55), ('azul', 'energy', 'fora_ponta', 0.35),
             ('azul', 'demand', 'ponta', 45.0), ('azul', 'demand', 'fora_ponta', 18.0),
             ('azul', 'overrun', 'ponta', 90.0), ('azul', 'overrun', 'fora_ponta', 36.0),
             ('azul', 'ufer', 'unica', 0.35), ('azul', 'dmcr', 'ponta', 45.0),
             ('azul', 'dmcr', 'fora_ponta', 18.0),
             ('verde', 'energy', 'ponta', 1.60), ('verde', 'energy', 'fora_ponta', 0.35),
             ('verde', 'demand', 'unica', 18.0), ('verde', 'overrun', 'unica', 36.0),
             ('verde', 'ufer', 'unica', 0.35), ('verde', 'dmcr', 'unica', 18.0))
     as t(modality, item, posto, price)
where not exists (select 1 from smf.tariff where distributor_id = %(distributor_id)s);

-- name: demo_contract
-- A flat bilateral contract covering about 95 percent of the UC's expected consumption.
insert into smf.energy_contract (code, kind, seller, buyer_uc_id, submarket, valid_during,
                                 annual_mwh)
select %(code)s, 'bilateral', 'Comercializadora Demo', u.id, u.submarket,
       daterange(%(year_start)s, (%(year_start)s::date + interval '1 year')::date), %(annual_mwh)s
from smf.consumer_unit u where u.uc_code = %(uc_code)s
on conflict (code) do nothing;

-- name: demo_pld
-- A synthetic hourly PLD (R$/MWh) for each submarket over [start, end).
insert into smf.pld (submarket, hour, price)
select s, h, round((140 + 90 * sin(extract(epoch from h) / 43200.0 * pi())
                    + 15 * (s::text = 'S')::int)::numeric, 2)
from unnest(enum_range(null::smf.submarket)) s,
     generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 hour',
                     interval '1 hour') h
on conflict do nothing;

-- name: meter_add
-- A new meter registered by `smf meter add` (nothing happens when the serial exists: the caller
-- reports it).
-- (no transport: an import-only meter)
insert into smf.meter (serial, model, protocol, interval_minutes, utc_offset_minutes, transport,
                       poll_schedule)
values (%(serial)s, %(model)s, %(protocol)s, %(interval_minutes)s, %(utc_offset_minutes)s,
        %(transport)s, %(poll_schedule)s)
on conflict (serial) do nothing
returning id;

-- name: meter_list
select m.serial, m.model, m.protocol, m.interval_minutes, m.utc_offset_minutes, m.transport,
       m.poll_schedule, m.enabled, m.retired_at, m.mm_layout, m.register_unit,
       h.last_ok_at, h.last_outcome
from smf.meter m
left join lateral smf.meter_poll_health(m.id) h on true
order by m.serial;

-- name: meter_get
select m.id, m.serial, m.manufacturer, m.model, m.protocol, m.interval_minutes, m.channel_map,
       m.channel_constants, m.utc_offset_minutes, m.transport, m.poll_schedule, m.enabled,
       m.retired_at, m.created_at, m.mm_layout, m.register_unit,
       h.last_attempt_at, h.last_outcome, h.last_ok_at, h.failures_since_ok,
       (select count(*) from smf.raw_read r where r.meter_id = m.id) as raw_reads
from smf.meter m
left join lateral smf.meter_poll_health(m.id) h on true
where m.serial = %(serial)s;

-- name: meter_recent_events
select at, kind, message from smf.meter_event
where meter_id = %(meter_id)s order by at desc, id desc limit %(limit)s;

-- name: meter_set
-- Change the given fields of a meter (NULL: unchanged).
update smf.meter set
    transport = coalesce(%(transport)s, transport),
    interval_minutes = coalesce(%(interval_minutes)s, interval_minutes),
    utc_offset_minutes = coalesce(%(utc_offset_minutes)s, utc_offset_minutes),
    poll_schedule = coalesce(%(poll_schedule)s, poll_schedule),
    model = coalesce(%(model)s, model),
    protocol = coalesce(%(protocol)s, protocol),
    mm_layout = coalesce(%(mm_layout)s, mm_layout),
    register_unit = coalesce(%(register_unit)s, register_unit),
    enabled = coalesce(%(enabled)s, enabled),
    channel_map = coalesce(%(channel_map)s::text[], channel_map),
    retired_at = case when %(enabled)s::boolean then null else retired_at end
where serial = %(serial)s
returning id;

-- name: meter_retire
-- Retire a meter: disabled and marked, never deleted (its readings stay).
update smf.meter set enabled = false, retired_at = coalesce(retired_at, now())
where serial = %(serial)s
returning id, retired_at;

-- name: meter_set_nominal_voltage
-- `smf meter set SERIAL --nominal-voltage V [--nominal-from D]` (0 = detect)
select smf.vee_set_nominal_voltage(%(serial)s, %(volts)s::numeric, %(valid_from)s::date) as result;

-- name: meter_nominal_voltage
-- the nominal VEE uses for a meter now (its last 7 days of data)
select n.nominal_v, n.how
from smf.meter m, smf.vee_nominal_voltage(m.id, now() - interval '7 days', now()) n
where m.serial = %(serial)s;
