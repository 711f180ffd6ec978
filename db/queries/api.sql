-- The REST API (api/). Every query but api_key_lookup and the login ones runs as smf_api with
-- the principal set (api_enter), so row-level security filters what it returns.

-- name: api_enter
-- Act as role smf_api for the account until the end of the transaction.
select set_config('role', 'smf_api', true), set_config('smf.principal', %(account)s::text, true);

-- name: api_set_timezone
-- The time zone of timestamps in results until the end of the transaction.
select set_config('timezone', %(tz)s, true);

-- name: api_enter_tz
-- api_enter, and the time zone of timestamps in results (%(tz)s), until the end of the
-- transaction, in one round trip (a streamed series' own connection).
select set_config('role', 'smf_api', true), set_config('smf.principal', %(account)s::text, true),
       set_config('timezone', %(tz)s, true);

-- name: api_health
select (select version_num from public.alembic_version limit 1) as revision;

-- name: api_authenticate
-- Seconds the source must wait (rate limit of failed logins) and the live key, if any. When
-- %(enter)s, the source is not locked out and the key's stored hash is %(known_hash)s (the hash
-- this process already verified the same whole key against: api/auth.py), it is also api_enter
-- for the key's account in the same round trip (entered true); otherwise nothing is entered and
-- the caller verifies the key first. CASE, not AND: only CASE promises the order of evaluation.
select b.wait_s, k.account_id, k.account_name, k.role, k.hash,
       case when %(enter)s::boolean and b.wait_s <= 0 and k.hash = %(known_hash)s::text
            then set_config('role', 'smf_api', true) is not null
                 and set_config('smf.principal', k.account_id::text, true) is not null
            else false end as entered
from smf.login_blocked(%(source)s) b(wait_s)
left join smf.api_key_lookup(%(key_id)s) k on true;

-- name: api_login_failed
select smf.login_failed(%(source)s);

-- name: api_search_units
select * from smf.api_search(%(q)s, %(limit)s, %(offset)s);

-- name: api_search_meters
select * from smf.api_search_meters(%(q)s, %(limit)s, %(offset)s);

-- name: api_meter
-- The meter %(serial)s in the caller's scope. When it is, and %(tz)s is given, the time zone of
-- timestamps in results becomes %(tz)s until the end of the transaction, in the same round trip
-- (the series endpoints: the answer's times in the request's zone); "tz" is the zone then in use.
select m.id, m.serial, m.manufacturer, m.model, m.protocol, m.interval_minutes,
       m.channel_map, m.channel_constants::float8[] as channel_constants, m.utc_offset_minutes,
       m.transport, m.max_power_kw::float8 as max_power_kw, m.poll_schedule, m.enabled,
       m.retired_at,
       set_config('timezone', coalesce(%(tz)s::text, current_setting('timezone')), true) as tz
from smf.meter m where m.serial = %(serial)s;

-- name: api_unit
select u.id, u.uc_code::text as uc_code, d.aneel_code::text as distributor_aneel_code,
       u.customer_name, u.submarket::text as submarket, u.tariff_group, u.modality,
       u.contracted_demand_ponta_kw::float8 as contracted_demand_ponta_kw,
       u.contracted_demand_fora_ponta_kw::float8 as contracted_demand_fora_ponta_kw,
       u.musd_kw::float8 as musd_kw, u.supply_voltage_kv::float8 as supply_voltage_kv,
       mm.serial as main_meter_serial, bm.serial as backup_meter_serial, u.main_meter_id,
       u.retired_at
from smf.consumer_unit u
join smf.distributor d on d.id = u.distributor_id
left join smf.meter mm on mm.id = u.main_meter_id
left join smf.meter bm on bm.id = u.backup_meter_id
where u.uc_code = %(uc_code)s;

-- name: api_series
select * from smf.api_series(%(meter_id)s, %(lo)s, %(hi)s, %(resolution)s, %(tz)s, %(pulses)s);

-- name: api_series_json
-- The rows as one JSON array of arrays, built by the server ({columns}: see db.driver.arun_listed).
select coalesce(json_agg(json_build_array({columns}) order by s.bucket_start), '[]')::text as rows
from smf.api_series(%(meter_id)s, %(lo)s, %(hi)s, %(resolution)s, %(tz)s, %(pulses)s) s;

-- name: api_series_json_parts
-- The same rows as api_series_json, built by the server in parts to stream: each row is one
-- JSON array (json_build_array of {columns}), a part joins %(part_rows)s rows with commas, parts
-- come in bucket order; the rows array is "[" + the parts joined by "," + "]".
select string_agg(json_build_array({columns})::text, ',' order by s.bucket_start) as part
from (select a.*, (row_number() over (order by a.bucket_start) - 1) / %(part_rows)s as part_no
      from smf.api_series(%(meter_id)s, %(lo)s, %(hi)s, %(resolution)s, %(tz)s, %(pulses)s) a) s
group by s.part_no
order by s.part_no;

