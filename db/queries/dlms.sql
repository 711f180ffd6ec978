-- Named queries of DLMS meters and of the clock policy (poller/store.py, poller/registry.py,
-- smf meter clock / report, api/controllers/meter_reports.py).

-- name: clock_context
-- The clock policy of a meter (seconds) and whether its clock was already corrected
-- automatically while the meter was in its interval starting %(interval_start)s (UTC).
select p.auto_correct, p.correct_min_s, p.correct_max_s, p.boundary_guard_s,
       smf.clock_corrected_in_interval(%(meter_id)s, %(interval_start)s) as corrected
from smf.clock_policy_of(%(meter_id)s) p;

-- name: clock_correction_insert
-- One correction, deferral or refusal (a second automatic correction in the same meter
-- interval is refused by the unique index, and skipped here).
insert into smf.clock_correction (meter_id, at, kind, outcome, method, meter_before, meter_after,
    reference_time, drift_before_s, drift_after_s, meter_interval_start, reason, by_whom)
values (%(meter_id)s, %(at)s, %(kind)s, %(outcome)s, %(method)s, %(meter_before)s,
    %(meter_after)s, %(reference_time)s, %(drift_before_s)s, %(drift_after_s)s,
    %(meter_interval_start)s, %(reason)s, %(by_whom)s)
on conflict do nothing;

-- name: clock_policy_set
insert into smf.meter_clock_policy (meter_id, auto_correct, correct_min_s, correct_max_s,
    boundary_guard_s)
values (%(meter_id)s, %(auto_correct)s, %(correct_min_s)s, %(correct_max_s)s, %(boundary_guard_s)s)
on conflict (meter_id) do update set
    auto_correct = coalesce(excluded.auto_correct, smf.meter_clock_policy.auto_correct),
    correct_min_s = coalesce(excluded.correct_min_s, smf.meter_clock_policy.correct_min_s),
    correct_max_s = coalesce(excluded.correct_max_s, smf.meter_clock_policy.correct_max_s),
    boundary_guard_s = coalesce(excluded.boundary_guard_s, smf.meter_clock_policy.boundary_guard_s);

-- name: clock_corrections_of
select at, kind, outcome, method, meter_before, meter_after, drift_before_s, drift_after_s,
       meter_interval_start, reason, by_whom
from smf.clock_correction where meter_id = %(meter_id)s order by at desc, id desc limit %(limit)s;

-- name: dlms_meter_upsert
insert into smf.dlms_meter (meter_id, client_sap, server_logical, server_physical, auth,
    profile_obis)
values (%(meter_id)s, %(client_sap)s, %(server_logical)s, %(server_physical)s, %(auth)s,
    %(profile_obis)s)
on conflict (meter_id) do update set client_sap = excluded.client_sap,
    server_logical = excluded.server_logical, server_physical = excluded.server_physical,
    auth = excluded.auth, profile_obis = excluded.profile_obis, updated_at = now();

-- name: dlms_key_upsert
-- The meter's key material, already encrypted (poller/dlms/keystore.py); never plain text.
insert into smf_secret.dlms_key (meter_id, secret, key_id, client_system_title)
values (%(meter_id)s, %(secret)s, %(key_id)s, %(client_system_title)s)
on conflict (meter_id) do update set secret = excluded.secret, key_id = excluded.key_id,
    client_system_title = excluded.client_system_title, updated_at = now();

-- name: dlms_key_delete
delete from smf_secret.dlms_key where meter_id = %(meter_id)s;

-- name: dlms_context
-- What a DLMS session needs: settings, decisions, the encrypted keys, and a block of
-- %(reserve)s invocation counters reserved for this session (never reused, even if it dies).
with k as (
    update smf_secret.dlms_key set invocation_counter = invocation_counter + %(reserve)s
    where meter_id = %(meter_id)s
    returning secret, key_id, client_system_title, invocation_counter - %(reserve)s + 1 as first_ic
)
select d.client_sap, d.server_logical, d.server_physical, d.auth, d.profile_obis,
       d.status_scheme, d.profile_kind, d.energy_unit, d.capture_objects,
       k.secret, k.key_id, k.client_system_title, k.first_ic
from smf.dlms_meter d left join k on true
where d.meter_id = %(meter_id)s;

-- name: dlms_obis_map
select obis, channel, kind from smf.dlms_obis_channel;

-- name: dlms_status_table
select status, quality::text as quality, flags from smf.dlms_status_table(%(scheme)s);

-- name: dlms_set_decisions
-- What a read decided about a DLMS meter (profile kind, energy unit, capture objects) and the
-- channels its profile carries (smf.meter.channel_map).
update smf.dlms_meter set profile_kind = %(profile_kind)s, energy_unit = %(energy_unit)s,
    capture_objects = %(capture_objects)s::jsonb, decided_at = now(), updated_at = now()
where meter_id = %(meter_id)s;

-- name: dlms_set_channel_map
update smf.meter set channel_map = %(channel_map)s::text[], channel_constants = null
where id = %(meter_id)s and channel_map is distinct from %(channel_map)s::text[];

-- name: dlms_meter_get
select d.client_sap, d.server_logical, d.server_physical, d.auth, d.profile_obis,
       d.status_scheme, d.profile_kind, d.energy_unit, d.capture_objects, d.decided_at,
       (k.meter_id is not null) as has_keys, k.key_id
from smf.dlms_meter d left join smf_secret.dlms_key k on k.meter_id = d.meter_id
where d.meter_id = %(meter_id)s;

-- name: dlms_meter_set
update smf.dlms_meter set
    profile_kind = coalesce(%(profile_kind)s, profile_kind),
    energy_unit = coalesce(%(energy_unit)s, energy_unit),
    status_scheme = coalesce(%(status_scheme)s, status_scheme),
    updated_at = now()
where meter_id = %(meter_id)s;

-- name: report_meter_config
select * from smf.meter_config_report();

-- name: report_meter_clock
select * from smf.meter_clock_report(%(days)s);

-- name: report_meter_connectivity
select * from smf.meter_connectivity_report(%(lo)s, %(hi)s);
