-- name: poll_registry
-- Enabled meters the poller can reach (a transport and an NBR 14522 protocol), with the start
-- of their last successful session.
select id, serial, protocol, interval_minutes, channel_map, channel_constants,
       utc_offset_minutes, transport, poll_schedule, mm_layout, register_unit,
       (select max(a.started_at) from smf.poll_attempt a
        where a.meter_id = m.id and a.outcome = 'ok') as last_ok_at
from smf.meter m
where enabled and transport is not null and protocol <> 'import_only'
order by id;

-- name: poll_meter_by_serial
select id, serial, protocol, interval_minutes, channel_map, channel_constants,
       utc_offset_minutes, transport, poll_schedule, enabled, mm_layout, register_unit
from smf.meter where serial = %(serial)s;

-- name: poll_set_profile
-- The mass-memory layout and register unit decided from a meter's data (poller/detect.py).
update smf.meter set mm_layout = %(mm_layout)s, register_unit = %(register_unit)s
where id = %(meter_id)s;

-- name: poll_insert_raw_read
insert into smf.raw_read (meter_id, read_at, layout, n_blocks, blocks)
values (%(meter_id)s, %(read_at)s, %(layout)s, %(n_blocks)s, %(blocks)s)
on conflict (meter_id, read_at) do nothing;

-- name: poll_raw_reads
-- Stored raw reads of a meter whose session started in [lo, hi), oldest first.
select read_at, layout, n_blocks, blocks from smf.raw_read
where meter_id = %(meter_id)s and read_at >= %(lo)s and read_at < %(hi)s
order by read_at;

-- name: poll_raw_read_layout
update smf.raw_read set layout = %(layout)s
where meter_id = %(meter_id)s and read_at = %(read_at)s;

-- name: poll_raw_read_prune
select smf.raw_read_prune(%(now)s) as deleted;

-- name: poll_missing_intervals
select ts from smf.meter_missing_intervals(%(meter_id)s, %(lo)s, %(hi)s) ts;

-- name: poll_gaps
select gap_start, gap_end, intervals from smf.meter_gaps(%(meter_id)s, %(lo)s, %(hi)s);

-- name: poll_last_interval
select smf.meter_last_interval(%(meter_id)s) as ts;

-- name: poll_insert_attempt
insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, attempt, bytes_in,
    bytes_out, outcome, error_class, error_message, clock_drift_s, intervals_read,
    intervals_stored, batch_id, clock_drift_after_s)
values (%(meter_id)s, %(started_at)s, %(duration_ms)s, %(trigger)s, %(attempt)s, %(bytes_in)s,
    %(bytes_out)s, %(outcome)s, %(error_class)s, %(error_message)s, %(clock_drift_s)s,
    %(intervals_read)s, %(intervals_stored)s, %(batch_id)s, %(clock_drift_after_s)s)
on conflict (meter_id, started_at) do nothing;

-- name: poll_insert_register
insert into smf.register_reading (meter_id, at, period, channel, registers, demands)
values (%(meter_id)s, %(at)s, %(period)s, %(channel)s, %(registers)s::bigint[], %(demands)s::bigint[])
on conflict (meter_id, at, period, channel) do nothing;

-- name: poll_insert_instantaneous
insert into smf.instantaneous_reading (meter_id, at, "values", reactive_characteristic)
values (%(meter_id)s, %(at)s, %(values)s::jsonb, %(reactive_characteristic)s)
on conflict (meter_id, at) do nothing;

-- name: poll_upsert_outage
-- An outage first seen open gets its end when a later read reports it.
insert into smf.meter_outage (meter_id, start_at, end_at)
values (%(meter_id)s, %(start_at)s, %(end_at)s)
on conflict (meter_id, start_at) do update set end_at = excluded.end_at
where smf.meter_outage.end_at is null and excluded.end_at is not null;

-- name: poll_insert_alteration
insert into smf.meter_alteration (meter_id, at, command_code, reader_serial)
values (%(meter_id)s, %(at)s, %(command_code)s, %(reader_serial)s)
on conflict (meter_id, at, command_code) do nothing;

-- name: poll_insert_event
insert into smf.meter_event (meter_id, at, kind, message, detail, dedupe_key)
values (%(meter_id)s, %(at)s, %(kind)s, %(message)s, %(detail)s::jsonb, %(dedupe_key)s)
on conflict (meter_id, kind, dedupe_key) do nothing;

-- name: poll_health
select * from smf.meter_poll_health(%(meter_id)s);

-- name: poll_upsert_emulated_meter
-- Registers (or updates) an emulated meter: its channel layout follows the emulator's.
insert into smf.meter (serial, manufacturer, model, protocol, interval_minutes, channel_map,
                       channel_constants, utc_offset_minutes, transport, poll_schedule)
values (%(serial)s, 'Emulator', %(model)s, %(protocol)s, %(interval_minutes)s, %(channel_map)s::text[],
        %(channel_constants)s::numeric[], %(utc_offset_minutes)s, %(transport)s, %(poll_schedule)s)
on conflict (serial) do update set
    model = excluded.model, protocol = excluded.protocol,
    interval_minutes = excluded.interval_minutes, channel_map = excluded.channel_map,
    channel_constants = excluded.channel_constants,
    utc_offset_minutes = excluded.utc_offset_minutes, transport = excluded.transport,
    poll_schedule = excluded.poll_schedule, enabled = true
returning id;

-- name: poll_export_intervals
-- Stored intervals of a meter in [lo, hi), engineering units, oldest first.
select r.ts,
       r.active_fwd_wh / 1000.0 as active_fwd_kwh, r.active_rev_wh / 1000.0 as active_rev_kwh,
       r.reactive_ind_fwd_varh / 1000.0 as reactive_ind_fwd_kvarh,
       r.reactive_ind_rev_varh / 1000.0 as reactive_ind_rev_kvarh,
       r.reactive_cap_fwd_varh / 1000.0 as reactive_cap_fwd_kvarh,
       r.reactive_cap_rev_varh / 1000.0 as reactive_cap_rev_kvarh,
       r.voltage_a_mv / 1000.0 as voltage_a_v, r.voltage_b_mv / 1000.0 as voltage_b_v,
       r.voltage_c_mv / 1000.0 as voltage_c_v, r.current_a_ma / 1000.0 as current_a_a,
       r.current_b_ma / 1000.0 as current_b_a, r.current_c_ma / 1000.0 as current_c_a
from smf.intervals(%(meter_id)s::int, %(lo)s, %(hi)s) r
order by r.ts;

-- name: poll_lease_acquire
select smf.meter_lease_acquire(%(meter_id)s, %(holder)s, %(seconds)s) as held;

-- name: poll_lease_release
select smf.meter_lease_release(%(meter_id)s, %(holder)s);