-- name: api_series_csv_parts
-- The same rows as api_series_copy (without the header), built by the server in parts to stream:
-- each row is its {text_columns} (each column ::text, as COPY writes it) joined with commas, a
-- null as an empty field; a part joins %(part_rows)s rows, each ending in a newline. No field
-- can hold a comma, a quote or a newline (times, numbers, quality words), so none is quoted:
-- the bytes are COPY's (format csv), which tests/api/test_series_stream.py checks.
select string_agg(array_to_string(array[{text_columns}], ',', '') || E'\n', '' order by s.bucket_start) as part
from (select a.*, (row_number() over (order by a.bucket_start) - 1) / %(part_rows)s as part_no
      from smf.api_series(%(meter_id)s, %(lo)s, %(hi)s, %(resolution)s, %(tz)s, %(pulses)s) a) s
group by s.part_no
order by s.part_no;

-- name: api_series_copy
-- The same rows for COPY ... TO STDOUT: {columns} is composed by db.driver.acopy_out from the
-- (column, alias) pairs api/series.py picks from a fixed list; the other fields are literals.
select {columns} from smf.api_series({meter_id}, {lo}, {hi}, {resolution}, {tz}, {pulses}) s

-- name: api_registers
select r.at, r.period, r.channel, r.registers, r.demands, r.read_at
from smf.register_reading r
where r.meter_id = %(meter_id)s
  and r.at >= coalesce((select max(at) - interval '40 days' from smf.register_reading
                        where meter_id = %(meter_id)s), '-infinity')
order by r.at desc, r.period, r.channel
limit 60;

-- name: api_instantaneous
select i.at, i."values", i.reactive_characteristic
from smf.instantaneous_reading i where i.meter_id = %(meter_id)s
order by i.at desc limit %(limit)s;

-- name: api_events
select e.at, e.kind, e.message, e.detail from smf.meter_event e
where e.meter_id = %(meter_id)s order by e.at desc limit %(limit)s;

-- name: api_connectivity
select a.started_at, a.duration_ms, a.trigger, a.attempt, a.bytes_in, a.bytes_out, a.outcome,
       a.error_class, a.error_message, a.clock_drift_s::float8 as clock_drift_s,
       a.intervals_read, a.intervals_stored
from smf.poll_attempt a where a.meter_id = %(meter_id)s order by a.started_at desc limit %(limit)s;

-- name: api_poll_health
select * from smf.meter_poll_health(%(meter_id)s);

-- name: api_outages
-- The last 20 supply outages the meter reported (seed 003), newest first.
select o.start_at, o.end_at, extract(epoch from o.end_at - o.start_at)::bigint as duration_s
from smf.meter_outage o where o.meter_id = %(meter_id)s order by o.start_at desc limit 20;

-- name: api_alterations
-- The last 16 alterations of the meter (seed 003), newest first.
select a.at, a.command_code, a.reader_serial from smf.meter_alteration a
where a.meter_id = %(meter_id)s order by a.at desc limit 16;

-- name: api_read_enqueue
select smf.read_request_enqueue(%(serial)s, %(kind)s, %(account)s) as id;

-- name: api_read_status
select * from smf.read_request_status(%(id)s);

-- name: api_distributor_create
insert into smf.distributor (ccee_agent_code, aneel_code, name)
values (%(ccee_agent_code)s, %(aneel_code)s, %(name)s)
returning id, ccee_agent_code, aneel_code::text as aneel_code, name, retired_at;

-- name: api_distributor_update
update smf.distributor set name = coalesce(%(name)s, name),
       ccee_agent_code = coalesce(%(ccee_agent_code)s, ccee_agent_code)
where aneel_code = %(aneel_code)s
returning id, ccee_agent_code, aneel_code::text as aneel_code, name, retired_at;

-- name: api_distributor_retire
update smf.distributor set retired_at = coalesce(retired_at, now()) where aneel_code = %(aneel_code)s
returning id, ccee_agent_code, aneel_code::text as aneel_code, name, retired_at;

-- name: api_distributors
select id, ccee_agent_code, aneel_code::text as aneel_code, name, retired_at
from smf.distributor order by aneel_code limit %(limit)s offset %(offset)s;

-- name: api_meter_create
insert into smf.meter (serial, manufacturer, model, protocol, interval_minutes, channel_map,
                       channel_constants, utc_offset_minutes, transport, max_power_kw,
                       poll_schedule)
values (%(serial)s, %(manufacturer)s, %(model)s, %(protocol)s, %(interval_minutes)s,
        %(channel_map)s, %(channel_constants)s, %(utc_offset_minutes)s, %(transport)s,
        %(max_power_kw)s, %(poll_schedule)s)
returning serial;

-- name: api_meter_update
update smf.meter set manufacturer = coalesce(%(manufacturer)s, manufacturer),
       model = coalesce(%(model)s, model), transport = coalesce(%(transport)s, transport),
       poll_schedule = coalesce(%(poll_schedule)s, poll_schedule),
       channel_map = coalesce(%(channel_map)s, channel_map),
       channel_constants = coalesce(%(channel_constants)s, channel_constants),
       max_power_kw = coalesce(%(max_power_kw)s, max_power_kw),
       enabled = coalesce(%(enabled)s, enabled)
where serial = %(serial)s
returning serial;

-- name: api_meter_retire
update smf.meter set retired_at = coalesce(retired_at, now()), enabled = false,
       poll_schedule = 'never'
where serial = %(serial)s returning serial;

-- name: api_unit_create
insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket, tariff_group,
    modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw, musd_kw,
    supply_voltage_kv, main_meter_id, backup_meter_id)
select %(uc_code)s, d.id, %(customer_name)s, %(submarket)s::smf.submarket, %(tariff_group)s,
       %(modality)s, %(contracted_demand_ponta_kw)s, %(contracted_demand_fora_ponta_kw)s,
       %(musd_kw)s, %(supply_voltage_kv)s,
       (select id from smf.meter where serial = %(main_meter_serial)s),
       (select id from smf.meter where serial = %(backup_meter_serial)s)
from smf.distributor d where d.aneel_code = %(distributor_aneel_code)s
returning uc_code::text as uc_code;

-- name: api_unit_update
update smf.consumer_unit set customer_name = coalesce(%(customer_name)s, customer_name),
       modality = coalesce(%(modality)s, modality),
       tariff_group = coalesce(%(tariff_group)s, tariff_group),
       contracted_demand_ponta_kw = coalesce(%(contracted_demand_ponta_kw)s, contracted_demand_ponta_kw),
       contracted_demand_fora_ponta_kw = coalesce(%(contracted_demand_fora_ponta_kw)s,
                                                  contracted_demand_fora_ponta_kw),
       musd_kw = coalesce(%(musd_kw)s, musd_kw),
       supply_voltage_kv = coalesce(%(supply_voltage_kv)s, supply_voltage_kv),
       main_meter_id = coalesce((select id from smf.meter where serial = %(main_meter_serial)s),
                                main_meter_id)
where uc_code = %(uc_code)s
returning uc_code::text as uc_code;

-- name: api_unit_retire
update smf.consumer_unit set retired_at = coalesce(retired_at, now()) where uc_code = %(uc_code)s
returning uc_code::text as uc_code;

-- name: api_uc_code_valid
select smf.uc_code_is_valid(%(uc_code)s) as valid;

-- name: api_import_batch
select b.id, b.source::text as source, b.origin, b.started_at, b.finished_at, b.rows_in,
       b.inserted, b.updated, b.unchanged, b.quarantined, b.decisions
from smf.ingest_batch b where b.id = %(batch_id)s;

-- name: api_import_quarantine
select q.line_no, q.meter_ref, q.ts, q.reason, q.detail from smf.ingest_quarantine q
where q.batch_id = %(batch_id)s order by q.line_no nulls last, q.id limit 1000;

-- Accounts (smf user ...), run by the database owner.

-- name: user_add
select smf.account_add(%(name)s, %(role)s, %(db_role)s) as id;

-- name: user_scope_add
select smf.account_scope_add(%(name)s, %(kind)s, %(ref)s);

-- name: user_group_add_member
select smf.uc_group_add_member(%(group)s, %(uc_code)s);

-- name: user_key_add
-- A key valid until revoked.
select smf.api_key_add(%(name)s, %(key_id)s, %(hash)s, %(label)s, null::timestamptz);

-- name: user_key_add_expiring
-- A key that stops working at %(expires_at)s (or earlier, when revoked).
select smf.api_key_add(%(name)s, %(key_id)s, %(hash)s, %(label)s, %(expires_at)s::timestamptz);

-- name: user_key_retire_others
-- `smf user key --rotate`: the account's other live keys stop working at %(at)s.
select smf.api_key_retire_others(%(name)s, %(keep)s, %(at)s::timestamptz) as retired;

-- name: user_key_revoke
select smf.api_key_revoke(%(ref)s) as revoked;

-- name: user_db_role_create
select smf.db_role_create(%(db_role)s, %(verifier)s);

-- name: user_list
select a.name, a.role, a.db_role, a.disabled_at,
       (select string_agg(coalesce('distributor:' || d.aneel_code, 'group:' || g.name,
                                   'uc:' || u.uc_code), ' ' order by 1)
        from smf.account_scope s
        left join smf.distributor d on d.id = s.distributor_id
        left join smf.uc_group g on g.id = s.group_id
        left join smf.consumer_unit u on u.id = s.uc_id
        where s.account_id = a.id) as scopes,
       (select count(*) from smf.api_key k where k.account_id = a.id and k.revoked_at is null)
           as live_keys
from smf.account a order by a.name;

-- On-demand reads, poller side (poller/read_requests.py), run by the database owner.

-- name: read_request_claim
select * from smf.read_request_claim(%(holder)s, %(limit)s, make_interval(secs => %(stale_s)s));

-- name: read_request_complete
select smf.read_request_complete(%(id)s, %(holder)s, %(ok)s, %(result)s::jsonb, %(error)s)
       as done;
