CREATE SCHEMA smf;

CREATE TYPE smf.quality AS ENUM (
    'measured',
    'adjusted',
    'estimated',
    'missing'
);

CREATE TYPE smf.reading_source AS ENUM (
    'meter',
    'backup_meter',
    'estimate',
    'import',
    'manual'
);

CREATE TYPE smf.submarket AS ENUM (
    'SE/CO',
    'S',
    'NE',
    'N'
);

CREATE FUNCTION smf.abnt_command_name(p_code integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 22 lines, sha256 24aa2cba794c575f

COMMENT ON FUNCTION smf.abnt_command_name(p_code integer) IS 'What ABNT NBR 14522 command code p_code (the octet as read, e.g. 0x29 = 41) does, for the alteration report; null when not catalogued.';

CREATE FUNCTION smf.account_add(p_name text, p_role text, p_db_role text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 12 lines, sha256 47c243aa0bba57fd

COMMENT ON FUNCTION smf.account_add(p_name text, p_role text, p_db_role text) IS 'Create an account (name, role, optional database login role); returns its id. The db_role must be one --db-role may use (smf.db_role_usable): SMF02 otherwise.';

CREATE FUNCTION smf.account_scope_add(p_name text, p_kind text, p_ref text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 29 lines, sha256 c63fbb319ca74683

COMMENT ON FUNCTION smf.account_scope_add(p_name text, p_kind text, p_ref text) IS 'Grant account p_name the distributor (by ANEEL code), UC group or UC p_ref; p_kind is ''distributor'', ''group'' or ''uc''. SMF04 when the account or p_ref is unknown.';

CREATE FUNCTION smf.add_business_days(p_day date, p_n integer, p_purpose text DEFAULT 'ccee'::text) RETURNS date
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 23 lines, sha256 05c5222b472cc8c9

COMMENT ON FUNCTION smf.add_business_days(p_day date, p_n integer, p_purpose text) IS 'The p_n-th business day (of the p_purpose calendar) after p_day, before it for p_n < 0; p_day itself for p_n = 0.';

CREATE FUNCTION smf.alarm_acknowledge(p_id bigint, p_by text, p_comment text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 24 lines, sha256 6f2a48ee26c7c788

COMMENT ON FUNCTION smf.alarm_acknowledge(p_id bigint, p_by text, p_comment text) IS 'The explicit acknowledgement of alarm p_id by p_by with comment p_comment. open -> acknowledged; a cleared, unacknowledged alarm keeps its state and gets the acknowledgement. SMF04 for an unknown alarm, SMF02 without who/comment or when already acknowledged or closed. Returns the new state.';

CREATE FUNCTION smf.alarm_apply(p_rule character, p_meter integer, p_violated boolean, p_at timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb DEFAULT '{}'::jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 a4bd89a71eb90406

COMMENT ON FUNCTION smf.alarm_apply(p_rule character, p_meter integer, p_violated boolean, p_at timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb) IS 'Raise (p_violated true), clear (false) or leave (null) rule p_rule of a meter.';

CREATE FUNCTION smf.alarm_clear(p_rule character, p_meter integer, p_at timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 0bb3af22eab89167

COMMENT ON FUNCTION smf.alarm_clear(p_rule character, p_meter integer, p_at timestamp with time zone) IS 'The condition of rule p_rule on meter p_meter no longer holds at p_at: its active alarm becomes cleared (an acknowledgement is kept; an unacknowledged one stays on the sheet). Data older than the last violation clears nothing. Returns the alarm id or null.';

CREATE FUNCTION smf.alarm_close(p_id bigint, p_by text, p_comment text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 21 lines, sha256 3244fdee69ca766d

COMMENT ON FUNCTION smf.alarm_close(p_id bigint, p_by text, p_comment text) IS 'Close alarm p_id by command (who and comment required), whatever its state but closed. Returns ''closed''.';

CREATE FUNCTION smf.alarm_eval_instantaneous(p_meter integer, p_at timestamp with time zone, p_values jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 52 lines, sha256 2ee4e24b44125d76

COMMENT ON FUNCTION smf.alarm_eval_instantaneous(p_meter integer, p_at timestamp with time zone, p_values jsonb) IS 'Rules a-h on one 0x14 reading of meter p_meter at p_at (values as stored by the poller: VA.., IA.., PA.. float or null). Rules whose condition holds raise; active alarms of rules whose condition ended clear; missing quantities change nothing.';

CREATE FUNCTION smf.alarm_eval_intervals(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 e55f55b89a36b4b0

COMMENT ON FUNCTION smf.alarm_eval_intervals(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) IS 'Rules a-c, f-h (interval mean V and A of 12-channel meters) and k (15-minute demand against the contracted demand of the posto, or an absolute kW) over the spans p_meter[i] in [p_lo[i], p_hi[i]] (interval starts) just stored, one meter at a time (smf.alarm_eval_meter_intervals).';

CREATE FUNCTION smf.alarm_eval_meter_intervals(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET plan_cache_mode TO 'force_generic_plan'
    AS -- body: 154 lines, sha256 af194f4710732455

COMMENT ON FUNCTION smf.alarm_eval_meter_intervals(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) IS 'The interval rules of one meter over [p_lo, p_hi] (interval starts). For each rule: violations raise (first and last violating interval, worst value, how many); when the newest interval of the span is within the threshold the alarm clears at that interval. Scalar parameters and generic plans: planned once per session (the hypertable''s chunks are excluded at run time), so the cost per read is the scan of its own intervals.';

CREATE FUNCTION smf.alarm_eval_poll(p_meter integer, p_at timestamp with time zone, p_outcome text, p_drift_s numeric) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 41 lines, sha256 951d84cee145bb37

COMMENT ON FUNCTION smf.alarm_eval_poll(p_meter integer, p_at timestamp with time zone, p_outcome text, p_drift_s numeric) IS 'Rules i (cleared by a session that found the registered serial), j (clock drift in s) and m (share of successful sessions of the local day of p_at, %) after a session.';

CREATE FUNCTION smf.alarm_eval_status(p_meter integer, p_at timestamp with time zone, p_battery smallint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 cb1467332a3b5169

COMMENT ON FUNCTION smf.alarm_eval_status(p_meter integer, p_at timestamp with time zone, p_battery smallint) IS 'Rule l on a status report: battery octet equal to the programmed bad code.';

CREATE FUNCTION smf.alarm_group_assign(p_group text, p_uc_code text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 17 lines, sha256 09b59b67c0a8c5be

COMMENT ON FUNCTION smf.alarm_group_assign(p_group text, p_uc_code text) IS 'Put UC p_uc_code in alarm group p_group (created when missing, bound to the UC''s distributor); a UC is in at most one group. Returns the group id.';

CREATE FUNCTION smf.alarm_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 3e1e2c016112a25a

COMMENT ON FUNCTION smf.alarm_notify() IS 'Trigger on smf.alarm: every transition (opened, acknowledged, cleared, closed) goes to the webhook outbox in the same transaction, and wakes listeners (channel smf_alarm).';

CREATE FUNCTION smf.alarm_on_batch_finished() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 33 lines, sha256 d3008ef587936195

COMMENT ON FUNCTION smf.alarm_on_batch_finished() IS 'ingest_batch: when a batch finishes (finished_at set), evaluate the interval rules over the spans the batch touched (pg_temp.ingest_touched, left by smf.ingest_finish in this transaction; narrowed to the changed spans on re-imports). An evaluation that raises costs no reading: a WARNING, and an error row of job ''alarm_eval'' in smf.job_run (rule function, SQLSTATE).';

CREATE FUNCTION smf.alarm_on_instantaneous() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 e39d1a5579b462cc

COMMENT ON FUNCTION smf.alarm_on_instantaneous() IS 'instantaneous_reading (hypertable: row-level, transition tables are not supported there).';

CREATE FUNCTION smf.alarm_on_meter_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 21 lines, sha256 21933914f6c3a1e2

COMMENT ON FUNCTION smf.alarm_on_meter_event() IS 'meter_event: rule i on serial_changed events (row level: the poller logs events one by one).';

CREATE FUNCTION smf.alarm_on_poll_attempt() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 14 lines, sha256 bd0ae1b9f3945272

COMMENT ON FUNCTION smf.alarm_on_poll_attempt() IS 'poll_attempt (hypertable): rules i, j, m after every session. Rule j judges the drift left after the session''s clock correction (clock_drift_after_s), else the drift measured.';

CREATE FUNCTION smf.alarm_on_status() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 e43582587fc62db3

COMMENT ON FUNCTION smf.alarm_on_status() IS 'meter_status_report: rule l.';

CREATE FUNCTION smf.alarm_raise(p_rule character, p_meter integer, p_first timestamp with time zone, p_last timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb DEFAULT '{}'::jsonb, p_value_text text DEFAULT NULL::text, p_count integer DEFAULT 1) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 24 lines, sha256 44f1eb55ec57b40b

COMMENT ON FUNCTION smf.alarm_raise(p_rule character, p_meter integer, p_first timestamp with time zone, p_last timestamp with time zone, p_value numeric, p_threshold numeric, p_phase text, p_source text, p_message text, p_detail jsonb, p_value_text text, p_count integer) IS 'Record a violation of rule p_rule on meter p_meter between p_first and p_last. Opens an alarm, or updates the active (open or acknowledged) one: last time, occurrences, latest value. Returns the alarm id.';

CREATE FUNCTION smf.alarm_set_threshold(p_rule text, p_value numeric, p_params jsonb, p_enabled boolean, p_meter_serial text, p_group_name text, p_from timestamp with time zone, p_by text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 36 lines, sha256 4df2b38ead977f31

COMMENT ON FUNCTION smf.alarm_set_threshold(p_rule text, p_value numeric, p_params jsonb, p_enabled boolean, p_meter_serial text, p_group_name text, p_from timestamp with time zone, p_by text) IS 'Program rule p_rule at one level (p_meter_serial, or p_group_name, or the default when both are null) from p_from on: the row in force there is ended at p_from, so the history of thresholds stays. Returns the new row''s id. SMF04 for an unknown meter/group, SMF02 for an unknown rule.';

CREATE FUNCTION smf.alarm_thresholds_of(p_meter integer, p_at timestamp with time zone) RETURNS TABLE(rule_code character, value numeric, params jsonb, level text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 21 lines, sha256 1d13956a5c8b6c21

COMMENT ON FUNCTION smf.alarm_thresholds_of(p_meter integer, p_at timestamp with time zone) IS 'The threshold of every rule for meter p_meter at instant p_at (value in the rule''s unit, params, and the level it comes from: meter, group or default). The most specific valid row wins; a rule whose winning row is disabled is left out. (PL/pgSQL: its plans are cached per session, it runs on every read.)';

CREATE FUNCTION smf.alarm_unbalance_pct(p_vals numeric[], p_method text DEFAULT 'nema'::text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 21 lines, sha256 3237dcba83e533a7

COMMENT ON FUNCTION smf.alarm_unbalance_pct(p_vals numeric[], p_method text) IS 'Unbalance (%) of per-phase magnitudes p_vals (nulls ignored; needs two phases and a positive mean). nema: max |x - mean| / mean x 100; ieee: (max - min) / mean x 100. Rounded to 3 decimals.';

CREATE FUNCTION smf.analog_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 ee19d48cd0e43de5

COMMENT ON FUNCTION smf.analog_columns() IS 'Stored voltage (mV) and current (mA) columns of interval_reading.';

CREATE FUNCTION smf.api_bucket_quality(p_measured integer, p_adjusted integer, p_estimated integer, p_expected integer) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 c8aa48753e34a873

COMMENT ON FUNCTION smf.api_bucket_quality(p_measured integer, p_adjusted integer, p_estimated integer, p_expected integer) IS 'The worst quality among a bucket''s expected intervals.';

CREATE FUNCTION smf.api_channel_divisors(p_meter integer, p_pulses boolean) RETURNS numeric[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 18c33394911608c3

COMMENT ON FUNCTION smf.api_channel_divisors(p_meter integer, p_pulses boolean) IS 'Per channel (the 12 names of smf.meter.channel_map, in that order), what an engineering value is divided by: 1 for engineering units (kWh, kvarh, V, A), the meter''s channel constant (engineering units per pulse) for pulses. SMF02 when pulses are asked of a meter without constants; a channel the meter does not record gets null.';

CREATE FUNCTION smf.api_key_add(p_name text, p_key_id text, p_hash text, p_label text, p_expires_at timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 cd390337037b1a48

COMMENT ON FUNCTION smf.api_key_add(p_name text, p_key_id text, p_hash text, p_label text, p_expires_at timestamp with time zone) IS 'Store a new key (id, argon2id hash) for account p_name, valid until p_expires_at (null: until revoked); SMF04 for no account, SMF02 for an expiry in the past.';

CREATE FUNCTION smf.api_key_lookup(p_key_id text) RETURNS TABLE(account_id integer, account_name text, role text, hash text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 e850684ca1232cd5

COMMENT ON FUNCTION smf.api_key_lookup(p_key_id text) IS 'The live key p_key_id with its account (id, name, role) and argon2id hash; no row for an unknown, revoked or expired key or a disabled account. Only the API may call it.';

CREATE FUNCTION smf.api_key_retire_others(p_name text, p_keep text, p_at timestamp with time zone) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 12 lines, sha256 6f918cc364e9df18

COMMENT ON FUNCTION smf.api_key_retire_others(p_name text, p_keep text, p_at timestamp with time zone) IS 'The live keys of account p_name other than p_keep stop working at p_at (now: revoked at once; later: they expire then, a grace period for clients to switch); returns how many keys were changed. Used by `smf user key --rotate`.';

CREATE FUNCTION smf.api_key_revoke(p_ref text) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 baac19a3711aeabc

COMMENT ON FUNCTION smf.api_key_revoke(p_ref text) IS 'Revoke key p_key_id, or every key of account p_key_id when it names an account; returns how many keys were revoked now.';

CREATE FUNCTION smf.api_search(p_q text, p_limit integer, p_offset integer) RETURNS TABLE(uc_code text, customer_name text, distributor_aneel_code text, distributor_name text, main_meter_serial text, backup_meter_serial text, retired_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 16 lines, sha256 8b40a81bdf6839f9

COMMENT ON FUNCTION smf.api_search(p_q text, p_limit integer, p_offset integer) IS 'Consumer units (with their main meter) whose customer name contains p_q, whose UC code starts with p_q, or whose main or backup meter serial starts with p_q (case- insensitive); ordered by UC code, p_limit rows from p_offset. p_q is matched literally.';

CREATE FUNCTION smf.api_search_meters(p_q text, p_limit integer, p_offset integer) RETURNS TABLE(serial text, manufacturer text, model text, uc_code text, retired_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 12 lines, sha256 f840362f03ec6614

COMMENT ON FUNCTION smf.api_search_meters(p_q text, p_limit integer, p_offset integer) IS 'Meters (attached to a UC or not) whose serial starts with p_q.';

CREATE FUNCTION smf.api_series(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text, p_tz text, p_pulses boolean) RETURNS TABLE(bucket_start timestamp with time zone, active_fwd double precision, active_rev double precision, reactive_ind_fwd double precision, reactive_ind_rev double precision, reactive_cap_fwd double precision, reactive_cap_rev double precision, voltage_a double precision, voltage_b double precision, voltage_c double precision, current_a double precision, current_b double precision, current_c double precision, quality text, completeness_pct double precision)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 87 lines, sha256 cad64ed02344298d

COMMENT ON FUNCTION smf.api_series(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text, p_tz text, p_pulses boolean) IS 'The intervals of meter p_meter in [p_from, p_to) at resolution p_resolution (''5m'' stored intervals, ''15m'' and ''1h'' rollups, ''1d'' and ''1mo'' calendar days/months in time zone p_tz summed from the 15-minute rollups). Energy in kWh/kvarh (sums), voltage in V and current in A (5m: the value; coarser: the mean), or pulses when p_pulses (each value divided by its channel constant), as double precision (whole Wh / 1000 prints as the exact kWh). bucket_start is the UTC start of the bucket. quality: the worst of the bucket''s intervals (''missing'' when an expected interval is absent or missing), completeness_pct: stored non-missing intervals / expected, in percent.';

CREATE FUNCTION smf.billable_demand_kw(p_measured numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 76a66965286d5cce

COMMENT ON FUNCTION smf.billable_demand_kw(p_measured numeric, p_contracted numeric) IS 'The billable active demand PAF (kW) of a demand posto: the larger of the measured (max 15-minute) and the contracted demand; the one known when the other is null.';

CREATE FUNCTION smf.billing_data_quality(p_uc_code text, p_month date) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 3 lines, sha256 50413698c50b02e2

COMMENT ON FUNCTION smf.billing_data_quality(p_uc_code text, p_month date) IS 'billing_data_quality_of for UC p_uc_code (SMF04 for an unknown UC).';

CREATE FUNCTION smf.billing_data_quality(p_uc_code text, p_month text) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 df6816bac96cd469

COMMENT ON FUNCTION smf.billing_data_quality(p_uc_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) billing_data_quality_of for UC p_uc_code (SMF04 for an unknown UC).';

CREATE FUNCTION smf.billing_data_quality_of(p_uc integer, p_month date) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 46 lines, sha256 7427c9620349aa0b

COMMENT ON FUNCTION smf.billing_data_quality_of(p_uc integer, p_month date) IS 'Flags of UC p_uc''s cycle p_month (local month), over its main meter. One row per local day of the month, up to yesterday (local), whose completeness (measured + adjusted + estimated intervals / expected, %; 0 for a day without data) is below smf.billing_min_completeness_pct(), or that an open VEE finding of severity warning or error touches (its [ts_from, ts_to) range overlaps the day); then one row with day null for the month so far (its completeness over those days). Columns: day (local date), completeness_pct (2 decimals), threshold_pct, estimated_intervals, open_findings (count), finding_rules (sorted, distinct), finding_ids, below_threshold. Empty for a month that has not started.';

CREATE FUNCTION smf.billing_data_quality_of(p_uc integer, p_month text) RETURNS TABLE(day date, completeness_pct numeric, threshold_pct numeric, estimated_intervals integer, open_findings integer, finding_rules text[], finding_ids bigint[], below_threshold boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 47b1f1f31ce82ac7

COMMENT ON FUNCTION smf.billing_data_quality_of(p_uc integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Flags of UC p_uc''s cycle p_month (local month), over its main meter. One row per local day of the month, up to yesterday (local), whose completeness (measured + adjusted + estimated intervals / expected, %; 0 for a day without data) is below smf.billing_min_completeness_pct(), or that an open VEE finding of severity warning or error touches (its [ts_from, ts_to) range overlaps the day); then one row with day null for the month so far (its completeness over those days). Columns: day (local date), completeness_pct (2 decimals), threshold_pct, estimated_intervals, open_findings (count), finding_rules (sorted, distinct), finding_ids, below_threshold. Empty for a month that has not started.';

CREATE FUNCTION smf.billing_min_completeness_pct() RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 f25290a65029bf85

COMMENT ON FUNCTION smf.billing_min_completeness_pct() IS 'The completeness (%) below which a day or a month is flagged (smf.setting ''billing_min_completeness_pct'', default 99).';

CREATE FUNCTION smf.billing_summary(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 4 lines, sha256 cad1f7e67c293bf7

COMMENT ON FUNCTION smf.billing_summary(p_uc_code text, p_month date, p_with_losses boolean) IS 'billing_summary_of for UC p_uc_code after checking the cycle (SMF04 for an unknown UC, a month with no readings or no posto schedule).';

CREATE FUNCTION smf.billing_summary(p_uc_code text, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 ecb4cd51560bc572

COMMENT ON FUNCTION smf.billing_summary(p_uc_code text, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) billing_summary_of for UC p_uc_code after checking the cycle (SMF04 for an unknown UC, a month with no readings or no posto schedule).';

CREATE FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 31 lines, sha256 03e4079c0f23683b

COMMENT ON FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month date, p_with_losses boolean) IS 'billing_summary_of for every UC of distributor p_aneel_code (3-digit ANEEL code) that has readings in month p_month, in one smf.billing_summary_set (ordered by UC code). SMF04 for an unknown distributor or a day of the month without a posto schedule.';

CREATE FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 08c9ee51fa3fb8f0

COMMENT ON FUNCTION smf.billing_summary_distributor(p_aneel_code text, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) billing_summary_of for every UC of distributor p_aneel_code (3-digit ANEEL code) that has readings in month p_month, in one smf.billing_summary_set (ordered by UC code). SMF04 for an unknown distributor or a day of the month without a posto schedule.';

CREATE FUNCTION smf.billing_summary_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 3 lines, sha256 bab7bfdf4f19145a

COMMENT ON FUNCTION smf.billing_summary_of(p_uc integer, p_month date, p_with_losses boolean) IS 'The summary rows (item, posto, quantity, unit, price, amount) of UC p_uc for month p_month. No checks (see billing_summary). Computed by smf.billing_summary_set.';

CREATE FUNCTION smf.billing_summary_of(p_uc integer, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b7735b40727fb4d1

COMMENT ON FUNCTION smf.billing_summary_of(p_uc integer, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) The summary rows (item, posto, quantity, unit, price, amount) of UC p_uc for month p_month. No checks (see billing_summary). Computed by smf.billing_summary_set.';

CREATE FUNCTION smf.billing_summary_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 67 lines, sha256 28d31cf173117f09

COMMENT ON FUNCTION smf.billing_summary_set(p_ucs integer[], p_month date, p_with_losses boolean) IS 'billing_summary_of for every UC of p_ucs at once, from one smf.cycle_evaluation_set; prices by a join to smf.tariff (the rows smf.tariff_price returns). Ordered by UC code, then as billing_summary_of. No checks.';

CREATE FUNCTION smf.billing_summary_set(p_ucs integer[], p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, item text, posto text, quantity numeric, unit text, price numeric, amount numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 aaa26a153471a386

COMMENT ON FUNCTION smf.billing_summary_set(p_ucs integer[], p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) billing_summary_of for every UC of p_ucs at once, from one smf.cycle_evaluation_set; prices by a join to smf.tariff (the rows smf.tariff_price returns). Ordered by UC code, then as billing_summary_of. No checks.';

CREATE FUNCTION smf.calendar_for(p_purpose text, p_day date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 16 lines, sha256 7e65cc4d7370ad48

COMMENT ON FUNCTION smf.calendar_for(p_purpose text, p_day date) IS 'The id of the calendar version of purpose p_purpose valid on p_day; SMF02 for an unknown purpose, SMF04 when no version covers the day.';

CREATE FUNCTION smf.calendar_generate(p_calendar integer, p_from_year integer, p_to_year integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 18 lines, sha256 a096f27cf9d2df7d

COMMENT ON FUNCTION smf.calendar_generate(p_calendar integer, p_from_year integer, p_to_year integer) IS 'Insert into smf.holiday the holidays of calendar p_calendar''s rules for years p_from_year..p_to_year (days already present are kept); returns the number of days added.';

CREATE FUNCTION smf.catalogue_apply(p_items jsonb) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 61 lines, sha256 b6481813174aa660

COMMENT ON FUNCTION smf.catalogue_apply(p_items jsonb) IS 'Writes COMMENT ON for the banners in p_items (jsonb array of {kind, schema, name, body, text} made by db/catalogue.py from db/functions), then for generated objects: a smf_read view takes the comment of the smf table or view it copies, a smf_read function the comment of the smf function of the same name and arguments, a month overload the comment of its date version. Returns the number of comments written.';

CREATE FUNCTION smf.catalogue_month_overloads() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 56 lines, sha256 b150bdc938082d88

COMMENT ON FUNCTION smf.catalogue_month_overloads() IS 'For every smf function with a date parameter p_month (no default, named arguments, no variadic), an overload taking the month as text (''2026-11'' or ''2026-11-01'', smf.month_of) that calls the date version by name. Overloads whose date version is gone are dropped. Returns the number of overloads in place.';

CREATE FUNCTION smf.ccee_board(p_month date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, distributor text, agent_code integer, uc_code text, customer text, days_due integer, complete integer, held integer, held_reasons text, sent integer, accepted integer, rejected integer, failed integer, missing integer, deadline date, business_days_left integer, at_risk boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 44 lines, sha256 f12ced52812bc99d

COMMENT ON FUNCTION smf.ccee_board(p_month date, p_now timestamp with time zone) IS 'The deadline board of reference month p_month at p_now, per distributor and UC in the retail model: days of the month registered and over (days_due); days with all 288 values stored (complete); held (with reasons), sent (posted at least once), accepted, rejected, failed and missing (due days not complete) days; the MS+7du date, CCEE business days left and whether the UC-month is at risk (not every due day accepted).';

CREATE FUNCTION smf.ccee_board(p_month text, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, distributor text, agent_code integer, uc_code text, customer text, days_due integer, complete integer, held integer, held_reasons text, sent integer, accepted integer, rejected integer, failed integer, missing integer, deadline date, business_days_left integer, at_risk boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 c0082d5245a896ea

COMMENT ON FUNCTION smf.ccee_board(p_month text, p_now timestamp with time zone) IS '(month as text: ''YYYY-MM'' or a date) The deadline board of reference month p_month at p_now, per distributor and UC in the retail model: days of the month registered and over (days_due); days with all 288 values stored (complete); held (with reasons), sent (posted at least once), accepted, rejected, failed and missing (due days not complete) days; the MS+7du date, CCEE business days left and whether the UC-month is at risk (not every due day accepted).';

CREATE FUNCTION smf.ccee_build(p_uc_ids integer[], p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, agent_code integer, stamps text[], wh bigint[], tipos text[], reasons jsonb, warnings jsonb, fingerprint text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 76 lines, sha256 0be5fcf96a414f59

COMMENT ON FUNCTION smf.ccee_build(p_uc_ids integer[], p_day date, p_now timestamp with time zone) IS 'For each UC id in p_uc_ids and CCEE day p_day, everything the sender needs in one row: the UC code, the connected agent''s CCEE code, the 288 stamps, Wh values and tipoConsumo in slot order, the reasons to hold the day (jsonb array of {code, message}; empty = send), the warnings to record with a sent day, and the fingerprint. p_now decides "the day is not over". Hold reasons: uc_code_invalid, not_registered, no_main_meter, future_day, split_disabled, incomplete, musd_exceeded (unless released or ccee_musd_policy = send: then a warning).';

CREATE FUNCTION smf.ccee_business_days_left(p_today date, p_deadline date) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 28d6dc1672314afa

COMMENT ON FUNCTION smf.ccee_business_days_left(p_today date, p_deadline date) IS 'CCEE business days after CCEE day p_today up to p_deadline (inclusive); 0 when the deadline is today or past.';

CREATE FUNCTION smf.ccee_claim(p_holder text, p_limit integer, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 24 lines, sha256 dba99f29fc0a8207

COMMENT ON FUNCTION smf.ccee_claim(p_holder text, p_limit integer, p_lease_s integer, p_now timestamp with time zone) IS 'Claim up to p_limit due UC-days for sender p_holder for p_lease_s seconds (FOR UPDATE SKIP LOCKED: two senders never claim the same UC-day). Due: state due, failed or held whose next_try_at has come, or a claim whose lease lapsed (its sender died); only days of months whose deadline is open. Returns the claimed UC-days with their attempt number.';

CREATE FUNCTION smf.ccee_claim_one(p_uc_code text, p_day date, p_holder text, p_lease_s integer, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(consumer_unit_id integer, uc_code text, day date, attempt integer, trigger text, accepted_hash text)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 22 lines, sha256 7846c692e5b03832

COMMENT ON FUNCTION smf.ccee_claim_one(p_uc_code text, p_day date, p_holder text, p_lease_s integer, p_now timestamp with time zone) IS 'Claim UC p_uc_code''s day p_day for an explicit command (any state, also late or accepted), unless another sender holds a live claim on it (SMF02 naming the holder).';

CREATE FUNCTION smf.ccee_day(p_uc_code text, p_day date) RETURNS TABLE(hora integer, medicao integer, data_referencia_consumo text, consumo numeric, tipo_consumo text, wh bigint, raw_wh bigint, quality smf.quality)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 11 lines, sha256 127939a9d73bd941

COMMENT ON FUNCTION smf.ccee_day(p_uc_code text, p_day date) IS 'The 288 values CCEE receives for UC p_uc_code on CCEE day p_day, as an analyst reads them: hora (1..24), medicao (1..12), dataReferenciaConsumo (interval end, -03:00), consumo (kWh, 3 decimals, loss-adjusted), tipoConsumo, and the raw Wh and quality behind each value (null where no value is stored: the day would be held).';

CREATE FUNCTION smf.ccee_day_arrays(p_uc_ids integer[], p_day date) RETURNS TABLE(consumer_unit_id integer, slots integer[], wh bigint[], raw_wh bigint[], tipos text[], qualities smf.quality[], n_present integer, first_missing integer, interval_minutes integer, loss_factor numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 42 lines, sha256 cbdd3b1d4baa7615

COMMENT ON FUNCTION smf.ccee_day_arrays(p_uc_ids integer[], p_day date) IS 'For each UC id in p_uc_ids with a main meter, the values of CCEE day p_day in slot order, as arrays over the slots that have a value: slots (0..287), Wh sent (losses applied, 15-minute values split), raw Wh behind each (for a split value: the same split of the raw value), tipoConsumo, quality; with the count of present slots, the first missing slot (null when none), the meter''s interval (min) and the loss factor. Losses use integer arithmetic: k = (1 + f) x 100000 exactly (f has 5 decimals); round half up of C_i x (1 + f) is (cum_i x k + 50000) div 100000.';

CREATE FUNCTION smf.ccee_day_issues(p_uc_code text, p_month date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(day date, state text, late boolean, attempts integer, reason text, command text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 56 lines, sha256 898b35fac72c2a87

COMMENT ON FUNCTION smf.ccee_day_issues(p_uc_code text, p_month date, p_now timestamp with time zone) IS 'Every CCEE day of local month p_month (a date in it, or ''YYYY-MM'' through the text overload) of UC p_uc_code in the retail model that is not accepted, or that CCEE''s read-back rejected: day, state (held, rejected, failed, late, due, claimed, missing: never enqueued), the reason in words, and the `smf` command that releases, completes or re-sends it. Days not over at p_now are left out. Ordered by day.';

CREATE FUNCTION smf.ccee_day_issues(p_uc_code text, p_month text, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(day date, state text, late boolean, attempts integer, reason text, command text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b4dad4203121fda4

COMMENT ON FUNCTION smf.ccee_day_issues(p_uc_code text, p_month text, p_now timestamp with time zone) IS '(month as text: ''YYYY-MM'' or a date) Every CCEE day of local month p_month (a date in it, or ''YYYY-MM'' through the text overload) of UC p_uc_code in the retail model that is not accepted, or that CCEE''s read-back rejected: day, state (held, rejected, failed, late, due, claimed, missing: never enqueued), the reason in words, and the `smf` command that releases, completes or re-sends it. Days not over at p_now are left out. Ordered by day.';

CREATE FUNCTION smf.ccee_day_start(p_day date) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 62f748dbdffe62da

COMMENT ON FUNCTION smf.ccee_day_start(p_day date) IS 'The instant (timestamptz) CCEE day p_day begins: p_day 00:00 at -03:00.';

CREATE FUNCTION smf.ccee_deadline_of(p_day date) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 1a5e35d762ddc15e

COMMENT ON FUNCTION smf.ccee_deadline_of(p_day date) IS 'The consolidation deadline (MS+7du by default) of the month of day p_day.';

CREATE FUNCTION smf.ccee_deadline_warnings(p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(month date, uc_code text, distributor text, days_due integer, accepted integer, held integer, missing integer, deadline date, business_days_left integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 9 lines, sha256 31c0fe0b1f4c6c90

COMMENT ON FUNCTION smf.ccee_deadline_warnings(p_now timestamp with time zone) IS 'From MS+5du of each open month on CCEE day of p_now, the UC-months of the board that are not complete and accepted (every due day accepted).';

CREATE FUNCTION smf.ccee_deadlines(p_month date) RETURNS TABLE(code text, description text, rule text, due date)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 3f37c08979a439c5

COMMENT ON FUNCTION smf.ccee_deadlines(p_month date) IS 'The deadlines (smf.ccee_deadline) of reference month p_month, with their dates.';

CREATE FUNCTION smf.ccee_deadlines(p_month text) RETURNS TABLE(code text, description text, rule text, due date)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 47137d4c756d307c

COMMENT ON FUNCTION smf.ccee_deadlines(p_month text) IS '(month as text: ''YYYY-MM'' or a date) The deadlines (smf.ccee_deadline) of reference month p_month, with their dates.';

CREATE FUNCTION smf.ccee_enqueue(p_from date, p_to date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(new_days integer, changed_days integer, late_days integer)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 31 lines, sha256 4b64667f88d8e7f2

COMMENT ON FUNCTION smf.ccee_enqueue(p_from date, p_to date, p_now timestamp with time zone) IS 'Make the UC-days of [p_from, p_to] (days already over at p_now) of every UC in the retail model due work, once; mark accepted or rejected days whose stored data changed (fingerprint) due again while their deadline is open, ''late'' after it; mark unsent days of closed months ''late''. Returns (new, changed, late) counts.';

CREATE FUNCTION smf.ccee_fingerprint(p_uc integer, p_day date) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 19 lines, sha256 0bc32a6eb166c17c

COMMENT ON FUNCTION smf.ccee_fingerprint(p_uc integer, p_day date) IS 'A cheap summary of what is stored for UC p_uc''s main meter on local day p_day (active Wh and the count of intervals per quality, from rollup_day; the loss factor; and the number of superseded versions of the day''s rows with the newest superseding batch, from interval_reading_history, so a correction that moves energy between intervals and keeps the day''s total still changes it) and of the other inputs of the document: the UC code, the distributor''s CCEE agent code and, on a day with estimated intervals, setting ccee_estimated_as. When it changes, the UC-day is rebuilt and its payload hash compared with the last accepted one (equal: nothing is posted).';

CREATE FUNCTION smf.ccee_hold_reasons(p_uc_code text, p_day date, p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(code text, message text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 5 lines, sha256 ed8844c427d6216c

COMMENT ON FUNCTION smf.ccee_hold_reasons(p_uc_code text, p_day date, p_now timestamp with time zone) IS 'The reasons (code, message) why UC p_uc_code''s CCEE day p_day would be held now; no rows when it can be sent.';

CREATE FUNCTION smf.ccee_open_from(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 3a8629ff912a1363

COMMENT ON FUNCTION smf.ccee_open_from(p_now timestamp with time zone) IS 'The first day whose month''s deadline has not passed on CCEE day of p_now: the first of the previous month until its MS+7du, then the first of the current month.';

CREATE FUNCTION smf.ccee_reason_text(p_status integer, p_body text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 22 lines, sha256 99289ef0cbd39c62

COMMENT ON FUNCTION smf.ccee_reason_text(p_status integer, p_body text) IS 'One line from CCEE''s answer to a POST: `CODE: message` from a JSON error body ({"error"|"codigo", "message"|"mensagem"}), else the HTTP status and the first 200 characters of the body. Returns text.';

CREATE FUNCTION smf.ccee_record(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 d69bd1a5c3b20aae

COMMENT ON FUNCTION smf.ccee_record(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone) IS 'Record one attempt of sender p_holder for UC p_uc, day p_day, and move the UC-day on. p_outcome: accepted / rejected / failed / held (ledger row + state) or unchanged (the payload equals the last accepted one: no ledger row, state accepted). p_body is stored once per p_hash. The state moves only while p_holder still holds the claim; returns whether it did. failed: next try after ccee_retry_base_s x 2^(attempt-1) s (at most 6 h); held: after ccee_held_recheck_s.';

CREATE FUNCTION smf.ccee_record_at(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone, p_open_from date) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 48 lines, sha256 9b75643d4d153971

COMMENT ON FUNCTION smf.ccee_record_at(p_uc integer, p_day date, p_holder text, p_attempt integer, p_trigger text, p_started timestamp with time zone, p_hash text, p_body text, p_status integer, p_response text, p_outcome text, p_reasons jsonb, p_warning text, p_fingerprint text, p_now timestamp with time zone, p_open_from date) IS 'smf.ccee_record with the first open day (smf.ccee_open_from(p_now)) given, so a batch computes it once.';

CREATE FUNCTION smf.ccee_record_batch(p_items jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 70528652c779b95b

COMMENT ON FUNCTION smf.ccee_record_batch(p_items jsonb, p_now timestamp with time zone) IS 'smf.ccee_record for each element of the jsonb array p_items (keys: uc, day, holder, attempt, trigger, started, hash, body, status, response, outcome, reasons, warning, fingerprint) in one call and one transaction; returns how many moved their UC-day on.';

CREATE FUNCTION smf.ccee_record_verdict(p_uc_code text, p_day date, p_consistida integer, p_rejeitada integer, p_detail jsonb, p_now timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 e85dbd2bbbf2f28d

COMMENT ON FUNCTION smf.ccee_record_verdict(p_uc_code text, p_day date, p_consistida integer, p_rejeitada integer, p_detail jsonb, p_now timestamp with time zone) IS 'Keep CCEE''s read-back verdict of UC p_uc_code''s day p_day: counts of CONSISTIDA and REJEITADA values and the rejected stamps.';

CREATE FUNCTION smf.ccee_release(p_uc_code text, p_day date, p_by text, p_reason text, p_now timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 29 lines, sha256 3315846e927fec96

COMMENT ON FUNCTION smf.ccee_release(p_uc_code text, p_day date, p_by text, p_reason text, p_now timestamp with time zone) IS 'An analyst releases UC p_uc_code''s day p_day, held by the MUSD rule, for sending: records who (p_by) and why (p_reason) and makes the day due now. SMF02 when the day is not held for that reason (with its state and reasons).';

CREATE FUNCTION smf.ccee_release_claims(p_holders text[], p_now timestamp with time zone DEFAULT now()) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 ad818296d9eccf77

COMMENT ON FUNCTION smf.ccee_release_claims(p_holders text[], p_now timestamp with time zone) IS 'Give back the claims of senders p_holders (known dead: a restart on the same host) so they are retried at once; returns how many.';

CREATE FUNCTION smf.ccee_stamps(p_day date) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 5 lines, sha256 5efd35ff29d7cb37

COMMENT ON FUNCTION smf.ccee_stamps(p_day date) IS 'The 288 end stamps of CCEE day p_day, ''YYYY-MM-DDTHH:MM:SS-03:00'', slot order; the last is the next day''s 00:00:00.';

CREATE FUNCTION smf.ccee_today(p_now timestamp with time zone) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 257468233752dbee

COMMENT ON FUNCTION smf.ccee_today(p_now timestamp with time zone) IS 'The CCEE day (-03:00) of instant p_now.';

CREATE FUNCTION smf.channel_divisor(p_map text[], p_k numeric[], p_q text, p_mode text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 ef7104160a90f972

COMMENT ON FUNCTION smf.channel_divisor(p_map text[], p_k numeric[], p_q text, p_mode text) IS '1 in mode ''units''; in mode ''pulses'' the multiplication constant (units per pulse) of quantity p_q in channel map p_map / constants p_k, null when unknown.';

CREATE FUNCTION smf.clock_corrected_in_interval(p_meter integer, p_interval_start timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 3538f42c6f88f676

COMMENT ON FUNCTION smf.clock_corrected_in_interval(p_meter integer, p_interval_start timestamp with time zone) IS 'True when meter p_meter''s clock was already corrected automatically while the meter was in its interval starting p_interval_start (UTC, the meter''s own grid): the policy corrects at most once per interval.';

CREATE FUNCTION smf.clock_policy_of(p_meter integer) RETURNS TABLE(auto_correct boolean, correct_min_s integer, correct_max_s integer, boundary_guard_s integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 d0f9befcffa2d058

COMMENT ON FUNCTION smf.clock_policy_of(p_meter integer) IS 'The clock-correction policy of meter p_meter: its own row of smf.meter_clock_policy where set, else the defaults of smf.setting (clock_auto_correct, clock_correct_min_s, clock_correct_max_s, clock_boundary_guard_s). Units: seconds.';

CREATE FUNCTION smf.contract_hourly_of(p_contract integer, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 28 lines, sha256 bdd7cee19fca70d9

COMMENT ON FUNCTION smf.contract_hourly_of(p_contract integer, p_month date) IS 'The hourly volumes (MWh) of contract p_contract in local month p_month and the method: ''declared'' when hour volumes exist in the month, else the contract''s modulation (''flat'', or ''load_following'' on its buyer UC''s loss-adjusted hourly consumption; flat when the buyer is not a UC or consumed nothing).';

CREATE FUNCTION smf.contract_hourly_of(p_contract integer, p_month text) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 ea8fbe8b07459fed

COMMENT ON FUNCTION smf.contract_hourly_of(p_contract integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) The hourly volumes (MWh) of contract p_contract in local month p_month and the method: ''declared'' when hour volumes exist in the month, else the contract''s modulation (''flat'', or ''load_following'' on its buyer UC''s loss-adjusted hourly consumption; flat when the buyer is not a UC or consumed nothing).';

CREATE FUNCTION smf.contract_id(p_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 11 lines, sha256 9d9d00e33bfcc1c5

COMMENT ON FUNCTION smf.contract_id(p_code text) IS 'Id of the contract with code p_code; SMF04 when unknown.';

CREATE FUNCTION smf.contract_modulation(p_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 3 lines, sha256 cc5e8707a9a2ee6b

COMMENT ON FUNCTION smf.contract_modulation(p_code text, p_month date) IS 'contract_hourly_of for contract code p_code.';

CREATE FUNCTION smf.contract_modulation(p_code text, p_month text) RETURNS TABLE(hour timestamp with time zone, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 2fb05bcaf4ccd7bc

COMMENT ON FUNCTION smf.contract_modulation(p_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) contract_hourly_of for contract code p_code.';

CREATE FUNCTION smf.contract_month_mwh(p_contract integer, p_month date) RETURNS TABLE(mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 14 lines, sha256 f107ebe7678f19bb

COMMENT ON FUNCTION smf.contract_month_mwh(p_contract integer, p_month date) IS 'The volume (MWh) of contract p_contract in local month p_month and how it was obtained (''declared'', ''flat'', or ''none'' outside the validity or without volumes).';

CREATE FUNCTION smf.contract_month_mwh(p_contract integer, p_month text) RETURNS TABLE(mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 62ca9c35df330e14

COMMENT ON FUNCTION smf.contract_month_mwh(p_contract integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) The volume (MWh) of contract p_contract in local month p_month and how it was obtained (''declared'', ''flat'', or ''none'' outside the validity or without volumes).';

CREATE FUNCTION smf.contract_seasonalization(p_code text, p_year integer) RETURNS TABLE(month date, hours integer, mwh numeric, method text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 19096dda80034646

COMMENT ON FUNCTION smf.contract_seasonalization(p_code text, p_year integer) IS 'The 12 month volumes (MWh) of contract p_code in year p_year, with the hours of each month and the method (declared / flat / none).';

CREATE FUNCTION smf.contracted_demand(p_uc integer, p_demand_posto text) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 c85b9c5aab3c8e3f

COMMENT ON FUNCTION smf.contracted_demand(p_uc integer, p_demand_posto text) IS 'Contracted demand (kW) of UC p_uc for demand posto p_demand_posto (azul: ponta / fora_ponta; the single demand of other modalities is contracted_demand_fora_ponta_kw).';

CREATE FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 5af73a23bc6bb828

COMMENT ON FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month date, p_with_losses boolean) IS 'UC p_uc in month p_month, unrounded. Rows of kind ''energy'', one per posto (ponta / fora_ponta / intermediario): energy (kWh), UFER (kWh, sum), DMCR (kW, max) and its hour, hours with data, hours flagged P = 0 & Q > 0, intervals present / expected. Rows of kind ''demand'', one per demand posto (ponta / fora_ponta for azul, unica otherwise): measured demand (kW, max 15-minute) and when, contracted (kW), tolerance, overrun (kW), DMCR (kW) and its hour, DMCR excess over the billable demand (kW, smf.dmcr_excess_kw). No checks. Computed by smf.cycle_evaluation_set.';

CREATE FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 56acfa5b7f009be4

COMMENT ON FUNCTION smf.cycle_evaluation_of(p_uc integer, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) UC p_uc in month p_month, unrounded. Rows of kind ''energy'', one per posto (ponta / fora_ponta / intermediario): energy (kWh), UFER (kWh, sum), DMCR (kW, max) and its hour, hours with data, hours flagged P = 0 & Q > 0, intervals present / expected. Rows of kind ''demand'', one per demand posto (ponta / fora_ponta for azul, unica otherwise): measured demand (kW, max 15-minute) and when, contracted (kW), tolerance, overrun (kW), DMCR (kW) and its hour, DMCR excess over the billable demand (kW, smf.dmcr_excess_kw). No checks. Computed by smf.cycle_evaluation_set.';

CREATE FUNCTION smf.cycle_evaluation_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 36 lines, sha256 97bb57ec5ed3e21f

COMMENT ON FUNCTION smf.cycle_evaluation_set(p_ucs integer[], p_month date, p_with_losses boolean, p_detail boolean) IS 'cycle_evaluation_of for every UC of p_ucs at once (uc_id first), from one smf.hour_pieces_set over all of them. p_detail false: measured_at null (see hour_pieces_set). No checks; no order.';

CREATE FUNCTION smf.cycle_evaluation_set(p_ucs integer[], p_month text, p_with_losses boolean DEFAULT true, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, kind text, posto text, energy_kwh numeric, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, hours integer, p_zero_hours integer, n_present integer, n_expected integer, measured_kw numeric, measured_at timestamp with time zone, contracted_kw numeric, tolerance numeric, overrun_kw numeric, dmcr_excess_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 e8d852a3a058e39b

COMMENT ON FUNCTION smf.cycle_evaluation_set(p_ucs integer[], p_month text, p_with_losses boolean, p_detail boolean) IS '(month as text: ''YYYY-MM'' or a date) cycle_evaluation_of for every UC of p_ucs at once (uc_id first), from one smf.hour_pieces_set over all of them. p_detail false: measured_at null (see hour_pieces_set). No checks; no order.';

CREATE FUNCTION smf.database_grants() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS -- body: 19 lines, sha256 c8788037a4f598a0

COMMENT ON FUNCTION smf.database_grants() IS 'Readers (and any other login role) lose TEMP and TimescaleDB''s internal catalogs, which PUBLIC has by default; the roles that need TEMP (smf_api, smf_writer) get it by name. The catalog schemas stay usable: the extension looks itself up there on every statement of every session and refuses the statement otherwise; their tables and the information views do not. Database privileges are not copied by CREATE DATABASE ... TEMPLATE: call this again in a database cloned from a template (the tests do). Owner-only.';

CREATE FUNCTION smf.db_role_create(p_role text, p_verifier text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 19 lines, sha256 dbf2d845f7594154

COMMENT ON FUNCTION smf.db_role_create(p_role text, p_verifier text) IS 'Create database login role p_role for direct SQL (member of smf_reader, no other right) with the SCRAM-SHA-256 verifier p_verifier (the password itself never reaches the server), or give a reader role smf made earlier a new password. Refuses (SMF02) every name smf.db_role_refusal refuses: the owner, superusers, service and foreign roles.';

CREATE FUNCTION smf.db_role_refusal(p_role text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 19 lines, sha256 927f8dbb559c0295

COMMENT ON FUNCTION smf.db_role_refusal(p_role text) IS 'Why p_role may not be an account''s database login role, or null when it may: a NEW name in the project''s namespace (smf_ followed by letters, digits, _; not a service name smf_svc_*), or a role the project made as a reader (smf.db_role kind ''reader'') that is no superuser, cannot bypass row-level security and cannot become a service role. Never the owner, a superuser, a service role or any other existing role it did not make.';

CREATE FUNCTION smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 4 lines, sha256 cf6d93ab58e4482e

COMMENT ON FUNCTION smf.demand_overrun_kw(p_measured numeric, p_contracted numeric, p_tolerance numeric) IS 'The billed overrun (kW): p_measured - p_contracted when p_measured exceeds p_contracted x (1 + p_tolerance), else 0 (null without a contracted demand or measurement).';

CREATE FUNCTION smf.demand_series(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, demand_posto text, demand_kw_raw numeric, demand_kw numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 5 lines, sha256 9037478ffed2e6d4

COMMENT ON FUNCTION smf.demand_series(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) IS '15-minute demand (kW) of UC p_uc_code over [p_from, p_to), raw and loss-adjusted, with the demand posto and the intervals present / expected (demand null for an empty slot).';

CREATE FUNCTION smf.distributor_month_summary(p_aneel_code text, p_month date) RETURNS TABLE(market text, ucs integer, consumption_kwh numeric, generation_kwh numeric, billing_total numeric, ucs_billed integer, completeness_pct numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 26 lines, sha256 0925098a139fa459

COMMENT ON FUNCTION smf.distributor_month_summary(p_aneel_code text, p_month date) IS 'Per market (free, captive) of distributor p_aneel_code (ANEEL code) in local month p_month: UCs, consumption (active forward kWh of the main meters), generation (reverse kWh of UCs that generate), the billing total (R$, sum of smf.billing_summary_of ''total'' over the UCs that can be billed) and how many UCs were billed; completeness of the data (%).';

CREATE FUNCTION smf.distributor_month_summary(p_aneel_code text, p_month text) RETURNS TABLE(market text, ucs integer, consumption_kwh numeric, generation_kwh numeric, billing_total numeric, ucs_billed integer, completeness_pct numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 046320350feea218

COMMENT ON FUNCTION smf.distributor_month_summary(p_aneel_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Per market (free, captive) of distributor p_aneel_code (ANEEL code) in local month p_month: UCs, consumption (active forward kWh of the main meters), generation (reverse kWh of UCs that generate), the billing total (R$, sum of smf.billing_summary_of ''total'' over the UCs that can be billed) and how many UCs were billed; completeness of the data (%).';

CREATE FUNCTION smf.dlms_status_quality(p_scheme text, p_status integer) RETURNS TABLE(quality smf.quality, flags text[])
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 17 lines, sha256 ab919fa6119d05b3

COMMENT ON FUNCTION smf.dlms_status_quality(p_scheme text, p_status integer) IS 'The quality of an interval whose profile status byte is p_status under scheme p_scheme (the worst of its set bits: missing > adjusted > measured) and the meanings of its set bits. An unknown scheme raises SMF02.';

CREATE FUNCTION smf.dlms_status_table(p_scheme text) RETURNS TABLE(status integer, quality smf.quality, flags text[])
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 2239b7a3cf5b6072

COMMENT ON FUNCTION smf.dlms_status_table(p_scheme text) IS 'Every (status byte, quality, flags) of scheme p_scheme, 0-255: what the poller caches once per read instead of asking per interval.';

CREATE FUNCTION smf.dmcr_excess_kw(p_dmcr numeric, p_measured numeric, p_contracted numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 96a7b566269aa333

COMMENT ON FUNCTION smf.dmcr_excess_kw(p_dmcr numeric, p_measured numeric, p_contracted numeric) IS 'The billed reactive demand excess (kW) of a demand posto, FDRE(p) / VR_DRE = DMCR - PAF(p) when positive, else 0, where PAF(p) = smf.billable_demand_kw(measured, contracted) is the billable demand (REN 1000/2021; REN 414 art. 96), not the contracted demand. Null without a DMCR.';

CREATE FUNCTION smf.easter_sunday(p_year integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 9 lines, sha256 594619afb609925e

COMMENT ON FUNCTION smf.easter_sunday(p_year integer) IS 'The date of Easter Sunday of year p_year (Gregorian, anonymous algorithm).';

CREATE FUNCTION smf.energy_columns() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 4 lines, sha256 d1a4456d30e20311

COMMENT ON FUNCTION smf.energy_columns() IS 'Stored energy columns of interval_reading (Wh, varh).';

CREATE FUNCTION smf.exposure_hourly(p_uc_code text, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 3 lines, sha256 4aa2c74de70909bf

COMMENT ON FUNCTION smf.exposure_hourly(p_uc_code text, p_month date) IS 'exposure_hourly_of for UC p_uc_code after checking the cycle.';

CREATE FUNCTION smf.exposure_hourly(p_uc_code text, p_month text) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 f3fffa6bbc858917

COMMENT ON FUNCTION smf.exposure_hourly(p_uc_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) exposure_hourly_of for UC p_uc_code after checking the cycle.';

CREATE FUNCTION smf.exposure_hourly_of(p_uc integer, p_month date) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 22 lines, sha256 bc88467f0c14710b

COMMENT ON FUNCTION smf.exposure_hourly_of(p_uc integer, p_month date) IS 'Every hour of month p_month for UC p_uc: loss-adjusted consumption (MWh), the sum of the hourly volumes of the contracts whose buyer is the UC (MWh), exposure = contracts - consumption (MWh; positive surplus, negative deficit), PLD of the UC''s submarket (R$/MWh) and the exposure''s value (R$, null without PLD).';

CREATE FUNCTION smf.exposure_hourly_of(p_uc integer, p_month text) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, pld numeric, value_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 7189b1a156069e05

COMMENT ON FUNCTION smf.exposure_hourly_of(p_uc integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Every hour of month p_month for UC p_uc: loss-adjusted consumption (MWh), the sum of the hourly volumes of the contracts whose buyer is the UC (MWh), exposure = contracts - consumption (MWh; positive surplus, negative deficit), PLD of the UC''s submarket (R$/MWh) and the exposure''s value (R$, null without PLD).';

CREATE FUNCTION smf.exposure_month(p_uc_code text, p_month date) RETURNS TABLE(uc_code text, month date, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, value_brl numeric, hours_without_pld integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 77fd3c272892dce7

COMMENT ON FUNCTION smf.exposure_month(p_uc_code text, p_month date) IS 'Month totals of exposure_hourly for UC p_uc_code: consumption, contracts, exposure (MWh), its value (R$, sum of hourly values) and hours without PLD.';

CREATE FUNCTION smf.exposure_month(p_uc_code text, p_month text) RETURNS TABLE(uc_code text, month date, consumption_mwh numeric, contracted_mwh numeric, exposure_mwh numeric, value_brl numeric, hours_without_pld integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 1b931df5a1079ae0

COMMENT ON FUNCTION smf.exposure_month(p_uc_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Month totals of exposure_hourly for UC p_uc_code: consumption, contracts, exposure (MWh), its value (R$, sum of hourly values) and hours without PLD.';

CREATE FUNCTION smf.holiday_dates(p_rules text[], p_from_year integer, p_to_year integer) RETURNS TABLE(day date, rule_code text, name text)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 72624f395db10188

COMMENT ON FUNCTION smf.holiday_dates(p_rules text[], p_from_year integer, p_to_year integer) IS 'The holidays (date, rule, name) that the rules p_rules give in years p_from_year..p_to_year.';

CREATE FUNCTION smf.hour_pieces_set(p_ucs integer[], p_month date, p_with_losses boolean, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    SET enable_nestloop TO 'off'
    SET enable_sort TO 'off'
    AS -- body: 216 lines, sha256 9f037f0633056a88

COMMENT ON FUNCTION smf.hour_pieces_set(p_ucs integer[], p_month date, p_with_losses boolean, p_detail boolean) IS 'uc_hour_pieces for every UC of p_ucs at once (uc_id first), the set-based core of the billing rules (issue 21: a distributor''s month in one pass). Same rows and values, same numeric scales, as the per-slot definition documented at uc_hour_pieces, computed like this: * the posto/reactive-window labels of the month''s 15-minute grid once per (distributor, modality), not once per UC; the loss factor once per (UC, local day); * per (UC, hour, posto, local day), in integer Wh / varh: Wh sum, smallest |Wh| of a slot, largest Wh of a slot and the earliest slot holding it (key = Wh x 4 + 3 - slot of the hour, exact in bigint). An hour whose four slots share posto, reactive window and local day (every hour of a whole-hour schedule) is one piece: its row of the hourly rollup carries all of these (rollup_hour''s *_q_min_abs columns and max_demand_kw/at), read in one index range scan over all the UCs'' main meters; only the slots of the other hours are read from rollup_15min and aggregated here (measured on the billing bench: 16.6 -> 10.8 ms CPU a UC-month). The kWh of a piece is then sum(Wh) x (1 + factor) x 0.001 (exact) rounded to the scale the per-slot sum sum(Wh / 1000.0 x (1 + factor)) would carry: numeric division gives Wh / 1000.0 the scale scale(min |Wh| / 1000.0) of its smallest term (more digits for smaller |Wh|), a product adds the scales, a sum keeps the largest. Scales matter: sqrt works to the scale of its argument. * the grid-only columns (local hour, minutes, reactive window, intervals expected) once per (distributor, modality) hour piece, joined to each UC''s data (missing slots: null energies). p_detail false (the billing and UFER/DMCR callers): s_kvah, power_factor and max_demand_at are null, and the square root is only taken where UFER/DMCR need it (all else is the same). Runs with enable_nestloop = off and enable_sort = off: the planner cannot estimate joins over CTEs and generated grids; it otherwise probes rollup_15min once per slot (measured: 20x slower) and sorts the month''s slots for aggregates a hash does in one pass. No checks.';

CREATE FUNCTION smf.hour_pieces_set(p_ucs integer[], p_month text, p_with_losses boolean, p_detail boolean DEFAULT true) RETURNS TABLE(uc_id integer, hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b33ae2a464054078

COMMENT ON FUNCTION smf.hour_pieces_set(p_ucs integer[], p_month text, p_with_losses boolean, p_detail boolean) IS '(month as text: ''YYYY-MM'' or a date) uc_hour_pieces for every UC of p_ucs at once (uc_id first), the set-based core of the billing rules (issue 21: a distributor''s month in one pass). Same rows and values, same numeric scales, as the per-slot definition documented at uc_hour_pieces, computed like this: * the posto/reactive-window labels of the month''s 15-minute grid once per (distributor, modality), not once per UC; the loss factor once per (UC, local day); * per (UC, hour, posto, local day), in integer Wh / varh: Wh sum, smallest |Wh| of a slot, largest Wh of a slot and the earliest slot holding it (key = Wh x 4 + 3 - slot of the hour, exact in bigint). An hour whose four slots share posto, reactive window and local day (every hour of a whole-hour schedule) is one piece: its row of the hourly rollup carries all of these (rollup_hour''s *_q_min_abs columns and max_demand_kw/at), read in one index range scan over all the UCs'' main meters; only the slots of the other hours are read from rollup_15min and aggregated here (measured on the billing bench: 16.6 -> 10.8 ms CPU a UC-month). The kWh of a piece is then sum(Wh) x (1 + factor) x 0.001 (exact) rounded to the scale the per-slot sum sum(Wh / 1000.0 x (1 + factor)) would carry: numeric division gives Wh / 1000.0 the scale scale(min |Wh| / 1000.0) of its smallest term (more digits for smaller |Wh|), a product adds the scales, a sum keeps the largest. Scales matter: sqrt works to the scale of its argument. * the grid-only columns (local hour, minutes, reactive window, intervals expected) once per (distributor, modality) hour piece, joined to each UC''s data (missing slots: null energies). p_detail false (the billing and UFER/DMCR callers): s_kvah, power_factor and max_demand_at are null, and the square root is only taken where UFER/DMCR need it (all else is the same). Runs with enable_nestloop = off and enable_sort = off: the planner cannot estimate joins over CTEs and generated grids; it otherwise probes rollup_15min once per slot (measured: 20x slower) and sorts the month''s slots for aggregates a hash does in one pass. No checks.';

CREATE FUNCTION smf.ingest_begin(p_source smf.reading_source, p_origin text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp'
    AS -- body: 31 lines, sha256 631920dc65d9c06c

COMMENT ON FUNCTION smf.ingest_begin(p_source smf.reading_source, p_origin text) IS 'Open a batch and create the staging table pg_temp.ingest_stage; returns the batch id.';

CREATE FUNCTION smf.ingest_finish(p_batch integer, p_line_offset integer DEFAULT 0) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS -- body: 259 lines, sha256 b87e107026db5e00

COMMENT ON FUNCTION smf.ingest_finish(p_batch integer, p_line_offset integer) IS 'Validate and merge pg_temp.ingest_stage into interval_reading (insert new rows, skip identical ones, update changed ones keeping history), quarantine rule-breaking rows, refresh every rollup bucket touched; returns the counts as jsonb. p_line_offset is added to staging line numbers in messages (1 for a file with a header line).';

CREATE FUNCTION smf.ingest_given(p_names text[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp'
    AS -- body: 11 lines, sha256 47a311ad672f4d1c

COMMENT ON FUNCTION smf.ingest_given(p_names text[]) IS 'Declare which quantity columns a file names (its header): staged rows without their own `given` mask get this one. A column the file does not name leaves the stored channel as it is.';

CREATE FUNCTION smf.ingest_quantities() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 5 lines, sha256 7caba2bd784ce53d

COMMENT ON FUNCTION smf.ingest_quantities() IS 'The 12 quantity columns of the staging table, in order (bit k of `given` is quantity k + 1 of this array).';

CREATE FUNCTION smf.ingest_reject(p_line bigint, p_message text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog'
    AS -- body: 6 lines, sha256 9cb80a400f64318b

COMMENT ON FUNCTION smf.ingest_reject(p_line bigint, p_message text) IS 'Raise SMF01 for input line p_line (message prefixed with the line, HINT = line).';

CREATE FUNCTION smf.ingest_upsert(p_batch integer, OUT inserted bigint, OUT updated bigint) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    AS -- body: 201 lines, sha256 153b0df6c72aa71d

COMMENT ON FUNCTION smf.ingest_upsert(p_batch integer, OUT inserted bigint, OUT updated bigint) IS 'Merge pg_temp.ingest_valid into interval_reading with ON CONFLICT (rows that may already be stored), narrow pg_temp.ingest_touched to the meters and spans that changed, and return (inserted, updated).';

CREATE FUNCTION smf.ingest_wins(p_source smf.reading_source, p_old_source smf.reading_source) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 9d536f1e63a9cb75

COMMENT ON FUNCTION smf.ingest_wins(p_source smf.reading_source, p_old_source smf.reading_source) IS 'Whether an incoming row of source p_source replaces a stored row of source p_old_source, by smf.source_precedence: a rank at least as high wins (equal: the later row, a correction). No stored row (null): it wins. An unranked source ranks 0.';

CREATE FUNCTION smf.interval_last_ts(p_meters integer[], p_before timestamp with time zone DEFAULT 'infinity'::timestamp with time zone, p_qualities smf.quality[] DEFAULT ARRAY['measured'::smf.quality, 'adjusted'::smf.quality, 'estimated'::smf.quality]) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 27 lines, sha256 3a553ff782435c36

COMMENT ON FUNCTION smf.interval_last_ts(p_meters integer[], p_before timestamp with time zone, p_qualities smf.quality[]) IS 'The start (UTC) of the latest interval of the given meters before p_before, in any tier, among rows whose quality is in p_qualities (NULL: any quality; the default skips ''missing''); NULL when there is none. Sealed periods newer than the newest hot row are searched newest first, so the cost is one index probe plus the periods it must open.';

CREATE FUNCTION smf.interval_reading_keep_history() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 35d457581a92f0f7

COMMENT ON FUNCTION smf.interval_reading_keep_history() IS 'Trigger; copies the superseded row to interval_reading_history, attributed from the session settings smf.batch_id, smf.changed_by and smf.change_reason.';

CREATE FUNCTION smf.interval_span(p_meter integer, OUT first_ts timestamp with time zone, OUT last_ts timestamp with time zone) RETURNS record
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 7 lines, sha256 c8f0e1e198af4093

COMMENT ON FUNCTION smf.interval_span(p_meter integer, OUT first_ts timestamp with time zone, OUT last_ts timestamp with time zone) IS 'The first and the last interval start (UTC) stored for a meter in any tier and of any quality; NULLs when nothing is stored.';

CREATE TABLE smf.interval_reading (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality DEFAULT 'measured'::smf.quality NOT NULL,
    source smf.reading_source DEFAULT 'meter'::smf.reading_source NOT NULL,
    batch_id integer NOT NULL
);

COMMENT ON TABLE smf.interval_reading IS 'One row per meter and interval start (UTC). Energies in Wh/varh, voltages in mV, currents in mA, all integers.';

CREATE FUNCTION smf.intervals(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.interval_reading
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 6 lines, sha256 a65ba064ee5a703c

COMMENT ON FUNCTION smf.intervals(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS 'THE read path of interval data. Rows shaped like smf.interval_reading (integer Wh, varh, mV, mA; UTC interval starts ts; quality, source, batch_id) of the given meters with p_from <= ts < p_to, from hot rows and sealed periods alike (each interval lives in exactly one tier). Row-level security of both tables applies to the caller. No order is promised.';

CREATE FUNCTION smf.intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.interval_reading
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 3 lines, sha256 50a2e4d40119d817

COMMENT ON FUNCTION smf.intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'One meter (convenience overload).';

CREATE FUNCTION smf.intervals_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.interval_reading
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 60 lines, sha256 ee661055f79968af

COMMENT ON FUNCTION smf.intervals_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS 'The intervals (rows shaped like smf.interval_reading: Wh, varh, mV, mA, UTC starts) stored in sealed periods of the given meters with p_from <= ts < p_to. Only the slots of the range are decoded (each channel''s offsets are sliced to them).';

CREATE FUNCTION smf.is_business_day(p_day date, p_purpose text DEFAULT 'ccee'::text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 f8c6646dcda8c03c

COMMENT ON FUNCTION smf.is_business_day(p_day date, p_purpose text) IS 'True when p_day is a weekday and not a holiday of the p_purpose calendar (''ccee'' business day by default; ''tariff'' = a day with ponta).';

CREATE FUNCTION smf.job_run_finish(p_id bigint, p_outcome text, p_counts jsonb, p_error text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 4a0d84c054aa3195

COMMENT ON FUNCTION smf.job_run_finish(p_id bigint, p_outcome text, p_counts jsonb, p_error text) IS 'Close run p_id with outcome ''ok'' or ''error'', its counts and error text.';

CREATE FUNCTION smf.job_run_start(p_job text, p_holder text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 8e8a06836fe18280

COMMENT ON FUNCTION smf.job_run_start(p_job text, p_holder text) IS 'Open a run of job p_job by p_holder (host:pid); returns its id.';

CREATE FUNCTION smf.lastro_penalty(p_uc_code text, p_month date) RETURNS TABLE(window_from date, window_to date, consumption_mwh numeric, contracted_mwh numeric, shortfall_mwh numeric, mean_pld numeric, reference_value numeric, price numeric, penalty_brl numeric, penalty_month_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 33 lines, sha256 5192608d90a5e571

COMMENT ON FUNCTION smf.lastro_penalty(p_uc_code text, p_month date) IS 'The lastro check of UC p_uc_code over the lastro_months (12) local months ending with p_month: loss-adjusted consumption and contracted volumes (MWh), shortfall = max(0, consumption - contracts), price = max(lastro_reference_value VR, mean hourly PLD of the UC''s submarket in the window) (R$/MWh), penalty = shortfall x price and its monthly part penalty / lastro_installments (R$).';

CREATE FUNCTION smf.lastro_penalty(p_uc_code text, p_month text) RETURNS TABLE(window_from date, window_to date, consumption_mwh numeric, contracted_mwh numeric, shortfall_mwh numeric, mean_pld numeric, reference_value numeric, price numeric, penalty_brl numeric, penalty_month_brl numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 bc065aa2898ffcde

COMMENT ON FUNCTION smf.lastro_penalty(p_uc_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) The lastro check of UC p_uc_code over the lastro_months (12) local months ending with p_month: loss-adjusted consumption and contracted volumes (MWh), shortfall = max(0, consumption - contracts), price = max(lastro_reference_value VR, mean hourly PLD of the UC''s submarket in the window) (R$/MWh), penalty = shortfall x price and its monthly part penalty / lastro_installments (R$).';

CREATE FUNCTION smf.local_month_hours(p_month date) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 3273f222e49af014

COMMENT ON FUNCTION smf.local_month_hours(p_month date) IS 'Number of hours (h) of local month p_month.';

CREATE FUNCTION smf.local_month_hours(p_month text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b2f6e940b372e8e1

COMMENT ON FUNCTION smf.local_month_hours(p_month text) IS '(month as text: ''YYYY-MM'' or a date) Number of hours (h) of local month p_month.';

CREATE FUNCTION smf.local_month_start(p_month date) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 3e0df374a55a6cd7

COMMENT ON FUNCTION smf.local_month_start(p_month date) IS 'The instant (timestamptz) local month p_month (any day of it) begins, in the SMF local time zone.';

CREATE FUNCTION smf.local_month_start(p_month text) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b69c408ad33d545e

COMMENT ON FUNCTION smf.local_month_start(p_month text) IS '(month as text: ''YYYY-MM'' or a date) The instant (timestamptz) local month p_month (any day of it) begins, in the SMF local time zone.';

CREATE FUNCTION smf.local_timezone() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 17aa2188dc11d6a8

COMMENT ON FUNCTION smf.local_timezone() IS 'The IANA zone of local days and months (smf.setting ''local_timezone'').';

CREATE FUNCTION smf.login_blocked(p_source text, p_max integer DEFAULT 10, p_window interval DEFAULT '00:05:00'::interval) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 c56efe03bbf5671e

COMMENT ON FUNCTION smf.login_blocked(p_source text, p_max integer, p_window interval) IS 'Seconds the source address must still wait before another login attempt: after p_max failures within p_window, until the oldest of them leaves the window. 0 = go.';

CREATE FUNCTION smf.login_failed(p_source text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 56487bc5923fe243

COMMENT ON FUNCTION smf.login_failed(p_source text) IS 'Record a failed login from p_source (and forget failures older than a day).';

CREATE FUNCTION smf.m_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 81e518df1cadef40

COMMENT ON FUNCTION smf.m_du(p_month date, p_n integer) IS '"M+n du", the n-th CCEE business day of the reference month p_month itself.';

CREATE FUNCTION smf.m_du(p_month text, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 a7c0b51da008cf2b

COMMENT ON FUNCTION smf.m_du(p_month text, p_n integer) IS '(month as text: ''YYYY-MM'' or a date) "M+n du", the n-th CCEE business day of the reference month p_month itself.';

CREATE FUNCTION smf.measured_demand(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(demand_posto text, contracted_kw numeric, measured_kw numeric, measured_at timestamp with time zone, tolerance numeric, limit_kw numeric, overrun_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 476ce633b45f9f20

COMMENT ON FUNCTION smf.measured_demand(p_uc_code text, p_month date, p_with_losses boolean) IS 'Per demand posto of UC p_uc_code in month p_month: contracted (kW), measured = max 15-minute demand (kW; loss-adjusted series when p_with_losses, else raw) and when, tolerance (fraction), limit = contracted x (1 + tolerance) (kW) and overrun (kW), rounded to 3 decimals. SMF04 for an unknown UC, a month with no readings or no posto schedule.';

CREATE FUNCTION smf.measured_demand(p_uc_code text, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(demand_posto text, contracted_kw numeric, measured_kw numeric, measured_at timestamp with time zone, tolerance numeric, limit_kw numeric, overrun_kw numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 a9c65bc692b3607f

COMMENT ON FUNCTION smf.measured_demand(p_uc_code text, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) Per demand posto of UC p_uc_code in month p_month: contracted (kW), measured = max 15-minute demand (kW; loss-adjusted series when p_with_losses, else raw) and when, tolerance (fraction), limit = contracted x (1 + tolerance) (kW) and overrun (kW), rounded to 3 decimals. SMF04 for an unknown UC, a month with no readings or no posto schedule.';

CREATE FUNCTION smf.meter_clock_report(p_days integer DEFAULT 30) RETURNS TABLE(serial text, protocol text, last_drift_at timestamp with time zone, last_drift_s numeric, drift_after_s numeric, corrections bigint, deferred bigint, refused bigint, last_correction_at timestamp with time zone, last_correction_kind text, last_meter_before timestamp with time zone, last_meter_after timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 19 lines, sha256 d6a8def5bd644cbd

COMMENT ON FUNCTION smf.meter_clock_report(p_days integer) IS 'Per meter, the last measured clock drift (s, meter minus poller), when, the drift left after that session, automatic corrections and deferrals in the last p_days days, and the last correction with the meter''s time before and after (UTC).';

CREATE FUNCTION smf.meter_config_report() RETURNS TABLE(serial text, protocol text, transport text, interval_minutes smallint, utc_offset_minutes smallint, poll_schedule text, enabled boolean, model text, channel_map text[], mm_layout text, register_unit text, dlms_client_sap smallint, dlms_server_logical smallint, dlms_server_physical smallint, dlms_auth text, dlms_profile_obis text, dlms_profile_kind text, dlms_energy_unit text, clock_auto_correct boolean, clock_correct_min_s integer, clock_correct_max_s integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 19e9193be5e6700e

COMMENT ON FUNCTION smf.meter_config_report() IS 'Every registered meter''s configuration (registry row, DLMS settings without secrets, clock policy in s), for operators (smf meter report config, the API).';

CREATE FUNCTION smf.meter_connectivity_report(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(serial text, protocol text, sessions bigint, ok bigint, ok_pct numeric, bytes_in bigint, bytes_out bigint, mean_duration_ms numeric, last_attempt_at timestamp with time zone, last_outcome text, top_failure text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 18 lines, sha256 2d1c30155a2a3249

COMMENT ON FUNCTION smf.meter_connectivity_report(p_from timestamp with time zone, p_to timestamp with time zone) IS 'Per meter over [p_from, p_to): sessions, successful ones, share ok (%), bytes in/out, mean session duration (ms), the last attempt and its outcome, and the most frequent failure outcome.';

CREATE FUNCTION smf.meter_gaps(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(gap_start timestamp with time zone, gap_end timestamp with time zone, intervals integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 a5dc225f4863ac7f

COMMENT ON FUNCTION smf.meter_gaps(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The missing intervals of meter p_meter in [p_from, p_to) as ranges [gap_start, gap_end) with their number of intervals, oldest first.';

CREATE FUNCTION smf.meter_interval_grid(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 5aae8641c2989aa7

COMMENT ON FUNCTION smf.meter_interval_grid(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Every interval start of meter p_meter in [p_from, p_to) (p_from rounded up to the grid). Empty for an unknown meter.';

CREATE FUNCTION smf.meter_last_interval(p_meter integer) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 67673005b234f43d

COMMENT ON FUNCTION smf.meter_last_interval(p_meter integer) IS 'Start (UTC) of the newest stored interval of meter p_meter that is not of quality ''missing''; null when none.';

CREATE FUNCTION smf.meter_lease_acquire(p_meter integer, p_holder text, p_seconds integer) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 5f4983b0d4a34a7d

COMMENT ON FUNCTION smf.meter_lease_acquire(p_meter integer, p_holder text, p_seconds integer) IS 'Take (or renew) the session lease of a meter for p_seconds; true when p_holder now holds it, false when another holder''s lease has not expired.';

CREATE FUNCTION smf.meter_lease_release(p_meter integer, p_holder text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 0d304ace8df8742e

COMMENT ON FUNCTION smf.meter_lease_release(p_meter integer, p_holder text) IS 'Drop p_holder''s lease of a meter (no-op when it holds none).';

CREATE FUNCTION smf.meter_missing_intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 7 lines, sha256 1ddb25127338b0ef

COMMENT ON FUNCTION smf.meter_missing_intervals(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Interval starts of meter p_meter in [p_from, p_to) that the meter should still deliver: no stored row, or a row of quality ''missing''. Oldest first.';

CREATE FUNCTION smf.meter_poll_health(p_meter integer) RETURNS TABLE(last_attempt_at timestamp with time zone, last_outcome text, last_ok_at timestamp with time zone, failures_since_ok bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 3db3f831293f3f4a

COMMENT ON FUNCTION smf.meter_poll_health(p_meter integer) IS 'Per meter, the last attempt, the last successful one and the number of failed attempts since (consecutive failures), for operators and the on-demand summary.';

CREATE FUNCTION smf.meter_recent_outages(p_meter integer, p_n integer DEFAULT 20) RETURNS TABLE(start_at timestamp with time zone, end_at timestamp with time zone, duration_s numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 3ba1f76f04daad02

COMMENT ON FUNCTION smf.meter_recent_outages(p_meter integer, p_n integer) IS 'The last p_n outages of meter p_meter (the meter itself keeps 20), newest first, with their duration in seconds (null while open).';

CREATE FUNCTION smf.meter_refuse_delete_with_readings() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 f63cc47bd09d03aa

COMMENT ON FUNCTION smf.meter_refuse_delete_with_readings() IS 'Trigger; a meter with stored readings cannot be deleted (interval_reading has no foreign key, for ingest speed; this keeps the reference sound).';

CREATE FUNCTION smf.meter_uc(p_meter integer) RETURNS TABLE(uc_id integer, distributor_id integer, group_id integer, uc_code text, customer_name text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 3396c6da34a71d92

COMMENT ON FUNCTION smf.meter_uc(p_meter integer) IS 'The consumer unit a meter measures (as main or backup meter), its distributor and alarm group; no row for a meter without a UC.';

CREATE FUNCTION smf.meters_due_monitoring(p_now timestamp with time zone DEFAULT now()) RETURNS TABLE(meter_id integer, serial text, ends_at timestamp with time zone, last_attempt_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 59b886a44d084d27

COMMENT ON FUNCTION smf.meters_due_monitoring(p_now timestamp with time zone) IS 'Meters under 15-minute monitoring at p_now (seed 003 §5.9 b) whose last session started 15 minutes or more ago (or never): the poller reads each of them now.';

CREATE FUNCTION smf.monitoring_start(p_serial text, p_until timestamp with time zone, p_by text, p_reason text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 18 lines, sha256 809d890fc8f5df9c

COMMENT ON FUNCTION smf.monitoring_start(p_serial text, p_until timestamp with time zone, p_by text, p_reason text) IS 'Put meter p_serial under 15-minute monitoring until p_until; returns the id.';

CREATE FUNCTION smf.month_of(p_month text) RETURNS date
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog'
    AS -- body: 14 lines, sha256 b20db129bdc65baf

COMMENT ON FUNCTION smf.month_of(p_month text) IS 'The date a month parameter stands for: ''YYYY-MM'' -> the first day of that month; ''YYYY-MM-DD'' -> that date (the date version of the function decides what a mid-month date means, as before). Raises SMF02 for anything else. Returns date.';

CREATE FUNCTION smf.ms_du(p_month date, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 069f082b6fca8906

COMMENT ON FUNCTION smf.ms_du(p_month date, p_n integer) IS '"MS+n du", the n-th CCEE business day of the month after the reference month p_month.';

CREATE FUNCTION smf.ms_du(p_month text, p_n integer) RETURNS date
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 20b30bb50d891919

COMMENT ON FUNCTION smf.ms_du(p_month text, p_n integer) IS '(month as text: ''YYYY-MM'' or a date) "MS+n du", the n-th CCEE business day of the month after the reference month p_month.';

CREATE FUNCTION smf.musd_check(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 4 lines, sha256 eb19876505f5c737

COMMENT ON FUNCTION smf.musd_check(p_uc_code text, p_month date, p_factor numeric, p_with_losses boolean) IS 'musd_check_of for UC p_uc_code after checking the cycle.';

CREATE FUNCTION smf.musd_check(p_uc_code text, p_month text, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 0339662690e42b5b

COMMENT ON FUNCTION smf.musd_check(p_uc_code text, p_month text, p_factor numeric, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) musd_check_of for UC p_uc_code after checking the cycle.';

CREATE FUNCTION smf.musd_check_hours(p_uc_code text, p_month date, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, excess_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 0fcbd67b153b8049

COMMENT ON FUNCTION smf.musd_check_hours(p_uc_code text, p_month date, p_factor numeric, p_with_losses boolean) IS 'The hours of UC p_uc_code in month p_month whose consumption (kWh) exceeds p_factor x MUSD (kW) x 1 h, with the excess (kWh). SMF04 for an unknown UC or a month without data.';

CREATE FUNCTION smf.musd_check_hours(p_uc_code text, p_month text, p_factor numeric DEFAULT NULL::numeric, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, excess_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 a5c30e6fdc02c4ab

COMMENT ON FUNCTION smf.musd_check_hours(p_uc_code text, p_month text, p_factor numeric, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) The hours of UC p_uc_code in month p_month whose consumption (kWh) exceeds p_factor x MUSD (kW) x 1 h, with the excess (kWh). SMF04 for an unknown UC or a month without data.';

CREATE FUNCTION smf.musd_check_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 10 lines, sha256 920d587a2d826211

COMMENT ON FUNCTION smf.musd_check_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) IS 'The verdict of UC p_uc for month p_month: ''accepted'' (no hour over the limit), ''rejected'' (some hour over), ''no_musd'' (no MUSD registered); hours with data, hours over, the largest hourly consumption (kWh) and the limit (kWh). No checks.';

CREATE FUNCTION smf.musd_check_of(p_uc integer, p_month text, p_factor numeric, p_with_losses boolean) RETURNS TABLE(uc_code text, month date, musd_kw numeric, factor numeric, limit_kwh numeric, hours_with_data integer, hours_over integer, max_kwh numeric, verdict text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 67e79e7557576ec3

COMMENT ON FUNCTION smf.musd_check_of(p_uc integer, p_month text, p_factor numeric, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) The verdict of UC p_uc for month p_month: ''accepted'' (no hour over the limit), ''rejected'' (some hour over), ''no_musd'' (no MUSD registered); hours with data, hours over, the largest hourly consumption (kWh) and the limit (kWh). No checks.';

CREATE FUNCTION smf.musd_factor_checked(p_factor numeric, p_month date) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 10 lines, sha256 6301484ea6fe0d37

COMMENT ON FUNCTION smf.musd_factor_checked(p_factor numeric, p_month date) IS 'p_factor, or rule_param(''musd_factor'') for null; SMF02 unless positive.';

CREATE FUNCTION smf.musd_factor_checked(p_factor numeric, p_month text) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 dbbb5818b1631d39

COMMENT ON FUNCTION smf.musd_factor_checked(p_factor numeric, p_month text) IS '(month as text: ''YYYY-MM'' or a date) p_factor, or rule_param(''musd_factor'') for null; SMF02 unless positive.';

CREATE FUNCTION smf.musd_hours_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, exceeds boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 12 lines, sha256 4b35cb0472b55ffa

COMMENT ON FUNCTION smf.musd_hours_of(p_uc integer, p_month date, p_factor numeric, p_with_losses boolean) IS 'Every local hour of UC p_uc in month p_month: consumption (kWh), limit (p_factor x MUSD x 1 h, kWh; null without MUSD) and whether it exceeds it. No checks.';

CREATE FUNCTION smf.musd_hours_of(p_uc integer, p_month text, p_factor numeric, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, kwh numeric, limit_kwh numeric, exceeds boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 5710d872d0f15127

COMMENT ON FUNCTION smf.musd_hours_of(p_uc integer, p_month text, p_factor numeric, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) Every local hour of UC p_uc in month p_month: consumption (kWh), limit (p_factor x MUSD x 1 h, kWh; null without MUSD) and whether it exceeds it. No checks.';

CREATE FUNCTION smf.phasor_connection(p_values jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 b7638d518db93899

COMMENT ON FUNCTION smf.phasor_connection(p_values jsonb) IS 'The metering connection a 0x14 reading shows, inferred from which fields the meter fills (octet 188 is not kept): ''wye_3_element'' (phase voltages and three currents), ''delta_2_element'' (line voltages, currents A and C only: Aron / two-wattmeter metering) or ''delta_3_element'' (line voltages and three currents, no phase voltages).';

CREATE FUNCTION smf.pld_import(p_months text[], p_submarkets text[], p_days integer[], p_hours integer[], p_prices numeric[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 30 lines, sha256 f46eb4fd36f243e6

COMMENT ON FUNCTION smf.pld_import(p_months text[], p_submarkets text[], p_days integer[], p_hours integer[], p_prices numeric[]) IS 'Upsert hourly PLD rows (R$/MWh) given as parallel arrays: month (YYYYMM or YYYY-MM), submarket name, day of month, local hour 0..23 (hour beginning, SMF local time zone) and price. Returns the number of rows inserted or changed. SMF02 names the first bad row (1-based) and nothing is written.';

CREATE FUNCTION smf.pld_submarket(p_name text) RETURNS smf.submarket
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 2f60b5ea77150166

COMMENT ON FUNCTION smf.pld_submarket(p_name text) IS 'smf.submarket of a submarket name as CCEE''s open data spells it (SUDESTE, SE/CO, SECO, SUL, S, NORDESTE, NE, NORTE, N; case and accents ignored); NULL for any other name (smf.pld_import reports those rows).';

CREATE FUNCTION smf.posto_at(p_uc_code text, p_ts timestamp with time zone) RETURNS TABLE(local_ts timestamp without time zone, posto text, demand_posto text, reactive_window text, reservado boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 15 lines, sha256 8f4f1041cab5b879

COMMENT ON FUNCTION smf.posto_at(p_uc_code text, p_ts timestamp with time zone) IS 'Posto, demand posto, reactive window and reservado flag of instant p_ts for UC p_uc_code, with the local time; SMF04 for an unknown UC or a day without a posto schedule.';

CREATE FUNCTION smf.posto_schedule_validate() RETURNS trigger
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 50 lines, sha256 dfbbfd2b6085dcef

COMMENT ON FUNCTION smf.posto_schedule_validate() IS 'Trigger on smf.posto_schedule; raises SMF02 when ponta is not rule_param(''ponta_minutes'') long inside one day, when the capacitive window is not rule_param(''capacitive_window_minutes'') long inside the span capacitive_span_start_min .. capacitive_span_end_min (23:30-06:30), or when a time is off the 15-minute grid.';

CREATE FUNCTION smf.principal() RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 7eb2ad42d2477195

COMMENT ON FUNCTION smf.principal() IS 'The account the current statement acts for, or null (then nothing is visible). A service session (its login role may become smf_api: the API''s pool user smf_svc_api, or the owner) acts for the account the service names in the transaction setting smf.principal, and only for it: it never becomes an account because an account''s db_role matches its login. A reader session (a login role mapped to an account by account.db_role: Grafana, psql) is that account, whatever it sets; it cannot become smf_api, so it cannot name another.';

CREATE FUNCTION smf.principal_role() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 35fd7f20447e28bc

COMMENT ON FUNCTION smf.principal_role() IS '''admin'', ''analyst'', ''client'', ''service'' or null (no principal).';

CREATE FUNCTION smf.raw_read_prune(p_now timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 1638e262126beaad

COMMENT ON FUNCTION smf.raw_read_prune(p_now timestamp with time zone) IS 'Delete the raw reads whose session started more than smf.setting ''raw_block_retention_days'' days (default 90) before p_now; returns how many.';

CREATE FUNCTION smf.read_request_claim(p_holder text, p_limit integer DEFAULT 10, p_stale interval DEFAULT '00:10:00'::interval) RETURNS TABLE(id bigint, meter_id integer, serial text, kind text, requested_at timestamp with time zone)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 17 lines, sha256 b6b57ec472d4f00f

COMMENT ON FUNCTION smf.read_request_claim(p_holder text, p_limit integer, p_stale interval) IS 'Claim up to p_limit queued requests (oldest first) for poller p_holder, also taking back requests left ''running'' longer than p_stale by a poller that died. Returns the claimed requests with the meter serial; concurrent pollers never claim the same one.';

CREATE FUNCTION smf.read_request_complete(p_id bigint, p_holder text, p_ok boolean, p_result jsonb DEFAULT NULL::jsonb, p_error text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 784f250abcf51591

COMMENT ON FUNCTION smf.read_request_complete(p_id bigint, p_holder text, p_ok boolean, p_result jsonb, p_error text) IS 'Finish request p_id claimed by p_holder: done with p_result (a JSON summary of what was read) or failed with p_error. False when p_holder no longer holds it.';

CREATE FUNCTION smf.read_request_enqueue(p_serial text, p_kind text, p_account integer) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 17 lines, sha256 6701998dc6c014c2

COMMENT ON FUNCTION smf.read_request_enqueue(p_serial text, p_kind text, p_account integer) IS 'Queue an on-demand read of meter p_serial (kind ''intervals'', ''registers'', ''instantaneous'' or ''full'') for account p_account; returns the request id. SMF04 for an unknown or invisible meter, SMF02 for a retired one.';

CREATE FUNCTION smf.read_request_status(p_id bigint) RETURNS TABLE(id bigint, serial text, kind text, status text, requested_at timestamp with time zone, claimed_at timestamp with time zone, finished_at timestamp with time zone, result jsonb, error text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 4745dbab89f7aaaf

COMMENT ON FUNCTION smf.read_request_status(p_id bigint) IS 'One request as the API shows it (row-level security applies: a caller sees only requests of the meters it may see).';

CREATE FUNCTION smf.read_view_refuse_write() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 b239976c631a9600

COMMENT ON FUNCTION smf.read_view_refuse_write() IS 'Trigger on the smf_read views over both storage tiers; they are read-only (a role with DELETE on one would still be refused here).';

CREATE FUNCTION smf.read_views_refresh() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 33 lines, sha256 e891fbd0512f59b5

COMMENT ON FUNCTION smf.read_views_refresh() IS '(re)create schema smf_read: one view per table or view smf_api may read, owned by smf_api (so the policies apply to whoever reads them). Called below and again by 625_dashboards_read.sql, so that the views of later files (alarms, dashboards) get their copy. (Owner-only: it drops and re-creates every view of smf_read.)';

CREATE FUNCTION smf.read_views_rewrite() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS -- body: 18 lines, sha256 4aaef8de57398bef

COMMENT ON FUNCTION smf.read_views_rewrite() IS 'A copy in smf_read of a view of smf runs the smf functions it calls with the reader''s rights (a view checks its tables against its owner, but runs functions as the caller): ''permission denied for schema smf'' for a reader. So in the views of smf_read, calls of smf functions that have a smf_read wrapper go to the wrapper. (Views are not pointed at other copies: the frozen downgrades of 0008/0009 drop the copies one by one, without cascade; a view of smf read by the dashboards therefore names tables only, not other views of smf, whose security-invoker rules would check them against the reader.) search_path pg_catalog, so pg_get_viewdef names every object with its schema. Owner-only.';

CREATE FUNCTION smf.report_alterations(p_uc_code text, p_n integer DEFAULT 16) RETURNS TABLE(at timestamp with time zone, command_hex text, command text, reader_serial text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 309a5f15638e8469

COMMENT ON FUNCTION smf.report_alterations(p_uc_code text, p_n integer) IS 'The last p_n alterations applied to UC p_uc_code''s main meter (0x28 log), newest first: when (UTC), command code (hex as on the wire), what it does, reader serial.';

CREATE FUNCTION smf.report_display(p_uc_code text) RETURNS TABLE(item integer, code text, label text, value numeric, unit text, at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 43 lines, sha256 b2a6b3bc705f455a

COMMENT ON FUNCTION smf.report_display(p_uc_code text) IS 'A simulation of what the meter''s display shows: the latest registers (0x23, per channel: totals and demands per posto, as the raw digits the meter keeps: the decimal point follows the meter''s presentation mode, unverified) and the latest instantaneous values (0x14: V, A, kW, frequency). One row per display item, in display order.';

CREATE FUNCTION smf.report_outages(p_uc_code text, p_n integer DEFAULT 20) RETURNS TABLE(start_at timestamp with time zone, end_at timestamp with time zone, duration_s numeric, source text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 24 lines, sha256 f4d6a239b0b4cadf

COMMENT ON FUNCTION smf.report_outages(p_uc_code text, p_n integer) IS 'The last p_n supply outages of UC p_uc_code''s main meter, newest first: start and return (UTC), duration (s). From the meter''s own outage records (0x25) when it has any (source ''meter''); otherwise from the holes in its stored intervals (source ''gaps'': from the first missing interval start to the start of the next stored one), since a meter without an outage log only shows an outage as missing intervals.';

CREATE FUNCTION smf.report_phasors(p_uc_code text, p_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(uc_code text, customer_name text, meter_serial text, at timestamp with time zone, connection text, element text, voltage_v numeric, voltage_angle_deg numeric, current_a numeric, current_angle_deg numeric, shift_deg numeric, p_kw numeric, q_kvar numeric, s_kva numeric, power_factor numeric, angle_source text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 76 lines, sha256 c6cd9c056cb7917e

COMMENT ON FUNCTION smf.report_phasors(p_uc_code text, p_at timestamp with time zone) IS 'Phasor analysis of UC p_uc_code from its main meter''s 0x14 reading at or before p_at (default: the latest). One row per measuring element: its voltage (V) and angle, current (A) and angle, V-I shift, active P (kW), reactive Q (kvar), apparent S (kVA), power factor. Angles in degrees, voltage of element 1 at 0 unless the meter reports angles; the current angle = voltage angle - shift, the shift lagging (positive) where the phase is inductive (Q > 0 or characteristic ''L''). Elements: wye 3-element A, B, C (phase voltages); delta 2-element 1 = (V_AB, I_A), 2 = (V_CB, I_C); delta 3-element AB, BC, CA with I_A, I_B, I_C. angle_source says which angles came from the meter and which follow an ABC sequence.';

CREATE FUNCTION smf.require_cycle(p_uc integer, p_month date) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 36 lines, sha256 fd35efffe36a89cd

COMMENT ON FUNCTION smf.require_cycle(p_uc integer, p_month date) IS 'Checks that UC p_uc can be evaluated for local month p_month (a main meter, a posto schedule of its distributor on every day, at least one reading); returns p_uc. Raises SMF04 naming what is missing.';

CREATE FUNCTION smf.require_cycle(p_uc integer, p_month text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 9fee5040801176cf

COMMENT ON FUNCTION smf.require_cycle(p_uc integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Checks that UC p_uc can be evaluated for local month p_month (a main meter, a posto schedule of its distributor on every day, at least one reading); returns p_uc. Raises SMF04 naming what is missing.';

CREATE FUNCTION smf.rollup_15min_sealed_sql() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 22 lines, sha256 1977993b7f932cf7

COMMENT ON FUNCTION smf.rollup_15min_sealed_sql() IS 'The select of the 15-minute rollups (columns of smf.rollup_15min) derived from every sealed period, as rollup_refresh computes them from rows.';

CREATE FUNCTION smf.rollup_all_sql(p_level text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 6 lines, sha256 e9e1edcfdd73440b

COMMENT ON FUNCTION smf.rollup_all_sql(p_level text) IS 'The select of every 15-minute (''15min'') or hourly (''hour'') rollup, stored rows of hot data and those derived from sealed periods (the views below, 040''s analyst views).';

CREATE FUNCTION smf.rollup_hour_sealed_sql() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 23 lines, sha256 1b30d0894c887ffe

COMMENT ON FUNCTION smf.rollup_hour_sealed_sql() IS 'The select of the hourly rollups (columns of smf.rollup_hour) derived from every sealed period (from its 15-minute rollups, as rollup_refresh does).';

CREATE FUNCTION smf.rollup_refresh(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    AS -- body: 109 lines, sha256 3c6f189c1a382c9b

COMMENT ON FUNCTION smf.rollup_refresh(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) IS 'Recompute the 15-min, hourly, daily and monthly rollups of the given meters over the UTC instants [p_lo[i], p_hi[i]] (widened to whole buckets at every level).';

CREATE FUNCTION smf.rollup_refresh_meter(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public'
    AS -- body: 8 lines, sha256 b86aef3d843ef9fd

COMMENT ON FUNCTION smf.rollup_refresh_meter(p_meter integer, p_lo timestamp with time zone, p_hi timestamp with time zone) IS 'Recompute every rollup of one meter over the UTC range [p_lo, p_hi]; a session in the test suite''s sealed mode (smf.seal_all = on) then seals the range.';

CREATE FUNCTION smf.rollup_select_list(p_from_raw boolean) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 04ad7f5f5ea09e83

COMMENT ON FUNCTION smf.rollup_select_list(p_from_raw boolean) IS 'The aggregate select list of one rollup level, from raw rows (p_from_raw) or from the rollup level below; column order matches the rollup tables.';

CREATE FUNCTION smf.rollup_view_sql(p_table text, p_start text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 ce4311d5d804b661

COMMENT ON FUNCTION smf.rollup_view_sql(p_table text, p_start text) IS 'The select of one analyst view over rollup table p_table (or a parenthesised select, e.g. both storage tiers); p_start is the SQL expression of the bucket''s start instant (timestamptz).';

CREATE TABLE smf.rollup_15min (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_15min IS 'Per meter and 15-minute bucket (UTC start): sums, counts by quality, min/max/sum of V and A, demand (kW).';

CREATE FUNCTION smf.rollups_15min(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.rollup_15min
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 6 lines, sha256 1a1c7ec12d474c73

COMMENT ON FUNCTION smf.rollups_15min(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS '15-minute rollup rows (shape of smf.rollup_15min) of the given meters with p_from <= bucket < p_to: stored rows for hot data, derived for sealed periods.';

CREATE FUNCTION smf.rollups_15min_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.rollup_15min
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 25 lines, sha256 58c07a89fe4cf82f

COMMENT ON FUNCTION smf.rollups_15min_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS '15-minute rollup rows (shape of smf.rollup_15min: sums in Wh/varh, counts by quality, min/max/sum/n of mV and mA, demand kW) derived from the sealed periods of the given meters, buckets with p_from <= bucket < p_to (the stored rows of sealed periods are gone).';

CREATE TABLE smf.rollup_hour (
    meter_id integer NOT NULL,
    bucket timestamp with time zone NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone,
    active_fwd_wh_q_min_abs bigint,
    reactive_ind_fwd_varh_q_min_abs bigint,
    reactive_cap_fwd_varh_q_min_abs bigint
);

COMMENT ON TABLE smf.rollup_hour IS 'Per meter and UTC hour: same shape as rollup_15min, derived from it.';

COMMENT ON COLUMN smf.rollup_hour.active_fwd_wh_q_min_abs IS 'Smallest absolute active_fwd_wh (Wh) of the hour''s 15-minute rollups; NULL when none of them has a value.';

COMMENT ON COLUMN smf.rollup_hour.reactive_ind_fwd_varh_q_min_abs IS 'Smallest absolute reactive_ind_fwd_varh (varh) of the hour''s 15-minute rollups; NULL when none of them has a value.';

COMMENT ON COLUMN smf.rollup_hour.reactive_cap_fwd_varh_q_min_abs IS 'Smallest absolute reactive_cap_fwd_varh (varh) of the hour''s 15-minute rollups; NULL when none of them has a value.';

CREATE FUNCTION smf.rollups_hour(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.rollup_hour
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 6 lines, sha256 508e1b37dcf722e0

COMMENT ON FUNCTION smf.rollups_hour(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS 'Hourly rollup rows (shape of smf.rollup_hour) of the given meters with p_from <= bucket < p_to: stored rows for hot data, derived for sealed periods.';

CREATE FUNCTION smf.rollups_hour_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) RETURNS SETOF smf.rollup_hour
    LANGUAGE sql STABLE PARALLEL SAFE
    AS -- body: 24 lines, sha256 4e3b730ab2904bae

COMMENT ON FUNCTION smf.rollups_hour_sealed(p_meters integer[], p_from timestamp with time zone, p_to timestamp with time zone) IS 'Hourly rollup rows (shape of smf.rollup_hour) derived from the sealed periods of the given meters, p_from <= bucket < p_to (sealed periods align with hours).';

CREATE FUNCTION smf.rule_param(p_key text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 12 lines, sha256 485a65353c1c1e96

COMMENT ON FUNCTION smf.rule_param(p_key text, p_day date) IS 'The value (in the parameter''s unit) of smf.rule_parameter p_key valid on p_day; raises SMF04 when none is valid.';

CREATE FUNCTION smf.scope_all() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 dc4da03118390957

COMMENT ON FUNCTION smf.scope_all() IS 'True when the principal sees every row (admin, service).';

CREATE FUNCTION smf.scope_distributor_ids() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 aa6f147f0117049b

COMMENT ON FUNCTION smf.scope_distributor_ids() IS 'Distributors the principal may register UCs under (analyst scopes).';

CREATE FUNCTION smf.scope_meter_ids() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 1aae88c70aa99ba6

COMMENT ON FUNCTION smf.scope_meter_ids() IS 'The main and backup meters of the principal''s UCs.';

CREATE FUNCTION smf.scope_reference_tables() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 60d9c49870cd775a

COMMENT ON FUNCTION smf.scope_reference_tables() IS 'The tables every principal may read whole: reference data the rules read (calendars, tariffs, postos, PLD, parameters and settings, rule definitions). Everything else in smf is filtered.';

CREATE FUNCTION smf.scope_uc_ids() RETURNS integer[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 15 lines, sha256 cba35be16f19ac55

COMMENT ON FUNCTION smf.scope_uc_ids() IS 'Ids of the consumer units the principal''s scopes name (its own UCs, the UCs of its distributors and of its UC groups). Empty for no principal; not used for scope_all.';

CREATE FUNCTION smf.scope_writes() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 6c8815ce8e3a5a6e

COMMENT ON FUNCTION smf.scope_writes() IS 'True when the principal may write registration data (admin, analyst, service).';

CREATE FUNCTION smf.sealed_channel(p_width smallint, p_pos integer, p_slots integer, p_v1 "char"[], p_v2 smallint[], p_v4 integer[]) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS -- body: 7 lines, sha256 59122b59d5a49a28

COMMENT ON FUNCTION smf.sealed_channel(p_width smallint, p_pos integer, p_slots integer, p_v1 "char"[], p_v2 smallint[], p_v4 integer[]) IS 'The offsets of one channel of a sealed row as integer[] (base not added). No SET clause on purpose: the planner inlines it into smf.intervals (it names only built-in operators and casts).';

CREATE FUNCTION smf.sealed_floor(p_from timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 ff21f2009f5f7a7d

COMMENT ON FUNCTION smf.sealed_floor(p_from timestamp with time zone) IS 'The earliest period start (UTC) a sealed period overlapping [p_from, ...) can have (periods are at most 28 days long). A function, not `p_from - interval ''28 days''` inline: TimescaleDB''s chunk exclusion fails on that expression with p_from = ''-infinity''.';

CREATE FUNCTION smf.sealed_rows_sql() RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 24 lines, sha256 28a5554ba268d6be

COMMENT ON FUNCTION smf.sealed_rows_sql() IS 'The select of every interval stored in sealed periods, in the columns and order of smf.interval_reading (whole periods decoded).';

CREATE FUNCTION smf.sealed_slot(p_at timestamp with time zone, p_start timestamp with time zone, p_minutes smallint, p_slots integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS -- body: 5 lines, sha256 1c185fcfbe6381e3

COMMENT ON FUNCTION smf.sealed_slot(p_at timestamp with time zone, p_start timestamp with time zone, p_minutes smallint, p_slots integer) IS 'The 1-based slot of a sealed period (start p_start, p_slots slots of p_minutes) of the first interval starting at or after p_at; 1 before the period, p_slots + 1 after it. No SET clause: inlined into smf.intervals_sealed.';

CREATE FUNCTION smf.setting_text(p_key text, p_default text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 25a32d44e8ff1184

COMMENT ON FUNCTION smf.setting_text(p_key text, p_default text) IS 'The value of smf.setting p_key, or p_default when the key is absent.';

CREATE FUNCTION smf.storage_drop_chunk_if_empty(p_chunk text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 36 lines, sha256 4d87f99c4dcfc46a

COMMENT ON FUNCTION smf.storage_drop_chunk_if_empty(p_chunk text) IS 'Drop chunk p_chunk (a name from storage_empty_chunk_candidates) when it holds no row; the bytes it took (heap, indexes, TOAST), or NULL when it was kept: it holds a row, or another session is using it (locked ACCESS EXCLUSIVE NOWAIT: it is left for the next run). Deleted rows leave a chunk''s pages and indexes on disk (730 MiB after sealing 11 M intervals in bench/scale.py); dropped, they go back to the file system. The chunk is found empty under the lock, and TimescaleDB''s drop_chunks then drops exactly its range (anything else it would drop raises, undoing the drop), so a row written meanwhile (a late reading unseals its period back into the hot chunk) is never dropped. Call it in a transaction of its own: the lock holds until the end of it. Security definer: the jobs'' role (smf_writer) may not drop tables itself; execute is revoked from PUBLIC.';

CREATE FUNCTION smf.storage_empty_chunk_candidates(p_edge timestamp with time zone) RETURNS TABLE(chunk text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 d4af6fca6b088534

COMMENT ON FUNCTION smf.storage_empty_chunk_candidates(p_edge timestamp with time zone) IS 'The chunks of the hot hypertables that sealing empties (interval_reading, rollup_15min, rollup_hour) whose time range ends at or before p_edge (UTC), oldest first: the chunks smf.storage_drop_chunk_if_empty may drop. Only hypertables partitioned by time alone: there a time range is one chunk.';

CREATE FUNCTION smf.storage_seal_all_requested() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 440a235c47cb4ab3

COMMENT ON FUNCTION smf.storage_seal_all_requested() IS 'Whether this session asked for everything to be sealed at once (set smf.seal_all = on: the test suite''s sealed mode).';

CREATE FUNCTION smf.storage_seal_candidates(p_edge timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(meter_id integer, period_start timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 10 lines, sha256 522993f4a49c7e36

COMMENT ON FUNCTION smf.storage_seal_candidates(p_edge timestamp with time zone) IS 'The hot meter-periods wholly before p_edge (default smf.storage_seal_edge()), oldest first: what `smf storage seal` and the storage_seal job seal.';

CREATE FUNCTION smf.storage_seal_edge(p_now timestamp with time zone DEFAULT now()) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 4 lines, sha256 675aefea7e90f07c

COMMENT ON FUNCTION smf.storage_seal_edge(p_now timestamp with time zone) IS 'The UTC instant before which whole periods may be sealed: the start of the period that holds now() - seal_after_days (p_now for tests).';

CREATE FUNCTION smf.storage_seal_periods(p_meter integer[], p_start timestamp with time zone[]) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    SET default_toast_compression TO 'lz4'
    SET jit TO 'off'
    SET work_mem TO '256MB'
    SET max_parallel_workers_per_gather TO '0'
    AS -- body: 162 lines, sha256 d08ba156181f7b4a

COMMENT ON FUNCTION smf.storage_seal_periods(p_meter integer[], p_start timestamp with time zone[]) IS 'Seal the meter-periods (p_meter[i], starting p_start[i], each seal_period_days long) in this transaction: their rows of smf.interval_reading become one row of smf.interval_sealed each, and their rows of interval_reading, rollup_15min and rollup_hour are deleted. A meter-period with a row off the meter''s interval grid is left hot (off_grid); one without hot rows (sealed meanwhile by a concurrent run) is left alone (empty). A period already sealed with new hot rows beside it (a writer that bypassed the ingest) is unsealed first, the hot rows winning. Returns {"sealed": n, "off_grid": n, "empty": n, "rows": hot rows moved}.';

CREATE FUNCTION smf.storage_seal_spans(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    AS -- body: 22 lines, sha256 7fe47748146ac50f

COMMENT ON FUNCTION smf.storage_seal_spans(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) IS 'Seal every meter-period that overlaps the UTC spans [p_lo[i], p_hi[i]] of meter p_meter[i], whatever its age, plus the periods unsealed earlier in this transaction. Used when the session sets smf.seal_all = on (the test suite''s sealed mode, `pytest --sealed`).';

CREATE FUNCTION smf.storage_sealed_spans_exist(p_lo timestamp with time zone, p_hi timestamp with time zone) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 a3456bcde9d923ee

COMMENT ON FUNCTION smf.storage_sealed_spans_exist(p_lo timestamp with time zone, p_hi timestamp with time zone) IS 'Whether any sealed period of any meter may overlap the UTC range [p_lo, p_hi] (a cheap check by period start; chunk exclusion keeps it one index probe).';

CREATE FUNCTION smf.storage_setting_int(p_key text, p_default integer) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 24d687a808327524

COMMENT ON FUNCTION smf.storage_setting_int(p_key text, p_default integer) IS 'An integer storage setting of smf.setting, or p_default.';

CREATE FUNCTION smf.storage_status() RETURNS TABLE(tier text, stored_rows bigint, intervals bigint, bytes bigint, bytes_per_interval numeric, oldest timestamp with time zone, newest timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 39 lines, sha256 9ea1abf0144afebf

COMMENT ON FUNCTION smf.storage_status() IS 'One row per storage tier and rollup level: stored rows, intervals they hold, bytes on disk (table + indexes + TOAST, from TimescaleDB''s sizes) and bytes per interval. Hot row counts are TimescaleDB''s estimates (approximate_row_count); sealed counts are exact.';

CREATE FUNCTION smf.storage_unseal(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'public', 'pg_temp'
    AS -- body: 47 lines, sha256 4f3be64fee5632b6

COMMENT ON FUNCTION smf.storage_unseal(p_meter integer[], p_lo timestamp with time zone[], p_hi timestamp with time zone[]) IS 'Move the sealed periods that overlap the UTC spans [p_lo[i], p_hi[i]] of meter p_meter[i] back into rows of smf.interval_reading (exactly the rows that were sealed; a hot row already stored for the same interval wins), delete their sealed rows and rebuild their 15-minute and hourly rollups. The periods are listed in pg_temp.storage_unsealed (this transaction), and the seal job seals them again once they are older than seal_after_days. No history row is written (nothing changes value). Returns how many meter-periods were unsealed.';

CREATE FUNCTION smf.tariff_price(p_distributor integer, p_modality text, p_item text, p_posto text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 5 lines, sha256 36565fc38b6ca454

COMMENT ON FUNCTION smf.tariff_price(p_distributor integer, p_modality text, p_item text, p_posto text, p_day date) IS 'Price of item p_item in posto p_posto for distributor p_distributor and modality p_modality on p_day (R$/kWh for energy and ufer, R$/kW otherwise); null when none is set.';

CREATE FUNCTION smf.transformer_loss_default(p_uc_code text, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 2551ae1239eef091

COMMENT ON FUNCTION smf.transformer_loss_default(p_uc_code text, p_day date) IS 'The proposed transformer-loss factor (fraction) for UC p_uc_code from its supply voltage: loss_factor_up_to_threshold (2.5%) up to loss_voltage_threshold_kv (44 kV), loss_factor_above_threshold (1%) above; the setting itself is a row of smf.transformer_loss.';

CREATE FUNCTION smf.transformer_loss_factor(p_uc_code text, p_day date) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 4 lines, sha256 c4ddfb8bccefee89

COMMENT ON FUNCTION smf.transformer_loss_factor(p_uc_code text, p_day date) IS 'The loss factor (fraction) of UC p_uc_code on local day p_day; 0 when no period of smf.transformer_loss covers the day.';

CREATE FUNCTION smf.uc_card(p_uc_code text) RETURNS TABLE(uc_code text, distributor_aneel_code text, distributor_name text, ccee_agent_code integer, customer_name text, submarket text, tariff_group text, modality text, contracted_demand_ponta_kw numeric, contracted_demand_fora_ponta_kw numeric, musd_kw numeric, supply_voltage_kv numeric, main_meter_serial text, backup_meter_serial text, loss_factor numeric, loss_valid_from date, loss_valid_to date, ccee_retail_from date, created_at timestamp with time zone, retired_at timestamp with time zone)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 16 lines, sha256 4b106a806608acac

COMMENT ON FUNCTION smf.uc_card(p_uc_code text) IS 'One UC as a row for `smf uc show` and GET /api/v1/units/{code}: registry fields (demands and MUSD in kW, voltage in kV), meters by serial, the loss factor in force today (fraction) and its validity (local days, [from, to)), and the CCEE retail-model period in force.';

CREATE FUNCTION smf.uc_channels(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone, p_step text DEFAULT '15min'::text, p_mode text DEFAULT 'units'::text) RETURNS TABLE(bucket_start timestamp with time zone, active_fwd numeric, active_rev numeric, reactive_ind_fwd numeric, reactive_ind_rev numeric, reactive_cap_fwd numeric, reactive_cap_rev numeric, voltage_a numeric, voltage_b numeric, voltage_c numeric, current_a numeric, current_b numeric, current_c numeric, completeness_pct numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 36 lines, sha256 932aea66320289c6

COMMENT ON FUNCTION smf.uc_channels(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone, p_step text, p_mode text) IS 'The 12 mass-memory quantities of UC p_uc_code''s main meter over [p_from, p_to), per bucket of p_step (''15min'', ''hour'', ''day'' = local day, ''month'' = local month). p_mode ''units'': energies in kWh / kvarh per bucket, voltages and currents as bucket means in V / A; ''pulses'': each value divided by its channel''s multiplication constant (null where the meter has no constant for that quantity). Columns a meter does not carry are null.';

CREATE FUNCTION smf.uc_check_digit(p_digits text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 9 lines, sha256 9d40b3f9623c10a1

COMMENT ON FUNCTION smf.uc_check_digit(p_digits text) IS 'The check digit (0-9) over 13 digits (the first) or 14 digits (the second); null for any other input.';

CREATE FUNCTION smf.uc_code_is_valid(p_code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 5 lines, sha256 8549a0e46f8992b1

COMMENT ON FUNCTION smf.uc_code_is_valid(p_code text) IS 'True when the code has 15 digits and both check digits match.';

CREATE TABLE smf.consumer_unit (
    id integer NOT NULL,
    uc_code character(15) NOT NULL,
    distributor_id integer NOT NULL,
    customer_name text NOT NULL,
    submarket smf.submarket NOT NULL,
    tariff_group text NOT NULL,
    modality text NOT NULL,
    contracted_demand_ponta_kw numeric(12,3),
    contracted_demand_fora_ponta_kw numeric(12,3),
    musd_kw numeric(12,3),
    supply_voltage_kv numeric(8,3) NOT NULL,
    main_meter_id integer,
    backup_meter_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT consumer_unit_azul_needs_ponta_demand CHECK (((modality <> 'azul'::text) OR (contracted_demand_ponta_kw IS NOT NULL))),
    CONSTRAINT consumer_unit_backup_differs CHECK ((backup_meter_id <> main_meter_id)),
    CONSTRAINT consumer_unit_contracted_demand_fora_ponta_kw_check CHECK ((contracted_demand_fora_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_contracted_demand_ponta_kw_check CHECK ((contracted_demand_ponta_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_customer_name_check CHECK ((customer_name <> ''::text)),
    CONSTRAINT consumer_unit_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT consumer_unit_musd_kw_check CHECK ((musd_kw >= (0)::numeric)),
    CONSTRAINT consumer_unit_supply_voltage_kv_check CHECK ((supply_voltage_kv > (0)::numeric)),
    CONSTRAINT consumer_unit_tariff_group_check CHECK ((tariff_group = ANY (ARRAY['A1'::text, 'A2'::text, 'A3'::text, 'A3a'::text, 'A4'::text, 'AS'::text, 'B1'::text, 'B2'::text, 'B3'::text]))),
    CONSTRAINT consumer_unit_uc_code_valid CHECK (smf.uc_code_is_valid((uc_code)::text))
);

COMMENT ON TABLE smf.consumer_unit IS 'Consumer units / metering points. uc_code: 15 digits with two mod-11 check digits.';

CREATE FUNCTION smf.uc_check_fields(p smf.consumer_unit) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 34 lines, sha256 5fbd45877ed6cfee

COMMENT ON FUNCTION smf.uc_check_fields(p smf.consumer_unit) IS 'Raises SMF02 naming the first field of a consumer_unit row that breaks a rule (modality, tariff group, demands in kW >= 0, Azul needs a ponta demand, supply voltage in kV > 0, backup meter differs from main meter); returns nothing.';

CREATE FUNCTION smf.uc_code_complete(p_code text, p_aneel_code text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 27 lines, sha256 70c08033c7ccf775

COMMENT ON FUNCTION smf.uc_code_complete(p_code text, p_aneel_code text) IS 'The 15-digit UC code from a code typed with or without its two check digits (REN 1.095/2024 Annex II, smf.uc_check_digit). Accepts dots, dashes and spaces as typed on a bill (0.013.479.258.028-10). 13 digits: the check digits are computed and appended; 15 digits: they are verified (SMF02 names the expected pair). With p_aneel_code, digits N5..N3 must be that distributor''s ANEEL code. Returns text, 15 digits.';

CREATE FUNCTION smf.uc_code_with_check_digits(p_sequential bigint, p_distributor integer) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 5 lines, sha256 50421b740487a0b7

COMMENT ON FUNCTION smf.uc_code_with_check_digits(p_sequential bigint, p_distributor integer) IS 'The 15-digit code for 10 sequential digits and a 3-digit distributor id.';

CREATE FUNCTION smf.uc_demand_curve(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, demand_kw numeric)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 23 lines, sha256 4f93e963751456d5

COMMENT ON FUNCTION smf.uc_demand_curve(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The loss-adjusted 15-minute demand (kW = kWh of the quarter hour x 4) of UC p_uc''s main meter over [p_from, p_to): every 15-minute slot (UTC start ts, local start local_ts in smf.local_timezone()), demand null for a slot without data. The same values as the ts, local_ts and demand_kw columns of smf.demand_series, read straight from the 15-minute rollups (smf.rollups_15min, any tier) and the day''s transformer-loss factor without the posto labels, so it costs a fraction (the client home page''s last-24-h chart). Row-level security applies (security invoker); no rows for a UC (or main meter) outside the caller''s scope.';

CREATE FUNCTION smf.uc_figures(p_uc_code text, p_month date) RETURNS TABLE(uc_code text, month date, fresh boolean, computed_at timestamp with time zone, energy_kwh numeric, completeness_pct numeric, musd_verdict text, billing jsonb, demand jsonb, ufer_dmcr jsonb, musd jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 19 lines, sha256 b4eeb5b2df1df421

COMMENT ON FUNCTION smf.uc_figures(p_uc_code text, p_month date) IS 'The figures of UC p_uc_code for local month p_month as readers get them: the stored row when fresh (fresh true, computed_at its stamp), else computed now (fresh false, computed_at now). Columns as smf.uc_month_figures (kWh, %, R$, kW). SMF04 for an unknown UC or a month without figures. Row-level security applies (security invoker).';

CREATE FUNCTION smf.uc_figures(p_uc_code text, p_month text) RETURNS TABLE(uc_code text, month date, fresh boolean, computed_at timestamp with time zone, energy_kwh numeric, completeness_pct numeric, musd_verdict text, billing jsonb, demand jsonb, ufer_dmcr jsonb, musd jsonb)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 06fb4cc9b1ed8ff7

COMMENT ON FUNCTION smf.uc_figures(p_uc_code text, p_month text) IS '(month as text: ''YYYY-MM'' or a date) The figures of UC p_uc_code for local month p_month as readers get them: the stored row when fresh (fresh true, computed_at its stamp), else computed now (fresh false, computed_at now). Columns as smf.uc_month_figures (kWh, %, R$, kW). SMF04 for an unknown UC or a month without figures. Row-level security applies (security invoker).';

CREATE FUNCTION smf.uc_figures_compute(p_uc integer, p_month date, OUT energy_kwh numeric, OUT completeness_pct numeric, OUT musd_verdict text, OUT billing jsonb, OUT demand jsonb, OUT ufer_dmcr jsonb, OUT musd jsonb) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 19 lines, sha256 94f2d9fd98a27acf

COMMENT ON FUNCTION smf.uc_figures_compute(p_uc integer, p_month date, OUT energy_kwh numeric, OUT completeness_pct numeric, OUT musd_verdict text, OUT billing jsonb, OUT demand jsonb, OUT ufer_dmcr jsonb, OUT musd jsonb) IS 'The figures of UC p_uc in local month p_month, computed now from the rules: energy (kWh, total of the billing summary''s energy rows), completeness (%), MUSD verdict, and as JSON arrays of objects the rows of smf.billing_summary_of (R$), of smf.measured_demand (kW), of smf.ufer_dmcr_of (kWh, kW) and the row of smf.musd_check_of. SMF04 (smf.require_cycle) for a month without readings or without a posto schedule.';

CREATE FUNCTION smf.uc_figures_compute(p_uc integer, p_month text, OUT energy_kwh numeric, OUT completeness_pct numeric, OUT musd_verdict text, OUT billing jsonb, OUT demand jsonb, OUT ufer_dmcr jsonb, OUT musd jsonb) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 2036f2e735d717a4

COMMENT ON FUNCTION smf.uc_figures_compute(p_uc integer, p_month text, OUT energy_kwh numeric, OUT completeness_pct numeric, OUT musd_verdict text, OUT billing jsonb, OUT demand jsonb, OUT ufer_dmcr jsonb, OUT musd jsonb) IS '(month as text: ''YYYY-MM'' or a date) The figures of UC p_uc in local month p_month, computed now from the rules: energy (kWh, total of the billing summary''s energy rows), completeness (%), MUSD verdict, and as JSON arrays of objects the rows of smf.billing_summary_of (R$), of smf.measured_demand (kW), of smf.ufer_dmcr_of (kWh, kW) and the row of smf.musd_check_of. SMF04 (smf.require_cycle) for a month without readings or without a posto schedule.';

CREATE FUNCTION smf.uc_figures_invalidate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 25 lines, sha256 04e769ad37e74a70

COMMENT ON FUNCTION smf.uc_figures_invalidate() IS 'Trigger; marks stale the stored figures a change of registration or of a rule''s data can alter: consumer_unit and transformer_loss rows (that UC), meter rows (the UCs it is the main meter of), tariff and posto_schedule rows (the UCs of the distributor), and any change of holidays, calendars, rule parameters or the local time zone (every row). Security definer: a role that may change a UC (smf_api) marks its figures stale without any grant on smf.uc_month_figures, and sees every UC a meter row belongs to (not only its scope''s).';

CREATE FUNCTION smf.uc_figures_mark_stale(p_meters integer[], p_from_month date[], p_to_month date[]) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 15 lines, sha256 d0b3101ba2abe1c4

COMMENT ON FUNCTION smf.uc_figures_mark_stale(p_meters integer[], p_from_month date[], p_to_month date[]) IS 'Mark stale the figures of every UC whose main meter is in p_meters, for the local months p_from_month .. p_to_month (first days); rows are created when absent, so a month with new data gets its figures at the next refresh. Returns the rows marked.';

CREATE FUNCTION smf.uc_figures_mark_stale_scope() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS -- body: 6 lines, sha256 24da6a79cb6647af

COMMENT ON FUNCTION smf.uc_figures_mark_stale_scope() IS 'uc_figures_mark_stale over the meters and local months of pg_temp.rollup_scope (what smf.rollup_refresh is recomputing). Called by smf.rollup_refresh.';

CREATE FUNCTION smf.uc_figures_refresh(p_uc integer, p_month date) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 21 lines, sha256 09f2147690db337a

COMMENT ON FUNCTION smf.uc_figures_refresh(p_uc integer, p_month date) IS 'Recompute and store the figures of UC p_uc, month p_month (any day of it): true when stored, false when the month has no figures (no readings, no posto schedule: the row is removed). Locks the row first, so a write that marks it stale meanwhile is never lost.';

CREATE FUNCTION smf.uc_figures_refresh(p_uc integer, p_month text) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 dc0df298a7792c8f

COMMENT ON FUNCTION smf.uc_figures_refresh(p_uc integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) Recompute and store the figures of UC p_uc, month p_month (any day of it): true when stored, false when the month has no figures (no readings, no posto schedule: the row is removed). Locks the row first, so a write that marks it stale meanwhile is never lost.';

CREATE FUNCTION smf.uc_figures_refresh_after_write() RETURNS integer
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 bffe02d919f97496

COMMENT ON FUNCTION smf.uc_figures_refresh_after_write() IS 'The ingest''s step (smf.ingest_finish): refresh in the writer''s transaction up to smf.setting ''uc_figures_sync_max'' (50) stale rows; the rest wait for the uc_figures job and are computed live by readers meanwhile.';

CREATE FUNCTION smf.uc_figures_refresh_stale(p_limit integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 14 lines, sha256 4f1e9876ff6d583c

COMMENT ON FUNCTION smf.uc_figures_refresh_stale(p_limit integer) IS 'Refresh up to p_limit stale UC-months (newest months first), skipping rows another transaction holds; the number refreshed (stored or removed).';

CREATE FUNCTION smf.uc_group_add_member(p_group text, p_uc_code text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 13 lines, sha256 a9374f8d582ef131

COMMENT ON FUNCTION smf.uc_group_add_member(p_group text, p_uc_code text) IS 'Put UC p_uc_code in group p_group (created when missing).';

CREATE FUNCTION smf.uc_hour_pieces(p_uc integer, p_month date, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 7 lines, sha256 3658492dc7a6d643

COMMENT ON FUNCTION smf.uc_hour_pieces(p_uc integer, p_month date, p_with_losses boolean) IS 'The hourly evaluation of UC p_uc over local month p_month that demand, UFER/DMCR and billing aggregate (loss-adjusted series when p_with_losses, raw otherwise). One row per local clock hour and posto (a posto boundary inside an hour splits it): minutes covered, P (kWh), Q (kvarh: per 15-minute slot capacitive inside the capacitive window, inductive outside, never netted), S = sqrt(P^2 + Q^2) (kVAh), fT = P / S, and with fR = rule_param(''power_factor_reference'') (0.92): where P < fR.S (fT < fR) UFER = fR.S - P (kWh) and DMCR = fR.S, otherwise UFER = 0 and DMCR = P, DMCR scaled to kW by 60 / minutes; p_zero flags P = 0 with Q > 0 (UFER = fR.Q by the same formula). Also the largest 15-minute demand (kW) and when, and intervals present / expected. Pieces without data have null energies and results (p_zero false). P and Q are the sums over the piece''s 15-minute slots of Wh / 1000.0 (x (1 + loss factor)); computed by smf.hour_pieces_set.';

CREATE FUNCTION smf.uc_hour_pieces(p_uc integer, p_month text, p_with_losses boolean) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, demand_posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean, max_demand_kw numeric, max_demand_at timestamp with time zone, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 b621cbe9415e4968

COMMENT ON FUNCTION smf.uc_hour_pieces(p_uc integer, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) The hourly evaluation of UC p_uc over local month p_month that demand, UFER/DMCR and billing aggregate (loss-adjusted series when p_with_losses, raw otherwise). One row per local clock hour and posto (a posto boundary inside an hour splits it): minutes covered, P (kWh), Q (kvarh: per 15-minute slot capacitive inside the capacitive window, inductive outside, never netted), S = sqrt(P^2 + Q^2) (kVAh), fT = P / S, and with fR = rule_param(''power_factor_reference'') (0.92): where P < fR.S (fT < fR) UFER = fR.S - P (kWh) and DMCR = fR.S, otherwise UFER = 0 and DMCR = P, DMCR scaled to kW by 60 / minutes; p_zero flags P = 0 with Q > 0 (UFER = fR.Q by the same formula). Also the largest 15-minute demand (kW) and when, and intervals present / expected. Pieces without data have null energies and results (p_zero false). P and Q are the sums over the piece''s 15-minute slots of Wh / 1000.0 (x (1 + loss factor)); computed by smf.hour_pieces_set.';

CREATE FUNCTION smf.uc_hourly_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 9 lines, sha256 ad2fb8a0f0e21370

COMMENT ON FUNCTION smf.uc_hourly_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Hourly series (UTC hour start, local hour) of UC p_uc_code over [p_from, p_to): active (kWh), inductive and capacitive reactive (kvarh), raw and loss-adjusted, and how many intervals were present of those expected.';

CREATE FUNCTION smf.uc_id(p_uc_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 15 lines, sha256 d9f412ad68f085f2

COMMENT ON FUNCTION smf.uc_id(p_uc_code text) IS 'The id of the consumer unit with code p_uc_code; raises SMF04 for an unknown code and SMF02 for a malformed one.';

CREATE FUNCTION smf.uc_interval_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, quality smf.quality, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 13 lines, sha256 a8a2dbcd984e6b5a

COMMENT ON FUNCTION smf.uc_interval_energy(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The main meter''s interval series of UC p_uc_code over [p_from, p_to) as stored (5 or 15 minutes): active (kWh), inductive and capacitive reactive (kvarh), raw and loss-adjusted, with the loss factor and the quality of each interval.';

CREATE FUNCTION smf.uc_loss_set(p_uc_code text, p_factor numeric, p_from date, p_to date DEFAULT NULL::date) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 44 lines, sha256 af1fcd272af4d0c5

COMMENT ON FUNCTION smf.uc_loss_set(p_uc_code text, p_factor numeric, p_from date, p_to date) IS 'Sets UC p_uc_code''s transformer-loss factor (fraction, e.g. 0.025) for local days from p_from on (until p_to, exclusive, when given). A period still open at p_from is closed the day before; a period that starts inside [p_from, p_to) is replaced. p_factor null: no loss factor from p_from (the default of smf.transformer_loss_default no longer applies either). Returns the number of periods written (0 or 1).';

CREATE FUNCTION smf.uc_main_meter(p_uc_code text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 b6f233a03268e5d2

COMMENT ON FUNCTION smf.uc_main_meter(p_uc_code text) IS 'The main meter id of UC p_uc_code; SMF04 when the UC is unknown or has none.';

CREATE FUNCTION smf.uc_meter_ref(p_serial text, p_field text) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 a62437a9f2b16ecd

COMMENT ON FUNCTION smf.uc_meter_ref(p_serial text, p_field text) IS 'The id of the meter with serial p_serial for UC field p_field (main or backup meter); null for a null serial; SMF04 naming the field for an unknown or retired meter.';

CREATE FUNCTION smf.uc_quarter_hours(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric, p_kwh_raw numeric, q_ind_kvarh_raw numeric, q_cap_kvarh_raw numeric, p_kwh numeric, q_ind_kvarh numeric, q_cap_kvarh numeric, n_present integer, n_expected integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 17 lines, sha256 a01d8103a632db30

COMMENT ON FUNCTION smf.uc_quarter_hours(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The labelled 15-minute grid of UC p_uc over [p_from, p_to) joined to the main meter''s 15-minute rollups (smf.rollups_15min, any tier): raw and loss-adjusted active (kWh), inductive and capacitive reactive (kvarh); n_present = intervals with a value, n_expected = intervals the grid slot should hold. Missing slots have null energies. Internal building block of the rules below.';

CREATE FUNCTION smf.uc_quarter_labels(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, local_ts timestamp without time zone, hour_ts timestamp with time zone, posto text, demand_posto text, reactive_window text, reservado boolean, loss_factor numeric)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 45 lines, sha256 96aa9daf682098a4

COMMENT ON FUNCTION smf.uc_quarter_labels(p_uc integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Every 15-minute slot of [p_from, p_to) for UC p_uc: UTC start, local start, UTC hour, posto (ponta / fora_ponta / intermediario; null without a schedule), demand posto (ponta / fora_ponta for azul, unica otherwise), reactive window (inductive / capacitive), reservado flag and the transformer-loss factor (fraction, 0 when none) valid on the local day.';

CREATE FUNCTION smf.uc_reactive_hourly(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(hour timestamp with time zone, p_kwh numeric, q_kvarh numeric, power_factor numeric, ufer_kwh numeric)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 16 lines, sha256 e684d5034aa5e348

COMMENT ON FUNCTION smf.uc_reactive_hourly(p_uc_code text, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Per local clock hour of UC p_uc_code over [p_from, p_to): active P (kWh), reactive Q of the kind that counts (kvarh, capacitive in the distributor''s window, inductive outside), power factor fT = P / sqrt(P^2 + Q^2) and excess reactive UFER (kWh) as the billing rules compute them (smf.uc_hour_pieces, loss-adjusted), hour pieces of one hour summed.';

CREATE FUNCTION smf.uc_register(p_code text, p_distributor_aneel text, p_customer text, p_submarket text, p_tariff_group text, p_modality text, p_supply_voltage_kv numeric, p_ponta_kw numeric DEFAULT NULL::numeric, p_fora_ponta_kw numeric DEFAULT NULL::numeric, p_musd_kw numeric DEFAULT NULL::numeric, p_main_meter text DEFAULT NULL::text, p_backup_meter text DEFAULT NULL::text, p_loss_factor numeric DEFAULT NULL::numeric, p_loss_from date DEFAULT NULL::date) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 53 lines, sha256 9bcc965e02c9e25e

COMMENT ON FUNCTION smf.uc_register(p_code text, p_distributor_aneel text, p_customer text, p_submarket text, p_tariff_group text, p_modality text, p_supply_voltage_kv numeric, p_ponta_kw numeric, p_fora_ponta_kw numeric, p_musd_kw numeric, p_main_meter text, p_backup_meter text, p_loss_factor numeric, p_loss_from date) IS 'Registers a consumer unit and returns its 15-digit code (check digits computed when the code is given without them). Demands and MUSD in kW, supply voltage in kV, the loss factor a fraction valid from p_loss_from (default: the first day of the current local month). Every field is checked first (SMF02/SMF04 naming it); nothing is written on any error.';

CREATE FUNCTION smf.uc_retire(p_uc_code text) RETURNS timestamp with time zone
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 dfafa25bff6c71e6

COMMENT ON FUNCTION smf.uc_retire(p_uc_code text) IS 'Marks UC p_uc_code retired (kept with its data and history; no longer billed or sent to CCEE from its retirement on). Returns the retirement time (timestamptz, UTC); a second call keeps the first time.';

CREATE FUNCTION smf.uc_update(p_uc_code text, p_changes jsonb) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 64 lines, sha256 37d78e0d711f69d2

COMMENT ON FUNCTION smf.uc_update(p_uc_code text, p_changes jsonb) IS 'Changes the fields of UC p_uc_code named in p_changes (jsonb; keys customer, submarket, tariff_group, modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw, musd_kw (kW), supply_voltage_kv (kV), main_meter, backup_meter (serials; JSON null clears the backup meter or a demand)); an unknown key is refused. Returns the UC code.';

CREATE FUNCTION smf.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 3 lines, sha256 2fe323df92b44045

COMMENT ON FUNCTION smf.ufer_dmcr(p_uc_code text, p_month date, p_with_losses boolean) IS 'ufer_dmcr_of for UC p_uc_code after checking the cycle (SMF04 for an unknown UC, a month with no readings or no posto schedule).';

CREATE FUNCTION smf.ufer_dmcr(p_uc_code text, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 c78784fb1d744dd8

COMMENT ON FUNCTION smf.ufer_dmcr(p_uc_code text, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) ufer_dmcr_of for UC p_uc_code after checking the cycle (SMF04 for an unknown UC, a month with no readings or no posto schedule).';

CREATE FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 6 lines, sha256 9339664da92dfc57

COMMENT ON FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month date, p_with_losses boolean) IS 'The hourly evaluation of UC p_uc_code in month p_month (hours with data), rounded (kWh, kvarh, kVAh, kW to 3 decimals, fT to 4). SMF04 for an unknown UC or a month without data.';

CREATE FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(hour timestamp with time zone, local_hour timestamp without time zone, posto text, reactive_window text, minutes integer, p_kwh numeric, q_kvarh numeric, s_kvah numeric, power_factor numeric, ufer_kwh numeric, dmcr_kw numeric, p_zero boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 a13802191d0e6688

COMMENT ON FUNCTION smf.ufer_dmcr_hourly(p_uc_code text, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) The hourly evaluation of UC p_uc_code in month p_month (hours with data), rounded (kWh, kvarh, kVAh, kW to 3 decimals, fT to 4). SMF04 for an unknown UC or a month without data.';

CREATE FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 5 lines, sha256 1693d4da492dbf2a

COMMENT ON FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month date, p_with_losses boolean) IS 'Per posto of UC p_uc in month p_month: UFER (kWh, sum), DMCR (kW, max) and its hour, contracted demand (kW) and DMCR excess over the billable demand (kW), rounded to 2 decimals; hours with data and hours flagged P = 0 & Q > 0. Azul: the ponta and fora_ponta rows carry contracted demand and excess; other modalities add a row ''unica'' (UFER null) for their single demand. No checks.';

CREATE FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 c074a7d764306295

COMMENT ON FUNCTION smf.ufer_dmcr_of(p_uc integer, p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) Per posto of UC p_uc in month p_month: UFER (kWh, sum), DMCR (kW, max) and its hour, contracted demand (kW) and DMCR excess over the billable demand (kW), rounded to 2 decimals; hours with data and hours flagged P = 0 & Q > 0. Azul: the ponta and fora_ponta rows carry contracted demand and excess; other modalities add a row ''unica'' (UFER null) for their single demand. No checks.';

CREATE FUNCTION smf.ufer_dmcr_set(p_ucs integer[], p_month date, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_id integer, posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 13 lines, sha256 552b5a81ad037565

COMMENT ON FUNCTION smf.ufer_dmcr_set(p_ucs integer[], p_month date, p_with_losses boolean) IS 'ufer_dmcr_of for every UC of p_ucs at once (uc_id first), from one smf.cycle_evaluation_set. No checks; no order.';

CREATE FUNCTION smf.ufer_dmcr_set(p_ucs integer[], p_month text, p_with_losses boolean DEFAULT true) RETURNS TABLE(uc_id integer, posto text, ufer_kwh numeric, dmcr_kw numeric, dmcr_at timestamp with time zone, contracted_kw numeric, dmcr_excess_kw numeric, hours integer, p_zero_hours integer)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 42dbf9af5e192559

COMMENT ON FUNCTION smf.ufer_dmcr_set(p_ucs integer[], p_month text, p_with_losses boolean) IS '(month as text: ''YYYY-MM'' or a date) ufer_dmcr_of for every UC of p_ucs at once (uc_id first), from one smf.cycle_evaluation_set. No checks; no order.';

CREATE FUNCTION smf.vee_channel_column(p_channel text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 17 lines, sha256 e8eba64137e9c21d

COMMENT ON FUNCTION smf.vee_channel_column(p_channel text) IS 'The stored column of a channel name (''active_fwd'', ''active_fwd_kwh'', ''active_fwd_wh'', ''voltage_a'', ''voltage_a_v'' ...); SMF02 for anything else.';

CREATE FUNCTION smf.vee_day_start(p_day date) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 4ccb38323e26ae2c

COMMENT ON FUNCTION smf.vee_day_start(p_day date) IS 'The instant local day p_day begins.';

CREATE FUNCTION smf.vee_day_type(p_day date) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 9 lines, sha256 985d0cd187c25232

COMMENT ON FUNCTION smf.vee_day_type(p_day date) IS '''business'', ''saturday'' or ''sunday_holiday'' (Sunday or a holiday of the ccee calendar) of local day p_day; a day no calendar covers counts by its weekday only.';

CREATE FUNCTION smf.vee_edit(p_serial text, p_from timestamp with time zone, p_to timestamp with time zone, p_channel text, p_operation text, p_value numeric, p_source_serial text, p_reason text, p_operator text DEFAULT CURRENT_USER) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS -- body: 112 lines, sha256 ac63524d05663e03

COMMENT ON FUNCTION smf.vee_edit(p_serial text, p_from timestamp with time zone, p_to timestamp with time zone, p_channel text, p_operation text, p_value numeric, p_source_serial text, p_reason text, p_operator text) IS 'Apply a manual edit to channel p_channel of meter p_serial over [p_from, p_to): p_operation ''set'' (p_value in kWh/kvarh/V/A per interval), ''scale'' (by p_value >= 0) or ''copy_from'' (the same channel of meter p_source_serial). Returns {"edit_id", "batch_id", "intervals"}.';

CREATE FUNCTION smf.vee_estimate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text DEFAULT CURRENT_USER) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 229 lines, sha256 44d062d6ef9f3062

COMMENT ON FUNCTION smf.vee_estimate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text) IS 'Estimate the gaps of meter p_meter in [p_from, p_to) (UTC), as p_operator. Returns {"run_id", "batch_id", "filled": {method: n}, "left_missing": n}; run_id is null when nothing could be filled (a re-run changes nothing).';

CREATE FUNCTION smf.vee_estimate_daily(p_day date, p_operator text DEFAULT CURRENT_USER) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 53 lines, sha256 aa5ae79ec9a719c0

COMMENT ON FUNCTION smf.vee_estimate_daily(p_day date, p_operator text) IS 'The daily job''s estimation of local day p_day: smf.vee_estimate for every enabled meter that is no UC''s backup, except a meter silent too long: when neither it nor its UC''s backup meter measured one interval in the auto_estimate_max_silent_days days before the day''s end, the day is left missing (nothing fabricated for the CCEE submission) and an ''estimation'' finding (error) asks for a visit or a hand estimate; `smf vee estimate` is not bound by this. Returns (meter_id, serial, result) as vee_estimate_scope; a skipped meter''s result is {"run_id": null, "filled": {}, "left_missing": n, "skipped": "silent", "last_measured"}.';

CREATE FUNCTION smf.vee_estimate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text DEFAULT CURRENT_USER) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 8 lines, sha256 e69998489f4cfaae

COMMENT ON FUNCTION smf.vee_estimate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone, p_operator text) IS 'smf.vee_estimate for every meter of a scope (smf.vee_scope_meters) over [p_from, p_to), main meters only when a UC names both (the backup is the input, not the target).';

CREATE FUNCTION smf.vee_explain(p_meter integer, p_ts timestamp with time zone) RETURNS TABLE(meter_id integer, ts timestamp with time zone, active_fwd_kwh numeric, quality smf.quality, source smf.reading_source, batch_id integer, batch_origin text, written_by text, written_at timestamp with time zone, method text, inputs jsonb, parameters jsonb, edit_reason text, history_versions bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 15 lines, sha256 0de0b1f064c5e304

COMMENT ON FUNCTION smf.vee_explain(p_meter integer, p_ts timestamp with time zone) IS 'Why the stored value of meter p_meter at interval start p_ts is what it is: the row (kWh), its quality and source, the batch that wrote it (origin, operator, time), the estimation method, inputs and parameters or the manual edit''s reason, and how many versions history holds.';

CREATE FUNCTION smf.vee_finding_set_status(p_id bigint, p_status text, p_who text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 15 lines, sha256 eb2e59e879e41b85

COMMENT ON FUNCTION smf.vee_finding_set_status(p_id bigint, p_status text, p_who text) IS 'Accept or resolve (or re-open) finding p_id, by p_who; SMF04 unknown id.';

CREATE FUNCTION smf.vee_fmt_local(p_ts timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 6618e5eb9a84b57c

COMMENT ON FUNCTION smf.vee_fmt_local(p_ts timestamp with time zone) IS 'An instant as local ''YYYY-MM-DD HH24:MI'' for finding details.';

CREATE FUNCTION smf.vee_grid_down(p_ts timestamp with time zone, p_step interval) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 57003d16e56aa6e4

COMMENT ON FUNCTION smf.vee_grid_down(p_ts timestamp with time zone, p_step interval) IS 'p_ts rounded down to the grid of p_step.';

CREATE FUNCTION smf.vee_grid_up(p_ts timestamp with time zone, p_step interval) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 ede21779f6dbec09

COMMENT ON FUNCTION smf.vee_grid_up(p_ts timestamp with time zone, p_step interval) IS 'p_ts rounded up to the grid of p_step (multiples of the step since the epoch).';

CREATE FUNCTION smf.vee_kwh(p_wh numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 480463de65c9fcc8

COMMENT ON FUNCTION smf.vee_kwh(p_wh numeric) IS 'p_wh (Wh, varh, mV, mA) in kWh (kvarh, V, A), rounded to 3 decimals, for details.';

CREATE FUNCTION smf.vee_local_day(p_ts timestamp with time zone) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 3 lines, sha256 5abb67eb414bef67

COMMENT ON FUNCTION smf.vee_local_day(p_ts timestamp with time zone) IS 'The local day (SMF time zone) of instant p_ts.';

CREATE FUNCTION smf.vee_nominal_candidates() RETURNS numeric[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 3 lines, sha256 5db253937adc0dc6

COMMENT ON FUNCTION smf.vee_nominal_candidates() IS 'The standard nominal phase voltages (V) detection chooses from.';

CREATE FUNCTION smf.vee_nominal_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, OUT nominal_v numeric, OUT how text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 30 lines, sha256 b006f211fb69fcdd

COMMENT ON FUNCTION smf.vee_nominal_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, OUT nominal_v numeric, OUT how text) IS '(nominal V, how) of meter p_meter over [p_from, p_to): how is ''configured'', ''detected from mean X V'' or ''detected from mean X V, ambiguous with Y V: smf meter set SERIAL --nominal-voltage''; null nominal when no voltage is stored.';

CREATE FUNCTION smf.vee_param(p_key text, p_meter integer, p_day date DEFAULT CURRENT_DATE) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 23 lines, sha256 37256d2ff3d9581c

COMMENT ON FUNCTION smf.vee_param(p_key text, p_meter integer, p_day date) IS 'Value of VEE parameter p_key for meter p_meter on local day p_day: the meter''s own row, else its UC''s distributor''s row, else the default row; SMF04 when none is valid.';

CREATE FUNCTION smf.vee_record_error(p_job text, p_holder text, p_error text, p_counts jsonb) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 5 lines, sha256 644c62a884bbd16f

COMMENT ON FUNCTION smf.vee_record_error(p_job text, p_holder text, p_error text, p_counts jsonb) IS 'One finished smf.job_run row of job p_job (outcome error, p_error, counts p_counts) by p_holder: how a failure seen inside a writer''s transaction (an ingest) becomes visible where operators look for failed jobs. SECURITY DEFINER: the writer need not hold insert on smf.job_run. Returns its id.';

CREATE FUNCTION smf.vee_register_pairs(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(read_from timestamp with time zone, read_to timestamp with time zone, lo timestamp with time zone, hi timestamp with time zone, raw_delta bigint, wh_sum bigint, n_rows integer, n_expected integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 24 lines, sha256 29750fe336cbd2cd

COMMENT ON FUNCTION smf.vee_register_pairs(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Successive ''current'' reads (channel 1) of meter p_meter with the later read in [p_from, p_to]: the intervals [lo, hi) between them (read times rounded down to the grid), the raw register delta, the sum (Wh) and count of stored non-missing intervals, and how many the span should hold.';

CREATE FUNCTION smf.vee_register_scale(p_meter integer, p_to timestamp with time zone, OUT wh_per_unit numeric, OUT how text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 16 lines, sha256 0c51d0e4594138a6

COMMENT ON FUNCTION smf.vee_register_scale(p_meter integer, p_to timestamp with time zone, OUT wh_per_unit numeric, OUT how text) IS '(Wh per raw register unit, ''configured'' | ''detected'') of meter p_meter as of p_to; null scale when nothing is configured and no complete read pair exists.';

CREATE FUNCTION smf.vee_rule_backup(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 60 lines, sha256 de7e8a8a5690c263

COMMENT ON FUNCTION smf.vee_rule_backup(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Findings backup_interval (runs), backup_hour, backup_day for main meter p_meter.';

CREATE FUNCTION smf.vee_rule_clock(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, subject text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 14 lines, sha256 c5cd35d280a7b08b

COMMENT ON FUNCTION smf.vee_rule_clock(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Clock corrections and large drifts logged by the poller, and rows of the meter quarantined by the ingest as off the interval grid (one finding per local day).';

CREATE FUNCTION smf.vee_rule_demand(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 23 lines, sha256 fcf70a57a41d6664

COMMENT ON FUNCTION smf.vee_rule_demand(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'A 15-minute demand (kW, from smf.rollups_15min) above demand_sanity_factor x the largest contracted demand of the UC the meter serves, or x the meter''s max_power_kw when it serves no UC with a contracted demand. One finding per 15-minute bucket.';

CREATE FUNCTION smf.vee_rule_meter_status(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, subject text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 22 lines, sha256 07c55f88b3e81390

COMMENT ON FUNCTION smf.vee_rule_meter_status(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Outages of at least outage_min_minutes overlapping the range (an open outage ends at p_to), serial changes, plausibility contradictions and battery conditions.';

CREATE FUNCTION smf.vee_rule_missing(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean DEFAULT false) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 35 lines, sha256 d64b94cc853890cb

COMMENT ON FUNCTION smf.vee_rule_missing(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean) IS 'Runs of intervals with no stored row (or quality ''missing'') in [p_from, p_to), never later than the last complete interval before now(); with p_upto_last, not later than the meter''s newest stored interval either (data not read yet is not missing). Severity error from missing_long_run intervals on.';

CREATE FUNCTION smf.vee_rule_names() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 8d797d4baacecb3f

COMMENT ON FUNCTION smf.vee_rule_names() IS 'The finding rules smf.vee_validate reports (and resolves), validation_error included.';

CREATE FUNCTION smf.vee_rule_register(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, subject text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 31 lines, sha256 c9c78225fe9efc7d

COMMENT ON FUNCTION smf.vee_rule_register(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'A complete read pair whose scaled register delta differs from the interval sum by more than register_tolerance (relative to the larger), or a register that went backwards. Subject: the read pair (two pairs can round to one grid span).';

CREATE FUNCTION smf.vee_rule_reverse_flow(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 29 lines, sha256 7ec9d81710cb00d7

COMMENT ON FUNCTION smf.vee_rule_reverse_flow(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Runs of intervals with reverse active energy >= reverse_min_wh on a meter (main or backup) of a UC without generation; meters that serve no UC are not judged.';

CREATE FUNCTION smf.vee_rule_spike(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 32 lines, sha256 6a7d42074cb5df5a

COMMENT ON FUNCTION smf.vee_rule_spike(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'An interval whose active energy (forward) exceeds spike_factor x the third-highest value of its local day (when that is at least spike_floor_wh), or the meter''s physical maximum (max_power_kw x interval length). One finding per interval.';

CREATE FUNCTION smf.vee_rule_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, subject text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 69 lines, sha256 174839333e42ffce

COMMENT ON FUNCTION smf.vee_rule_voltage(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Runs (per phase: the finding''s subject) of voltages outside [voltage_low, voltage_high] x nominal, not counting a phase below phase_loss_pu (that is phase_loss); and runs of phase loss: a phase below phase_loss_pu x nominal while another phase is inside the band.';

CREATE FUNCTION smf.vee_rule_zero_run(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(rule text, ts_from timestamp with time zone, ts_to timestamp with time zone, severity text, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 31 lines, sha256 4157b509469aa08b

COMMENT ON FUNCTION smf.vee_rule_zero_run(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'Runs of at least zero_run_intervals measured intervals with zero active energy, when at least zero_normal_share of the meter''s other intervals (this range, widened back to 7 days when shorter) are non-zero: a UC that normally consumes.';

CREATE FUNCTION smf.vee_rules() RETURNS TABLE(fn text, emits text[])
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS -- body: 10 lines, sha256 18bcced15a125059

COMMENT ON FUNCTION smf.vee_rules() IS 'The rule functions smf.vee_validate applies, in this order, and the finding rules each of them reports.';

CREATE FUNCTION smf.vee_scope_meters(p_kind text, p_ref text) RETURNS SETOF integer
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 010d50d7d5a23eb6

COMMENT ON FUNCTION smf.vee_scope_meters(p_kind text, p_ref text) IS 'The meters of a scope: ''meter'' (serial), ''uc'' (UC code: main and backup meters) or ''distributor'' (ANEEL code: the meters of its UCs); SMF04 when it names nothing.';

CREATE FUNCTION smf.vee_set_nominal_voltage(p_serial text, p_volts numeric, p_from date DEFAULT NULL::date) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 25 lines, sha256 fe1c511d3f72b783

COMMENT ON FUNCTION smf.vee_set_nominal_voltage(p_serial text, p_volts numeric, p_from date) IS 'Meter p_serial''s own voltage_nominal_v parameter (V phase to neutral; 0 = detect from the data) from local day p_from (null: all its data) on: rows of the meter that start later are replaced, one that covers p_from ends there. SMF04 unknown meter, SMF02 a value outside 20-1000 V. Returns {"serial", "volts", "valid_from", "standard"} (standard: whether it is one of smf.vee_nominal_candidates()).';

CREATE FUNCTION smf.vee_step(p_meter integer) RETURNS interval
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 11 lines, sha256 74fac21316f70eaf

COMMENT ON FUNCTION smf.vee_step(p_meter integer) IS 'The interval length of meter p_meter (interval); SMF04 for an unknown meter.';

CREATE FUNCTION smf.vee_uc_bill_total(p_uc integer, p_month date) RETURNS numeric
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 d0e2e2666fd34c40

COMMENT ON FUNCTION smf.vee_uc_bill_total(p_uc integer, p_month date) IS 'The ''total'' amount (R$) of smf.billing_summary_of for UC p_uc and month, null when the UC cannot be billed (no tariffs, no data, no cycle parameters).';

CREATE FUNCTION smf.vee_uc_bill_total(p_uc integer, p_month text) RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 1 lines, sha256 f3254e4d6d390028

COMMENT ON FUNCTION smf.vee_uc_bill_total(p_uc integer, p_month text) IS '(month as text: ''YYYY-MM'' or a date) The ''total'' amount (R$) of smf.billing_summary_of for UC p_uc and month, null when the UC cannot be billed (no tariffs, no data, no cycle parameters).';

CREATE FUNCTION smf.vee_validate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean DEFAULT false) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 82 lines, sha256 6ea6a37111ce001e

COMMENT ON FUNCTION smf.vee_validate(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone, p_upto_last boolean) IS 'Run every rule on meter p_meter over [p_from, p_to) (UTC); upsert findings (a re-run rewrites a finding only when its detail or severity changed, setting last_seen_at, or to re-open one it had resolved itself; accepted ones stay accepted) and resolve open findings of the rules inside the range that no rule reports any more. Two rows a rule (or two rules) report with one identity (rule, subject, range) become one finding: the worst severity, the distinct details joined by ''; ''; so the upsert never meets a row twice. A rule that raises: its previous findings in the range stay as they are, a validation_error finding (severity error, subject the rule function, the range) names it and its SQLSTATE; a later run where it succeeds resolves that finding when its range lies inside the run''s range. p_upto_last: gaps after the meter''s newest interval are not reported (used after an ingest). Returns {"found": n, "new": n, "resolved": n}, plus "errors": [{"rule", "sqlstate", "message"}] when a rule raised.';

CREATE FUNCTION smf.vee_validate_backfill(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 18 lines, sha256 1314606840a81859

COMMENT ON FUNCTION smf.vee_validate_backfill(p_meter integer, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The rules over meter p_meter''s [p_from, p_to) (UTC; a back-fill passes whole local days of one local month: the hull of what its files loaded in that month), with gaps after the meter''s newest interval not reported, as after an ingest; what `smf import --backfill` runs once per meter-month after the load. A rule that raises leaves a validation_error finding (smf.vee_validate) and one smf.job_run error row (job vee_validate) naming it. Returns smf.vee_validate''s result.';

CREATE FUNCTION smf.vee_validate_batch(p_batch integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS -- body: 36 lines, sha256 0abd9ec2b4485ac5

COMMENT ON FUNCTION smf.vee_validate_batch(p_batch integer) IS 'Run the rules on the local days touched by the ingest batch just finished in this transaction (pg_temp.ingest_touched of smf.ingest_finish), when the setting vee_validate_on_ingest is ''on'' and the session is not a back-fill (`smf import --backfill` sets smf.vee_on_ingest = ''off'' for its transaction and validates each meter-month it touched once, after the load: smf.vee_validate_backfill). A rule that raised leaves its validation_error findings and one smf.job_run row (job ''vee_validate'', outcome error) naming each rule, its SQLSTATE and how many meter-ranges it failed on. Returns the number of meter-ranges validated.';

CREATE FUNCTION smf.vee_validate_batch_failed(p_batch integer, p_sqlstate text, p_message text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_temp', 'pg_catalog'
    AS -- body: 26 lines, sha256 c8933fa89b8bc78d

COMMENT ON FUNCTION smf.vee_validate_batch_failed(p_batch integer, p_sqlstate text, p_message text) IS 'The validation of ingest batch p_batch raised outside any one rule (SQLSTATE p_sqlstate, p_message) and was rolled back to its savepoint by db/ingest.py: every meter-range the batch touched (pg_temp.ingest_touched) gets a validation_error finding (subject ''vee_validate_batch''), and smf.job_run an error row. The batch''s readings stay. Returns the number of meter-ranges.';

CREATE FUNCTION smf.vee_validate_retry(p_meter integer DEFAULT NULL::integer) RETURNS TABLE(meter_id integer, serial text, ts_from timestamp with time zone, ts_to timestamp with time zone, result jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 19 lines, sha256 811229c91b2895a7

COMMENT ON FUNCTION smf.vee_validate_retry(p_meter integer) IS 'smf.vee_validate again over the range of every open validation_error finding (of meter p_meter, or of every meter when null): what the daily VEE job does for ranges whose rules raised. A rule that now succeeds resolves its validation_error. One row per range with the result.';

CREATE FUNCTION smf.vee_validate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(meter_id integer, serial text, result jsonb)
    LANGUAGE sql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 88d97a658c18f177

COMMENT ON FUNCTION smf.vee_validate_scope(p_kind text, p_ref text, p_from timestamp with time zone, p_to timestamp with time zone) IS 'smf.vee_validate for every meter of a scope (see vee_scope_meters) over [p_from, p_to); one row per meter with its counts.';

CREATE FUNCTION smf.virtual_define(p_name text, p_formula text, p_tree jsonb, p_from date, p_to date DEFAULT NULL::date, p_channel text DEFAULT 'active_fwd'::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 28 lines, sha256 4342fd2badb046a6

COMMENT ON FUNCTION smf.virtual_define(p_name text, p_formula text, p_tree jsonb, p_from date, p_to date, p_channel text) IS 'Store virtual meter p_name (formula text and its parsed tree) valid on local days [p_from, p_to) (p_to null = open); refuses unknown meters, circular definitions, inputs of different interval lengths and overlapping versions. Returns the id.';

CREATE FUNCTION smf.virtual_expand(p_tree jsonb, p_day date, p_path text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 41 lines, sha256 51f814ab2dfe55df

COMMENT ON FUNCTION smf.virtual_expand(p_tree jsonb, p_day date, p_path text[]) IS 'p_tree with meters resolved to {"meter_id", "column", "minutes"} and virtual meters expanded as valid on p_day; p_path: the virtual meters being expanded (cycle check). SMF04 for an unknown meter, SMF02 for a circular definition or a bad node.';

CREATE FUNCTION smf.virtual_inputs(p_expanded jsonb) RETURNS TABLE(k integer, meter_id integer, col text, minutes integer)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 6 lines, sha256 620aa012991f7cff

COMMENT ON FUNCTION smf.virtual_inputs(p_expanded jsonb) IS 'The distinct (meter_id, column, minutes) leaves of an expanded tree, in order.';

CREATE FUNCTION smf.virtual_rollup(p_name text, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text DEFAULT 'hour'::text) RETURNS TABLE(bucket_start timestamp with time zone, value_kwh numeric, quality smf.quality, n_intervals integer, n_missing integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    AS -- body: 20 lines, sha256 87e274e151f59eb5

COMMENT ON FUNCTION smf.virtual_rollup(p_name text, p_from timestamp with time zone, p_to timestamp with time zone, p_resolution text) IS 'The series of virtual meter p_name summed per p_resolution (''interval'', ''15min'', ''hour'': UTC buckets; ''day'', ''month'': local), with the worst quality, the number of intervals and of missing ones. bucket_start is the bucket''s first instant.';

CREATE FUNCTION smf.virtual_series(p_name text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(ts timestamp with time zone, value_kwh numeric, quality smf.quality)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 36 lines, sha256 034f7ee507263a4a

COMMENT ON FUNCTION smf.virtual_series(p_name text, p_from timestamp with time zone, p_to timestamp with time zone) IS 'The intervals of virtual meter p_name in [p_from, p_to) (UTC starts): value in kWh (null = missing) and quality (worst of the inputs; missing when the value is null).';

CREATE FUNCTION smf.virtual_sql(p_expanded jsonb, p_inputs jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 20 lines, sha256 c965532c8fe5fdcd

COMMENT ON FUNCTION smf.virtual_sql(p_expanded jsonb, p_inputs jsonb) IS 'The SQL expression (kWh, numeric) of an expanded tree; input k is read from the join alias r<k> (see virtual_inputs); a / b becomes a / nullif(b, 0).';

CREATE FUNCTION smf.web_home(p_uc_code text) RETURNS TABLE(uc_code text, customer_name text, tariff_group text, modality text, distributor_name text, distributor_aneel_code text, contracted_demand_ponta_kw numeric, contracted_demand_fora_ponta_kw numeric, meter_id integer, meter_serial text, meter_manufacturer text, meter_model text, last_ts timestamp with time zone, tz text, month date, bill jsonb, bill_why text, demand_ts timestamp without time zone[], demand_kw numeric[], history_months date[], history_billing jsonb[])
    LANGUAGE plpgsql STABLE
    SET search_path TO 'smf', 'public', 'pg_catalog'
    SET jit TO 'off'
    AS -- body: 64 lines, sha256 826a5c877bf3e582

COMMENT ON FUNCTION smf.web_home(p_uc_code text) IS 'The home page of UC p_uc_code (/web/uc/{uc}), one row, none when the UC is outside the caller''s scope (or unknown). The registration columns as query web_unit (last_ts: start, UTC, of the main meter''s latest interval; tz: smf.local_timezone()); month: the billed local month (first day) = the local month of last_ts, or of now without data; bill: the rows of smf.billing_summary for that month as smf.uc_figures keeps them (jsonb array of objects with its columns: item, posto, quantity, unit, price, amount...; kWh, kW, R$), or null with bill_why the reason (the SMF04/SMF02 message the page showed); demand_ts / demand_kw: smf.uc_demand_curve over the 24 h ending at last_ts + 15 minutes (local slot starts, kW loss-adjusted; null arrays without data); history_months / history_billing: the months of [month - 11, month] in which the main meter has readings (its month rollups) and smf.uc_figures has billing rows, with those rows (null arrays when any month has no figures).';

CREATE FUNCTION smf.web_session_close(p_token_sha256 bytea) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 4 lines, sha256 40184de75c72dcd6

COMMENT ON FUNCTION smf.web_session_close(p_token_sha256 bytea) IS 'End session p_token_sha256 (logout); true when there was one.';

CREATE FUNCTION smf.web_session_open(p_token_sha256 bytea, p_key_id text, p_ttl interval) RETURNS timestamp with time zone
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 21 lines, sha256 14895794b1e78c21

COMMENT ON FUNCTION smf.web_session_open(p_token_sha256 bytea, p_key_id text, p_ttl interval) IS 'Open a session for the live API key p_key_id (the caller has just verified its secret), valid for p_ttl from now; forgets expired sessions on the way. Returns the expiry (timestamptz). SMF04 when the key is not live (unknown, revoked, expired, account disabled); SMF02 for a token hash that is not 32 bytes or a ttl that is not positive.';

CREATE FUNCTION smf.web_session_principal(p_token_sha256 bytea, p_source text) RETURNS TABLE(wait_s integer, account_id integer, account_name text, role text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'smf', 'pg_catalog'
    AS -- body: 10 lines, sha256 6de7d0d400e9376a

COMMENT ON FUNCTION smf.web_session_principal(p_token_sha256 bytea, p_source text) IS 'For a page request from p_source, the seconds it must wait (the failed-login lockout of smf.login_blocked, 0 = go) and, when the session p_token_sha256 is unexpired and its key still live, its account (id, name, role). Always one row; the account columns are null without a valid session.';

CREATE TABLE smf.account (
    id integer NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    db_role text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT account_db_role_check CHECK ((db_role ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT account_name_check CHECK ((name ~ '^[a-z0-9][a-z0-9_.@-]{0,62}$'::text)),
    CONSTRAINT account_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'analyst'::text, 'client'::text, 'service'::text])))
);

COMMENT ON TABLE smf.account IS 'Who calls the API (API keys) or reads with a scoped database role (db_role).';

ALTER TABLE smf.account ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.account_scope (
    account_id integer NOT NULL,
    distributor_id integer,
    group_id integer,
    uc_id integer,
    CONSTRAINT account_scope_check CHECK ((num_nonnulls(distributor_id, group_id, uc_id) = 1))
);

COMMENT ON TABLE smf.account_scope IS 'One distributor, UC group or UC an account may see (analyst, client).';

CREATE TABLE smf.alarm (
    id bigint NOT NULL,
    rule_code character(1) NOT NULL,
    meter_id integer NOT NULL,
    uc_id integer,
    distributor_id integer,
    state text DEFAULT 'open'::text NOT NULL,
    opened_at timestamp with time zone NOT NULL,
    last_at timestamp with time zone NOT NULL,
    occurrences integer DEFAULT 1 NOT NULL,
    value numeric,
    value_text text,
    threshold numeric,
    phase text,
    source text NOT NULL,
    message text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    acknowledged_by text,
    acknowledged_at timestamp with time zone,
    ack_comment text,
    cleared_at timestamp with time zone,
    closed_by text,
    closed_at timestamp with time zone,
    close_comment text,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_check CHECK (((acknowledged_at IS NULL) = (acknowledged_by IS NULL))),
    CONSTRAINT alarm_check1 CHECK (((state <> 'acknowledged'::text) OR (acknowledged_at IS NOT NULL))),
    CONSTRAINT alarm_check2 CHECK (((state <> 'closed'::text) OR (closed_at IS NOT NULL))),
    CONSTRAINT alarm_occurrences_check CHECK ((occurrences >= 1)),
    CONSTRAINT alarm_source_check CHECK ((source = ANY (ARRAY['instantaneous'::text, 'interval'::text, 'poll'::text, 'event'::text, 'status'::text]))),
    CONSTRAINT alarm_state_check CHECK ((state = ANY (ARRAY['open'::text, 'acknowledged'::text, 'cleared'::text, 'closed'::text])))
);

COMMENT ON TABLE smf.alarm IS 'The alarm sheet: one row per episode of a rule on a meter. open -> acknowledged (explicit command only) -> cleared (condition ended) or closed (by command). A repeat while open or acknowledged updates the row. Times are those of the data (UTC).';

CREATE TABLE smf.alarm_rule (
    code character(1) NOT NULL,
    name text NOT NULL,
    quantity text NOT NULL,
    unit text NOT NULL,
    description text NOT NULL,
    CONSTRAINT alarm_rule_code_check CHECK (((code >= 'a'::bpchar) AND (code <= 'm'::bpchar)))
);

COMMENT ON TABLE smf.alarm_rule IS 'Catalogue of the alarm rules a-m of seed 003 §5.9: what each compares and in which unit.';

CREATE TABLE smf.instantaneous_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    "values" jsonb NOT NULL,
    reactive_characteristic text
);

COMMENT ON TABLE smf.instantaneous_reading IS 'Instantaneous values 0x14 at the meter clock (UTC): V, A, W, var, cos phi, frequency, THD ... as read (units of power fields depend on the meter).';

CREATE TABLE smf.meter (
    id integer NOT NULL,
    serial text NOT NULL,
    manufacturer text,
    model text,
    protocol text DEFAULT 'nbr14522'::text NOT NULL,
    interval_minutes smallint DEFAULT 5 NOT NULL,
    channel_map text[] DEFAULT ARRAY['active_fwd_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_cap_fwd_kvarh'::text] NOT NULL,
    channel_constants numeric[],
    utc_offset_minutes smallint DEFAULT '-180'::integer NOT NULL,
    transport text,
    max_power_kw numeric DEFAULT 100000 NOT NULL,
    max_voltage_v numeric DEFAULT 600000 NOT NULL,
    max_current_a numeric DEFAULT 20000 NOT NULL,
    poll_schedule text DEFAULT 'daily'::text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    mm_layout text DEFAULT 'undetermined'::text NOT NULL,
    register_unit text DEFAULT 'undetermined'::text NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT meter_channel_map_check CHECK (((cardinality(channel_map) >= 1) AND (cardinality(channel_map) <= 12))),
    CONSTRAINT meter_channel_map_check1 CHECK ((channel_map <@ ARRAY['active_fwd_kwh'::text, 'active_rev_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_ind_rev_kvarh'::text, 'reactive_cap_fwd_kvarh'::text, 'reactive_cap_rev_kvarh'::text, 'voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text, 'current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text])),
    CONSTRAINT meter_check CHECK (((channel_constants IS NULL) OR (cardinality(channel_constants) = cardinality(channel_map)))),
    CONSTRAINT meter_interval_minutes_check CHECK ((interval_minutes = ANY (ARRAY[5, 15]))),
    CONSTRAINT meter_max_current_a_check CHECK ((max_current_a > (0)::numeric)),
    CONSTRAINT meter_max_power_kw_check CHECK ((max_power_kw > (0)::numeric)),
    CONSTRAINT meter_max_voltage_v_check CHECK ((max_voltage_v > (0)::numeric)),
    CONSTRAINT meter_mm_layout_check CHECK ((mm_layout = ANY (ARRAY['undetermined'::text, 'hi-first/bin'::text, 'hi-first/bcd'::text, 'lo-first/bin'::text, 'lo-first/bcd'::text]))),
    CONSTRAINT meter_poll_schedule_check CHECK ((poll_schedule = ANY (ARRAY['15min'::text, 'hourly'::text, 'daily'::text, 'never'::text]))),
    CONSTRAINT meter_protocol_check CHECK ((protocol = ANY (ARRAY['nbr14522'::text, 'nbr14522_wrapper'::text, 'nbr14522_addressed'::text, 'import_only'::text, 'dlms'::text]))),
    CONSTRAINT meter_register_unit_check CHECK ((register_unit = ANY (ARRAY['undetermined'::text, 'pulses'::text, 'kwh_x1'::text, 'kwh_x10'::text, 'kwh_x100'::text, 'kwh_x1000'::text, 'kwh_x10000'::text]))),
    CONSTRAINT meter_serial_check CHECK ((serial ~ '^[0-9A-Za-z-]{1,20}$'::text)),
    CONSTRAINT meter_utc_offset_minutes_check CHECK (((utc_offset_minutes >= '-720'::integer) AND (utc_offset_minutes <= 840)))
);

COMMENT ON COLUMN smf.meter.channel_map IS 'Quantity carried by each meter channel, in channel order (1-based); 3 entries for legacy meters, up to 12.';

COMMENT ON COLUMN smf.meter.channel_constants IS 'Multiplication constant of each channel: engineering units per pulse (kWh, kvarh, V, A).';

COMMENT ON COLUMN smf.meter.utc_offset_minutes IS 'Offset of the meter clock from UTC, in minutes (Brazil: -180); the DST flag of the protocol adds 60.';

COMMENT ON COLUMN smf.meter.max_power_kw IS 'Physical maximum of energy channels, as power: a value above max_power_kw x interval is quarantined.';

COMMENT ON COLUMN smf.meter.mm_layout IS 'Mass-memory word layout: which nibble of the shared middle octet belongs to the first word (hi-first / lo-first) and binary or BCD words; undetermined until the meter''s data decide (poller/detect.py).';

COMMENT ON COLUMN smf.meter.register_unit IS 'Unit of the 0x23/0x24 energy registers: pulses or kWh (kvarh) x N; undetermined until the meter''s data decide.';

COMMENT ON COLUMN smf.meter.retired_at IS 'When the meter was retired (it is then disabled; a meter with readings is never deleted).';

CREATE TABLE smf.meter_status_report (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    battery_raw smallint,
    source text DEFAULT 'poll'::text NOT NULL
);

COMMENT ON TABLE smf.meter_status_report IS 'Health fields a read reports about the meter: battery octet 147 of 0x20/0x21 as read (raw; polarity unverified, rule l''s threshold says which code means bad).';

CREATE TABLE smf.poll_attempt (
    meter_id integer NOT NULL,
    started_at timestamp with time zone NOT NULL,
    duration_ms integer NOT NULL,
    trigger text NOT NULL,
    attempt smallint DEFAULT 1 NOT NULL,
    bytes_in bigint DEFAULT 0 NOT NULL,
    bytes_out bigint DEFAULT 0 NOT NULL,
    outcome text NOT NULL,
    error_class text,
    error_message text,
    clock_drift_s numeric(10,1),
    intervals_read integer DEFAULT 0 NOT NULL,
    intervals_stored integer DEFAULT 0 NOT NULL,
    batch_id integer,
    clock_drift_after_s numeric(10,1),
    CONSTRAINT poll_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT poll_attempt_bytes_in_check CHECK ((bytes_in >= 0)),
    CONSTRAINT poll_attempt_bytes_out_check CHECK ((bytes_out >= 0)),
    CONSTRAINT poll_attempt_check CHECK (((outcome = 'ok'::text) = (error_class IS NULL))),
    CONSTRAINT poll_attempt_duration_ms_check CHECK ((duration_ms >= 0)),
    CONSTRAINT poll_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['ok'::text, 'link_error'::text, 'meter_busy'::text, 'meter_refused'::text, 'wrong_meter'::text, 'not_implemented'::text, 'store_failed'::text, 'busy_elsewhere'::text, 'interval_mismatch'::text]))),
    CONSTRAINT poll_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'on_demand'::text, 'retry'::text])))
);

COMMENT ON TABLE smf.poll_attempt IS 'Connectivity log: one row per session with a meter (its outcome, error class and message, bytes, duration, clock drift in seconds, intervals read and newly stored).';

CREATE VIEW smf.alarm_coverage WITH (security_invoker='on') AS
 WITH f AS (
         SELECT m.id AS meter_id,
            m.serial,
            (m.channel_map && ARRAY['voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text]) AS has_v,
            (m.channel_map && ARRAY['current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text]) AS has_i,
            ('active_fwd_kwh'::text = ANY (m.channel_map)) AS has_p,
            (EXISTS ( SELECT 1
                   FROM smf.instantaneous_reading i
                  WHERE (i.meter_id = m.id))) AS has_0x14,
            (((m.transport IS NOT NULL) AND (m.protocol <> 'import_only'::text)) OR (EXISTS ( SELECT 1
                   FROM smf.poll_attempt a
                  WHERE (a.meter_id = m.id)))) AS polled,
            (EXISTS ( SELECT 1
                   FROM smf.meter_status_report s
                  WHERE (s.meter_id = m.id))) AS has_status,
            cardinality(m.channel_map) AS channels
           FROM smf.meter m
          WHERE m.enabled
        )
 SELECT f.meter_id,
    f.serial,
    u.uc_code,
    u.customer_name,
    u.uc_id,
    u.distributor_id,
    r.code AS rule_code,
    r.name AS rule_name,
    (((t.thr -> (r.code)::text) ->> 'value'::text))::numeric AS threshold,
    ((t.thr -> (r.code)::text) ->> 'level'::text) AS level,
        CASE
            WHEN (NOT (t.thr ? (r.code)::text)) THEN 'not programmed'::text
            WHEN ((r.quantity = 'voltage'::text) AND (NOT (f.has_v OR f.has_0x14))) THEN format('skipped: %s-channel meter without 0x14 reports no voltage'::text, f.channels)
            WHEN ((r.quantity = 'current'::text) AND (NOT (f.has_i OR f.has_0x14))) THEN format('skipped: %s-channel meter without 0x14 reports no current'::text, f.channels)
            WHEN ((r.quantity = 'power'::text) AND (NOT f.has_0x14)) THEN 'skipped: no 0x14 values (per-phase power)'::text
            WHEN ((r.quantity = ANY (ARRAY['serial'::text, 'clock'::text, 'connectivity'::text])) AND (NOT f.polled)) THEN 'skipped: import-only meter (no sessions)'::text
            WHEN ((r.quantity = 'demand'::text) AND ((u.uc_id IS NULL) OR (NOT f.has_p))) THEN 'skipped: no consumer unit or no active channel'::text
            WHEN ((r.quantity = 'battery'::text) AND (NOT f.has_status)) THEN 'skipped: no battery state reported yet'::text
            ELSE 'evaluated'::text
        END AS status
   FROM (((f
     LEFT JOIN LATERAL smf.meter_uc(f.meter_id) u(uc_id, distributor_id, group_id, uc_code, customer_name) ON (true))
     CROSS JOIN LATERAL ( SELECT COALESCE(jsonb_object_agg(x.rule_code, jsonb_build_object('value', x.value, 'level', x.level)), '{}'::jsonb) AS thr
           FROM smf.alarm_thresholds_of(f.meter_id, now()) x(rule_code, value, params, level)) t)
     CROSS JOIN smf.alarm_rule r);

COMMENT ON VIEW smf.alarm_coverage IS 'Per meter and rule, whether the rule can be evaluated for that meter, and why not (3-channel meters without 0x14 cannot report voltages or currents, import-only meters have no sessions ...), with the threshold in force now and its level.';

CREATE TABLE smf.alarm_delivery (
    notification_id bigint NOT NULL,
    attempt integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    url text NOT NULL,
    status_code integer,
    error text,
    duration_ms integer NOT NULL
);

COMMENT ON TABLE smf.alarm_delivery IS 'Each try to deliver a notification: target (without credentials), HTTP status or error, duration.';

CREATE TABLE smf.alarm_group (
    id integer NOT NULL,
    name text NOT NULL,
    distributor_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_group_name_check CHECK ((name <> ''::text))
);

COMMENT ON TABLE smf.alarm_group IS 'Groups of consumer units sharing alarm thresholds (an analyst''s universe of consumers).';

ALTER TABLE smf.alarm_group ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.alarm_group_member (
    consumer_unit_id integer NOT NULL,
    group_id integer NOT NULL
);

COMMENT ON TABLE smf.alarm_group_member IS 'The alarm group of a consumer unit (at most one).';

ALTER TABLE smf.alarm ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.alarm_notification (
    id bigint NOT NULL,
    alarm_id bigint NOT NULL,
    event text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    next_try_at timestamp with time zone DEFAULT now() NOT NULL,
    gave_up_at timestamp with time zone,
    CONSTRAINT alarm_notification_event_check CHECK ((event = ANY (ARRAY['opened'::text, 'acknowledged'::text, 'cleared'::text, 'closed'::text])))
);

COMMENT ON TABLE smf.alarm_notification IS 'Outbox of alarm transitions for the webhook: written in the transaction of the transition, delivered later with retry and backoff.';

ALTER TABLE smf.alarm_notification ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.alarm_sheet WITH (security_invoker='on') AS
 SELECT a.id,
    a.state,
    a.rule_code,
    r.name AS rule_name,
    (cu.uc_code)::text AS uc_code,
    cu.customer_name,
    m.serial AS meter_serial,
    a.opened_at,
    a.last_at,
    (a.opened_at AT TIME ZONE smf.local_timezone()) AS opened_local,
    a.value,
    a.value_text,
    a.threshold,
    r.unit,
    a.phase,
    a.occurrences,
    a.source,
    a.message,
    a.acknowledged_by,
    a.acknowledged_at,
    a.ack_comment,
    a.cleared_at,
    a.closed_by,
    a.closed_at,
    a.close_comment,
    a.uc_id,
    a.distributor_id,
    a.meter_id,
    a.detail
   FROM (((smf.alarm a
     JOIN smf.alarm_rule r ON ((r.code = a.rule_code)))
     JOIN smf.meter m ON ((m.id = a.meter_id)))
     LEFT JOIN smf.consumer_unit cu ON ((cu.id = a.uc_id)));

COMMENT ON VIEW smf.alarm_sheet IS 'The permanent alarm sheet: every alarm with its UC (name and number), meter, rule, the violation''s first and last time (UTC and local), the value against the threshold in the rule''s unit, and the lifecycle fields. uc_id / distributor_id are the scope keys.';

CREATE TABLE smf.alarm_threshold (
    id integer NOT NULL,
    rule_code character(1) NOT NULL,
    meter_id integer,
    group_id integer,
    valid_during tstzrange DEFAULT tstzrange(NULL::timestamp with time zone, NULL::timestamp with time zone) NOT NULL,
    value numeric NOT NULL,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT alarm_threshold_check CHECK (((meter_id IS NULL) OR (group_id IS NULL))),
    CONSTRAINT alarm_threshold_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.alarm_threshold IS 'Programmed alarm values, in the unit of their rule: per meter, per alarm group, or default (both null), each valid over a time range. The most specific valid row wins; enabled = false switches a rule off at that level.';

ALTER TABLE smf.alarm_threshold ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.alarm_threshold_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.api_key (
    id text NOT NULL,
    account_id integer NOT NULL,
    hash text NOT NULL,
    label text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone,
    expires_at timestamp with time zone,
    CONSTRAINT api_key_hash_check CHECK ((hash ~~ '$argon2id$%'::text)),
    CONSTRAINT api_key_id_check CHECK ((id ~ '^[a-z0-9]{12}$'::text))
);

COMMENT ON TABLE smf.api_key IS 'API keys: the public id and the argon2id hash of the secret (never the secret).';

CREATE TABLE smf.calendar (
    id integer NOT NULL,
    purpose text NOT NULL,
    version integer NOT NULL,
    valid_during daterange NOT NULL,
    description text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT calendar_purpose_check CHECK ((purpose = ANY (ARRAY['tariff'::text, 'ccee'::text]))),
    CONSTRAINT calendar_valid_during_check CHECK ((NOT isempty(valid_during))),
    CONSTRAINT calendar_version_check CHECK ((version > 0))
);

COMMENT ON TABLE smf.calendar IS 'Versioned holiday calendars: purpose tariff (days without ponta) or ccee (non-business days of CCEE deadlines); one version applies per date.';

ALTER TABLE smf.calendar ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.calendar_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.calendar_rule (
    calendar_id integer NOT NULL,
    rule_code text NOT NULL
);

COMMENT ON TABLE smf.calendar_rule IS 'Which holiday rules a calendar version is generated from.';

CREATE VIEW smf.catalogue WITH (security_invoker='on') AS
 SELECT 'function'::text AS kind,
    (n.nspname)::text AS schema,
    (p.proname)::text AS name,
    pg_get_function_identity_arguments(p.oid) AS identity,
    pg_get_function_arguments(p.oid) AS arguments,
    pg_get_function_result(p.oid) AS result,
    (l.lanname)::text AS language,
        CASE p.provolatile
            WHEN 'i'::"char" THEN 'immutable'::text
            WHEN 's'::"char" THEN 'stable'::text
            ELSE 'volatile'::text
        END AS volatility,
    obj_description(p.oid, 'pg_proc'::name) AS description
   FROM ((pg_proc p
     JOIN pg_namespace n ON ((n.oid = p.pronamespace)))
     JOIN pg_language l ON ((l.oid = p.prolang)))
  WHERE ((n.nspname = ANY (ARRAY['smf'::name, 'smf_read'::name])) AND (p.prokind = ANY (ARRAY['f'::"char", 'p'::"char"])) AND (NOT (EXISTS ( SELECT 1
           FROM pg_depend d
          WHERE ((d.objid = p.oid) AND (d.deptype = 'e'::"char"))))))
UNION ALL
 SELECT 'view'::text AS kind,
    (n.nspname)::text AS schema,
    (c.relname)::text AS name,
    ''::text AS identity,
    ''::text AS arguments,
    ( SELECT string_agg((((a.attname)::text || ' '::text) || format_type(a.atttypid, a.atttypmod)), ', '::text ORDER BY a.attnum) AS string_agg
           FROM pg_attribute a
          WHERE ((a.attrelid = c.oid) AND (a.attnum > 0) AND (NOT a.attisdropped))) AS result,
    ''::text AS language,
    ''::text AS volatility,
    obj_description(c.oid, 'pg_class'::name) AS description
   FROM (pg_class c
     JOIN pg_namespace n ON ((n.oid = c.relnamespace)))
  WHERE ((n.nspname = ANY (ARRAY['smf'::name, 'smf_read'::name])) AND (c.relkind = ANY (ARRAY['v'::"char", 'm'::"char"])));

COMMENT ON VIEW smf.catalogue IS 'Every function and view of schemas smf and smf_read, one row each: kind (function, view), schema, name, identity (argument types), arguments (names, types, defaults), result (return type, or a view''s columns), language, volatility, description (its COMMENT ON: what it returns, units, time convention). docs/sql-api.md is generated from it.';

CREATE TABLE smf.ccee_attempt (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    uc_code character(15) NOT NULL,
    day date NOT NULL,
    attempt integer NOT NULL,
    trigger text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL,
    payload_hash character(64),
    http_status smallint,
    response_body text,
    outcome text NOT NULL,
    reasons jsonb,
    warning text,
    late boolean DEFAULT false NOT NULL,
    CONSTRAINT ccee_attempt_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT ccee_attempt_outcome_check CHECK ((outcome = ANY (ARRAY['accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text]))),
    CONSTRAINT ccee_attempt_trigger_check CHECK ((trigger = ANY (ARRAY['schedule'::text, 'retry'::text, 'manual'::text, 'late'::text, 'release'::text])))
);

COMMENT ON TABLE smf.ccee_attempt IS 'Ledger of CCEE submissions: one row per attempt (held ones included), with the payload hash (body in ccee_payload), HTTP status, CCEE''s response body, outcome and who or what triggered it.';

ALTER TABLE smf.ccee_attempt ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.ccee_board_recent WITH (security_invoker='on') AS
 SELECT b.month,
    b.distributor,
    b.agent_code,
    b.uc_code,
    b.customer,
    b.days_due,
    b.complete,
    b.held,
    b.held_reasons,
    b.sent,
    b.accepted,
    b.rejected,
    b.failed,
    b.missing,
    b.deadline,
    b.business_days_left,
    b.at_risk
   FROM (generate_series((date_trunc('month'::text, (now() - '03:00:00'::interval)) - '1 mon'::interval), date_trunc('month'::text, (now() - '03:00:00'::interval)), '1 mon'::interval) mm(mm)
     CROSS JOIN LATERAL smf.ccee_board((mm.mm)::date) b(month, distributor, agent_code, uc_code, customer, days_due, complete, held, held_reasons, sent, accepted, rejected, failed, missing, deadline, business_days_left, at_risk));

COMMENT ON VIEW smf.ccee_board_recent IS 'ccee_board (view): the board of the current and the previous month (for Grafana; filter on month). Functions give any month: smf.ccee_board(month).';

CREATE TABLE smf.ccee_deadline (
    code text NOT NULL,
    description text NOT NULL,
    base text NOT NULL,
    business_days smallint NOT NULL,
    valid_during daterange NOT NULL,
    CONSTRAINT ccee_deadline_base_check CHECK ((base = ANY (ARRAY['M'::text, 'MS'::text]))),
    CONSTRAINT ccee_deadline_business_days_check CHECK ((business_days > 0)),
    CONSTRAINT ccee_deadline_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_deadline IS 'CCEE deadlines of a reference month M: the n-th business day of M (base M) or of the month after (base MS).';

CREATE TABLE smf.ccee_payload (
    hash character(64) NOT NULL,
    body text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE ONLY smf.ccee_payload ALTER COLUMN body SET COMPRESSION lz4;

COMMENT ON TABLE smf.ccee_payload IS 'Every distinct payload sent to CCEE, byte for byte (UTF-8 JSON), keyed by its SHA-256 (hex).';

CREATE TABLE smf.ccee_release (
    id bigint NOT NULL,
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    hold_reason text NOT NULL,
    released_by text NOT NULL,
    reason text NOT NULL,
    released_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_release_hold_reason_check CHECK ((hold_reason = 'musd_exceeded'::text)),
    CONSTRAINT ccee_release_reason_check CHECK ((length(reason) >= 3)),
    CONSTRAINT ccee_release_released_by_check CHECK ((released_by <> ''::text))
);

COMMENT ON TABLE smf.ccee_release IS 'A held UC-day released for sending by an analyst: who, why and when.';

ALTER TABLE smf.ccee_release ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ccee_release_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ccee_retail_uc (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_retail_uc_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.ccee_retail_uc IS 'UCs in the simplified retail model (their 5-minute consumption goes to CCEE daily), per validity period of local days.';

CREATE TABLE smf.ccee_uc_day (
    consumer_unit_id integer NOT NULL,
    day date NOT NULL,
    state text DEFAULT 'due'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_try_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_by text,
    claim_expires timestamp with time zone,
    trigger text,
    last_hash character(64),
    accepted_hash character(64),
    accepted_at timestamp with time zone,
    fingerprint text,
    hold_reasons jsonb,
    late boolean DEFAULT false NOT NULL,
    verdict_consistida integer,
    verdict_rejeitada integer,
    verdict_at timestamp with time zone,
    verdict_detail jsonb,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ccee_uc_day_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT ccee_uc_day_check CHECK (((state = 'claimed'::text) = ((claimed_by IS NOT NULL) AND (claim_expires IS NOT NULL)))),
    CONSTRAINT ccee_uc_day_state_check CHECK ((state = ANY (ARRAY['due'::text, 'claimed'::text, 'accepted'::text, 'rejected'::text, 'failed'::text, 'held'::text, 'late'::text])))
);

COMMENT ON TABLE smf.ccee_uc_day IS 'The state of each UC-day towards CCEE (local day D at -03:00): the due-work queue claimed with FOR UPDATE SKIP LOCKED, the last accepted payload hash, holds and CCEE''s read-back verdict.';

CREATE TABLE smf.clock_correction (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    outcome text NOT NULL,
    method text,
    meter_before timestamp with time zone,
    meter_after timestamp with time zone,
    reference_time timestamp with time zone NOT NULL,
    drift_before_s numeric(12,1),
    drift_after_s numeric(12,1),
    meter_interval_start timestamp with time zone,
    reason text NOT NULL,
    by_whom text,
    CONSTRAINT clock_correction_kind_check CHECK ((kind = ANY (ARRAY['auto'::text, 'operator'::text]))),
    CONSTRAINT clock_correction_outcome_check CHECK ((outcome = ANY (ARRAY['corrected'::text, 'partial'::text, 'deferred'::text, 'refused'::text, 'failed'::text, 'checked'::text])))
);

ALTER TABLE smf.clock_correction ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.clock_correction_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.consumer_unit_class (
    consumer_unit_id integer NOT NULL,
    market text DEFAULT 'free'::text NOT NULL,
    has_generation boolean DEFAULT false NOT NULL,
    CONSTRAINT consumer_unit_class_market_check CHECK ((market = ANY (ARRAY['free'::text, 'captive'::text])))
);

COMMENT ON TABLE smf.consumer_unit_class IS 'Market (free or captive) and generation of a UC; a UC without a row is free and does not generate.';

ALTER TABLE smf.consumer_unit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.consumer_unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.contract_hour_volume (
    contract_id integer NOT NULL,
    hour timestamp with time zone NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_hour_volume_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0)),
    CONSTRAINT contract_hour_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_hour_volume IS 'Declared modulation: MWh per hour (hour-beginning instant).';

CREATE TABLE smf.contract_month_volume (
    contract_id integer NOT NULL,
    month date NOT NULL,
    mwh numeric(14,6) NOT NULL,
    CONSTRAINT contract_month_volume_month_check CHECK ((EXTRACT(day FROM month) = (1)::numeric)),
    CONSTRAINT contract_month_volume_mwh_check CHECK ((mwh >= (0)::numeric))
);

COMMENT ON TABLE smf.contract_month_volume IS 'Declared seasonalization (or the month volumes of a short-term contract), MWh per local month.';

CREATE TABLE smf.db_role (
    name text NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT db_role_kind_check CHECK ((kind = ANY (ARRAY['service'::text, 'reader'::text]))),
    CONSTRAINT db_role_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);

COMMENT ON TABLE smf.db_role IS 'Database roles the project made: service login roles (migrations) and scoped reader login roles (smf user add --db-role). Only these may be re-used by --db-role, and only readers.';

CREATE TABLE smf.distributor (
    id integer NOT NULL,
    ccee_agent_code integer NOT NULL,
    aneel_code character(3) NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT distributor_aneel_code_check CHECK ((aneel_code ~ '^[0-9]{3}$'::text)),
    CONSTRAINT distributor_ccee_agent_code_check CHECK ((ccee_agent_code > 0)),
    CONSTRAINT distributor_name_check CHECK ((name <> ''::text))
);

COMMENT ON TABLE smf.distributor IS 'Distribution utilities (connected agents), with their CCEE agent code and the 3-digit ANEEL code used in UC codes.';

ALTER TABLE smf.distributor ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.distributor_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.dlms_meter (
    meter_id integer NOT NULL,
    client_sap smallint DEFAULT 16 NOT NULL,
    server_logical smallint DEFAULT 1 NOT NULL,
    server_physical smallint,
    auth text DEFAULT 'none'::text NOT NULL,
    profile_obis text DEFAULT '1.0.99.1.0.255'::text NOT NULL,
    status_scheme text DEFAULT 'idis'::text NOT NULL,
    profile_kind text DEFAULT 'undetermined'::text NOT NULL,
    energy_unit text DEFAULT 'undetermined'::text NOT NULL,
    capture_objects jsonb,
    decided_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dlms_meter_auth_check CHECK ((auth = ANY (ARRAY['none'::text, 'lls'::text, 'hls_gmac'::text]))),
    CONSTRAINT dlms_meter_client_sap_check CHECK (((client_sap >= 1) AND (client_sap <= 127))),
    CONSTRAINT dlms_meter_energy_unit_check CHECK ((energy_unit = ANY (ARRAY['undetermined'::text, 'attribute3'::text, 'wh'::text, 'kwh'::text]))),
    CONSTRAINT dlms_meter_profile_kind_check CHECK ((profile_kind = ANY (ARRAY['undetermined'::text, 'interval'::text, 'cumulative'::text]))),
    CONSTRAINT dlms_meter_profile_obis_check CHECK ((profile_obis ~ '^[0-9]{1,3}(\.[0-9]{1,3}){5}$'::text)),
    CONSTRAINT dlms_meter_server_logical_check CHECK (((server_logical >= 0) AND (server_logical <= 16383))),
    CONSTRAINT dlms_meter_server_physical_check CHECK (((server_physical >= 0) AND (server_physical <= 16383)))
);

COMMENT ON TABLE smf.dlms_meter IS 'DLMS/COSEM settings and decisions per meter (keys are in smf_secret.dlms_key, encrypted)';

CREATE TABLE smf.dlms_obis_channel (
    obis text NOT NULL,
    channel text NOT NULL,
    kind text NOT NULL,
    description text NOT NULL,
    CONSTRAINT dlms_obis_channel_channel_check CHECK ((channel = ANY (ARRAY['active_fwd_kwh'::text, 'active_rev_kwh'::text, 'reactive_ind_fwd_kvarh'::text, 'reactive_ind_rev_kvarh'::text, 'reactive_cap_fwd_kvarh'::text, 'reactive_cap_rev_kvarh'::text, 'voltage_a_v'::text, 'voltage_b_v'::text, 'voltage_c_v'::text, 'current_a_a'::text, 'current_b_a'::text, 'current_c_a'::text]))),
    CONSTRAINT dlms_obis_channel_kind_check CHECK ((kind = ANY (ARRAY['interval'::text, 'cumulative'::text, 'mean'::text]))),
    CONSTRAINT dlms_obis_channel_obis_check CHECK ((obis ~ '^[0-9]{1,3}(\.[0-9]{1,3}){5}$'::text))
);

CREATE TABLE smf.dlms_status_bit (
    scheme text NOT NULL,
    "bit" smallint NOT NULL,
    meaning text NOT NULL,
    quality smf.quality NOT NULL,
    CONSTRAINT dlms_status_bit_bit_check CHECK ((("bit" >= 0) AND ("bit" <= 7))),
    CONSTRAINT dlms_status_bit_meaning_check CHECK ((meaning = ANY (ARRAY['critical_error'::text, 'clock_invalid'::text, 'invalid'::text, 'daylight_saving'::text, 'clock_adjusted'::text, 'power_failure'::text, 'reserved'::text])))
);

CREATE TABLE smf.energy_contract (
    id integer NOT NULL,
    code text NOT NULL,
    kind text NOT NULL,
    seller text NOT NULL,
    buyer_uc_id integer,
    buyer_agent text,
    submarket smf.submarket NOT NULL,
    valid_during daterange NOT NULL,
    annual_mwh numeric(14,6),
    modulation text DEFAULT 'flat'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT energy_contract_annual_mwh_check CHECK ((annual_mwh >= (0)::numeric)),
    CONSTRAINT energy_contract_check CHECK (((buyer_uc_id IS NOT NULL) OR (buyer_agent IS NOT NULL))),
    CONSTRAINT energy_contract_code_check CHECK ((code <> ''::text)),
    CONSTRAINT energy_contract_kind_check CHECK ((kind = ANY (ARRAY['bilateral'::text, 'incentivada'::text, 'proinfa'::text]))),
    CONSTRAINT energy_contract_modulation_check CHECK ((modulation = ANY (ARRAY['flat'::text, 'load_following'::text]))),
    CONSTRAINT energy_contract_seller_check CHECK ((seller <> ''::text)),
    CONSTRAINT energy_contract_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.energy_contract IS 'Energy contracts (bilateral, incentivized, PROINFA): annual volume (long term) and/or month volumes; modulation used when no hourly volumes are declared.';

ALTER TABLE smf.energy_contract ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.energy_contract_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.meter_monitoring (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    starts_at timestamp with time zone DEFAULT now() NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    requested_by text DEFAULT CURRENT_USER NOT NULL,
    reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_monitoring_check CHECK ((ends_at > starts_at))
);

COMMENT ON TABLE smf.meter_monitoring IS 'Points under 15-minute monitoring (seed 003 §5.9 b): the poller reads the meter every 15 minutes from starts_at until ends_at.';

CREATE VIEW smf.fleet_poll_health WITH (security_invoker='on') AS
 SELECT m.id AS meter_id,
    m.serial,
    (u.uc_code)::text AS uc_code,
    u.customer_name,
    m.poll_schedule,
    h.last_attempt_at,
    h.last_outcome,
    h.last_ok_at,
    COALESCE(h.failures_since_ok, (0)::bigint) AS failures_since_ok,
    (EXISTS ( SELECT 1
           FROM smf.meter_monitoring mm
          WHERE ((mm.meter_id = m.id) AND (mm.starts_at <= now()) AND (mm.ends_at > now())))) AS monitoring
   FROM ((smf.meter m
     LEFT JOIN smf.consumer_unit u ON ((u.main_meter_id = m.id)))
     LEFT JOIN LATERAL smf.meter_poll_health(m.id) h(last_attempt_at, last_outcome, last_ok_at, failures_since_ok) ON (true))
  WHERE (m.enabled AND (m.transport IS NOT NULL) AND (m.protocol <> 'import_only'::text));

COMMENT ON VIEW smf.fleet_poll_health IS 'Per polled meter: UC, last session and outcome, last successful one, failures since, and whether it is under 15-minute monitoring now. (No other view of smf in it: its smf_read copy may not depend on another copy, see 625_dashboards_read.sql.)';

CREATE TABLE smf.holiday (
    calendar_id integer NOT NULL,
    day date NOT NULL,
    name text NOT NULL,
    rule_code text
);

COMMENT ON TABLE smf.holiday IS 'Holidays of each calendar version: generated from its rules (rule_code set), editable (rule_code null for days added by hand).';

CREATE TABLE smf.holiday_rule (
    code text NOT NULL,
    name text NOT NULL,
    fixed_month smallint,
    fixed_day smallint,
    easter_offset smallint,
    first_year smallint DEFAULT 1900 NOT NULL,
    last_year smallint DEFAULT 9999 NOT NULL,
    CONSTRAINT holiday_rule_check CHECK ((((fixed_month IS NOT NULL) AND (fixed_day IS NOT NULL) AND (easter_offset IS NULL)) OR ((fixed_month IS NULL) AND (fixed_day IS NULL) AND (easter_offset IS NOT NULL)))),
    CONSTRAINT holiday_rule_check1 CHECK ((first_year <= last_year)),
    CONSTRAINT holiday_rule_fixed_day_check CHECK (((fixed_day >= 1) AND (fixed_day <= 31))),
    CONSTRAINT holiday_rule_fixed_month_check CHECK (((fixed_month >= 1) AND (fixed_month <= 12)))
);

COMMENT ON TABLE smf.holiday_rule IS 'How a holiday falls each year: a fixed date or an offset in days from Easter Sunday, within [first_year, last_year].';

CREATE TABLE smf.interval_sealed (
    meter_id integer NOT NULL,
    period_start timestamp with time zone NOT NULL,
    period_end timestamp with time zone NOT NULL,
    interval_minutes smallint NOT NULL,
    slots integer NOT NULL,
    n_rows integer NOT NULL,
    width smallint[] NOT NULL,
    pos integer[] NOT NULL,
    base integer[] NOT NULL,
    v1 "char"[],
    v2 smallint[],
    v4 integer[],
    qs "char"[] NOT NULL,
    sealed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT interval_sealed_check CHECK ((period_end > period_start)),
    CONSTRAINT interval_sealed_check1 CHECK (((cardinality(width) = 13) AND (cardinality(pos) = 13) AND (cardinality(base) = 13))),
    CONSTRAINT interval_sealed_check2 CHECK ((cardinality(qs) = slots))
)
WITH (toast_tuple_target='128');
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN width SET STORAGE PLAIN;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN pos SET STORAGE PLAIN;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN base SET STORAGE PLAIN;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN v1 SET COMPRESSION lz4;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN v2 SET COMPRESSION lz4;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN v4 SET COMPRESSION lz4;
ALTER TABLE ONLY smf.interval_sealed ALTER COLUMN qs SET COMPRESSION lz4;

COMMENT ON TABLE smf.interval_sealed IS 'One row per meter and closed period (UTC [period_start, period_end)): the intervals of smf.interval_reading, frame-of-reference encoded per channel (base + offsets of 1, 2 or 4 bytes), a quality/source code per slot; read them through smf.intervals() or smf.interval_reading_all.';

CREATE VIEW smf.hour_label WITH (security_invoker='on') AS
 SELECT cu.uc_code,
    rh.meter_id,
    rh.bucket AS hour,
    (rh.bucket AT TIME ZONE smf.local_timezone()) AS local_hour,
    l.posto,
    l.reactive_window,
    l.loss_factor
   FROM ((( SELECT rollup_hour.meter_id,
            rollup_hour.bucket,
            rollup_hour.active_fwd_wh,
            rollup_hour.active_rev_wh,
            rollup_hour.reactive_ind_fwd_varh,
            rollup_hour.reactive_ind_rev_varh,
            rollup_hour.reactive_cap_fwd_varh,
            rollup_hour.reactive_cap_rev_varh,
            rollup_hour.n_measured,
            rollup_hour.n_adjusted,
            rollup_hour.n_estimated,
            rollup_hour.n_missing,
            rollup_hour.n_expected,
            rollup_hour.voltage_a_mv_min,
            rollup_hour.voltage_a_mv_max,
            rollup_hour.voltage_a_mv_sum,
            rollup_hour.voltage_a_mv_n,
            rollup_hour.voltage_b_mv_min,
            rollup_hour.voltage_b_mv_max,
            rollup_hour.voltage_b_mv_sum,
            rollup_hour.voltage_b_mv_n,
            rollup_hour.voltage_c_mv_min,
            rollup_hour.voltage_c_mv_max,
            rollup_hour.voltage_c_mv_sum,
            rollup_hour.voltage_c_mv_n,
            rollup_hour.current_a_ma_min,
            rollup_hour.current_a_ma_max,
            rollup_hour.current_a_ma_sum,
            rollup_hour.current_a_ma_n,
            rollup_hour.current_b_ma_min,
            rollup_hour.current_b_ma_max,
            rollup_hour.current_b_ma_sum,
            rollup_hour.current_b_ma_n,
            rollup_hour.current_c_ma_min,
            rollup_hour.current_c_ma_max,
            rollup_hour.current_c_ma_sum,
            rollup_hour.current_c_ma_n,
            rollup_hour.max_demand_kw,
            rollup_hour.max_demand_at,
            rollup_hour.active_fwd_wh_q_min_abs,
            rollup_hour.reactive_ind_fwd_varh_q_min_abs,
            rollup_hour.reactive_cap_fwd_varh_q_min_abs
           FROM smf.rollup_hour
        UNION ALL
         SELECT x.meter_id,
            public.time_bucket('01:00:00'::interval, x.bucket) AS bucket,
            (sum(x.active_fwd_wh))::bigint AS active_fwd_wh,
            (sum(x.active_rev_wh))::bigint AS active_rev_wh,
            (sum(x.reactive_ind_fwd_varh))::bigint AS reactive_ind_fwd_varh,
            (sum(x.reactive_ind_rev_varh))::bigint AS reactive_ind_rev_varh,
            (sum(x.reactive_cap_fwd_varh))::bigint AS reactive_cap_fwd_varh,
            (sum(x.reactive_cap_rev_varh))::bigint AS reactive_cap_rev_varh,
            (sum(x.n_measured))::integer AS n_measured,
            (sum(x.n_adjusted))::integer AS n_adjusted,
            (sum(x.n_estimated))::integer AS n_estimated,
            (sum(x.n_missing))::integer AS n_missing,
            (60 / min(m.interval_minutes)) AS n_expected,
            min(x.voltage_a_mv_min) AS voltage_a_mv_min,
            max(x.voltage_a_mv_max) AS voltage_a_mv_max,
            (sum(x.voltage_a_mv_sum))::bigint AS voltage_a_mv_sum,
            (sum(x.voltage_a_mv_n))::integer AS voltage_a_mv_n,
            min(x.voltage_b_mv_min) AS voltage_b_mv_min,
            max(x.voltage_b_mv_max) AS voltage_b_mv_max,
            (sum(x.voltage_b_mv_sum))::bigint AS voltage_b_mv_sum,
            (sum(x.voltage_b_mv_n))::integer AS voltage_b_mv_n,
            min(x.voltage_c_mv_min) AS voltage_c_mv_min,
            max(x.voltage_c_mv_max) AS voltage_c_mv_max,
            (sum(x.voltage_c_mv_sum))::bigint AS voltage_c_mv_sum,
            (sum(x.voltage_c_mv_n))::integer AS voltage_c_mv_n,
            min(x.current_a_ma_min) AS current_a_ma_min,
            max(x.current_a_ma_max) AS current_a_ma_max,
            (sum(x.current_a_ma_sum))::bigint AS current_a_ma_sum,
            (sum(x.current_a_ma_n))::integer AS current_a_ma_n,
            min(x.current_b_ma_min) AS current_b_ma_min,
            max(x.current_b_ma_max) AS current_b_ma_max,
            (sum(x.current_b_ma_sum))::bigint AS current_b_ma_sum,
            (sum(x.current_b_ma_n))::integer AS current_b_ma_n,
            min(x.current_c_ma_min) AS current_c_ma_min,
            max(x.current_c_ma_max) AS current_c_ma_max,
            (sum(x.current_c_ma_sum))::bigint AS current_c_ma_sum,
            (sum(x.current_c_ma_n))::integer AS current_c_ma_n,
            (max(x.max_demand_kw))::numeric(14,3) AS max_demand_kw,
            public.last(x.max_demand_at, ((x.max_demand_kw * ('100000000000'::bigint)::numeric) - EXTRACT(epoch FROM x.max_demand_at))) AS max_demand_at,
            min(abs(x.active_fwd_wh)) AS active_fwd_wh_q_min_abs,
            min(abs(x.reactive_ind_fwd_varh)) AS reactive_ind_fwd_varh_q_min_abs,
            min(abs(x.reactive_cap_fwd_varh)) AS reactive_cap_fwd_varh_q_min_abs
           FROM (( SELECT x_1.meter_id,
                    public.time_bucket('00:15:00'::interval, x_1.ts) AS bucket,
                    sum(x_1.active_fwd_wh) AS active_fwd_wh,
                    sum(x_1.active_rev_wh) AS active_rev_wh,
                    sum(x_1.reactive_ind_fwd_varh) AS reactive_ind_fwd_varh,
                    sum(x_1.reactive_ind_rev_varh) AS reactive_ind_rev_varh,
                    sum(x_1.reactive_cap_fwd_varh) AS reactive_cap_fwd_varh,
                    sum(x_1.reactive_cap_rev_varh) AS reactive_cap_rev_varh,
                    (count(*) FILTER (WHERE (x_1.quality = 'measured'::smf.quality)))::integer AS n_measured,
                    (count(*) FILTER (WHERE (x_1.quality = 'adjusted'::smf.quality)))::integer AS n_adjusted,
                    (count(*) FILTER (WHERE (x_1.quality = 'estimated'::smf.quality)))::integer AS n_estimated,
                    (count(*) FILTER (WHERE (x_1.quality = 'missing'::smf.quality)))::integer AS n_missing,
                    (15 / min(m_1.interval_minutes)) AS n_expected,
                    min(x_1.voltage_a_mv) AS voltage_a_mv_min,
                    max(x_1.voltage_a_mv) AS voltage_a_mv_max,
                    sum(x_1.voltage_a_mv) AS voltage_a_mv_sum,
                    (count(x_1.voltage_a_mv))::integer AS voltage_a_mv_n,
                    min(x_1.voltage_b_mv) AS voltage_b_mv_min,
                    max(x_1.voltage_b_mv) AS voltage_b_mv_max,
                    sum(x_1.voltage_b_mv) AS voltage_b_mv_sum,
                    (count(x_1.voltage_b_mv))::integer AS voltage_b_mv_n,
                    min(x_1.voltage_c_mv) AS voltage_c_mv_min,
                    max(x_1.voltage_c_mv) AS voltage_c_mv_max,
                    sum(x_1.voltage_c_mv) AS voltage_c_mv_sum,
                    (count(x_1.voltage_c_mv))::integer AS voltage_c_mv_n,
                    min(x_1.current_a_ma) AS current_a_ma_min,
                    max(x_1.current_a_ma) AS current_a_ma_max,
                    sum(x_1.current_a_ma) AS current_a_ma_sum,
                    (count(x_1.current_a_ma))::integer AS current_a_ma_n,
                    min(x_1.current_b_ma) AS current_b_ma_min,
                    max(x_1.current_b_ma) AS current_b_ma_max,
                    sum(x_1.current_b_ma) AS current_b_ma_sum,
                    (count(x_1.current_b_ma))::integer AS current_b_ma_n,
                    min(x_1.current_c_ma) AS current_c_ma_min,
                    max(x_1.current_c_ma) AS current_c_ma_max,
                    sum(x_1.current_c_ma) AS current_c_ma_sum,
                    (count(x_1.current_c_ma))::integer AS current_c_ma_n,
                    (round((((sum(x_1.active_fwd_wh) * 4))::numeric / 1000.0), 3))::numeric(14,3) AS max_demand_kw,
                    min(public.time_bucket('00:15:00'::interval, x_1.ts)) AS max_demand_at
                   FROM (( SELECT x_2.meter_id,
                            x_2.ts,
                            (x_2.b1 + x_2.c1) AS active_fwd_wh,
                            (x_2.b2 + x_2.c2) AS active_rev_wh,
                            (x_2.b3 + x_2.c3) AS reactive_ind_fwd_varh,
                            (x_2.b4 + x_2.c4) AS reactive_ind_rev_varh,
                            (x_2.b5 + x_2.c5) AS reactive_cap_fwd_varh,
                            (x_2.b6 + x_2.c6) AS reactive_cap_rev_varh,
                            (x_2.b7 + x_2.c7) AS voltage_a_mv,
                            (x_2.b8 + x_2.c8) AS voltage_b_mv,
                            (x_2.b9 + x_2.c9) AS voltage_c_mv,
                            (x_2.b10 + x_2.c10) AS current_a_ma,
                            (x_2.b11 + x_2.c11) AS current_b_ma,
                            (x_2.b12 + x_2.c12) AS current_c_ma,
                                CASE (((x_2.q)::integer - 1) / 16)
                                    WHEN 0 THEN 'measured'::smf.quality
                                    WHEN 1 THEN 'adjusted'::smf.quality
                                    WHEN 2 THEN 'estimated'::smf.quality
                                    WHEN 3 THEN 'missing'::smf.quality
                                    ELSE NULL::smf.quality
                                END AS quality,
                                CASE (((x_2.q)::integer - 1) % 16)
                                    WHEN 0 THEN 'meter'::smf.reading_source
                                    WHEN 1 THEN 'backup_meter'::smf.reading_source
                                    WHEN 2 THEN 'estimate'::smf.reading_source
                                    WHEN 3 THEN 'import'::smf.reading_source
                                    WHEN 4 THEN 'manual'::smf.reading_source
                                    ELSE NULL::smf.reading_source
                                END AS source,
                            (x_2.b13 + x_2.c13) AS batch_id
                           FROM ( SELECT s.meter_id,
                                    s.base[1] AS b1,
                                    s.base[2] AS b2,
                                    s.base[3] AS b3,
                                    s.base[4] AS b4,
                                    s.base[5] AS b5,
                                    s.base[6] AS b6,
                                    s.base[7] AS b7,
                                    s.base[8] AS b8,
                                    s.base[9] AS b9,
                                    s.base[10] AS b10,
                                    s.base[11] AS b11,
                                    s.base[12] AS b12,
                                    s.base[13] AS b13,
                                    generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                                    unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                                    unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                                    unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                                    unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                                    unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                                    unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                                    unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                                    unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                                    unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                                    unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                                    unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                                    unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                                    unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                                    unnest(s.qs) AS q
                                   FROM smf.interval_sealed s) x_2
                          WHERE ((x_2.q)::integer <> 0)) x_1
                     JOIN smf.meter m_1 ON ((m_1.id = x_1.meter_id)))
                  GROUP BY x_1.meter_id, (public.time_bucket('00:15:00'::interval, x_1.ts))) x
             JOIN smf.meter m ON ((m.id = x.meter_id)))
          GROUP BY x.meter_id, (public.time_bucket('01:00:00'::interval, x.bucket))) rh
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = rh.meter_id)))
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN (count(DISTINCT q.posto) = 1) THEN min(q.posto)
                    ELSE 'mixed'::text
                END AS posto,
                CASE
                    WHEN (count(DISTINCT q.reactive_window) = 1) THEN min(q.reactive_window)
                    ELSE 'mixed'::text
                END AS reactive_window,
            max(q.loss_factor) AS loss_factor
           FROM smf.uc_quarter_labels(cu.id, rh.bucket, (rh.bucket + '01:00:00'::interval)) q(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor)) l);

COMMENT ON VIEW smf.hour_label IS 'Every hourly rollup of a UC''s main meter (both tiers) with its posto and reactive window (''mixed'' when the hour spans two, e.g. a capacitive window starting at 23:30).';

CREATE TABLE smf.ingest_batch (
    id integer NOT NULL,
    source smf.reading_source NOT NULL,
    origin text,
    operator text DEFAULT CURRENT_USER NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    rows_in bigint,
    inserted bigint,
    updated bigint,
    unchanged bigint,
    quarantined jsonb,
    decisions text[]
);

COMMENT ON COLUMN smf.ingest_batch.decisions IS 'How the input was read, one sentence per decision in the order taken (decimal separator, UTC offset of time stamps without one, date order), each naming the flag or the line that decided it; NULL when nothing was decided.';

ALTER TABLE smf.ingest_batch ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.ingest_quarantine (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    line_no bigint,
    meter_ref text,
    ts timestamp with time zone,
    reason text NOT NULL,
    detail text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE smf.ingest_quarantine ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.ingest_quarantine_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.interval_label WITH (security_invoker='on') AS
 SELECT cu.uc_code,
    ir.meter_id,
    ir.ts,
    (ir.ts AT TIME ZONE smf.local_timezone()) AS local_ts,
    l.posto,
    l.demand_posto,
    l.reactive_window,
    l.reservado,
    l.loss_factor
   FROM ((( SELECT interval_reading.meter_id,
            interval_reading.ts,
            interval_reading.active_fwd_wh,
            interval_reading.active_rev_wh,
            interval_reading.reactive_ind_fwd_varh,
            interval_reading.reactive_ind_rev_varh,
            interval_reading.reactive_cap_fwd_varh,
            interval_reading.reactive_cap_rev_varh,
            interval_reading.voltage_a_mv,
            interval_reading.voltage_b_mv,
            interval_reading.voltage_c_mv,
            interval_reading.current_a_ma,
            interval_reading.current_b_ma,
            interval_reading.current_c_ma,
            interval_reading.quality,
            interval_reading.source,
            interval_reading.batch_id
           FROM smf.interval_reading
        UNION ALL
         SELECT x.meter_id,
            x.ts,
            (x.b1 + x.c1) AS active_fwd_wh,
            (x.b2 + x.c2) AS active_rev_wh,
            (x.b3 + x.c3) AS reactive_ind_fwd_varh,
            (x.b4 + x.c4) AS reactive_ind_rev_varh,
            (x.b5 + x.c5) AS reactive_cap_fwd_varh,
            (x.b6 + x.c6) AS reactive_cap_rev_varh,
            (x.b7 + x.c7) AS voltage_a_mv,
            (x.b8 + x.c8) AS voltage_b_mv,
            (x.b9 + x.c9) AS voltage_c_mv,
            (x.b10 + x.c10) AS current_a_ma,
            (x.b11 + x.c11) AS current_b_ma,
            (x.b12 + x.c12) AS current_c_ma,
                CASE (((x.q)::integer - 1) / 16)
                    WHEN 0 THEN 'measured'::smf.quality
                    WHEN 1 THEN 'adjusted'::smf.quality
                    WHEN 2 THEN 'estimated'::smf.quality
                    WHEN 3 THEN 'missing'::smf.quality
                    ELSE NULL::smf.quality
                END AS quality,
                CASE (((x.q)::integer - 1) % 16)
                    WHEN 0 THEN 'meter'::smf.reading_source
                    WHEN 1 THEN 'backup_meter'::smf.reading_source
                    WHEN 2 THEN 'estimate'::smf.reading_source
                    WHEN 3 THEN 'import'::smf.reading_source
                    WHEN 4 THEN 'manual'::smf.reading_source
                    ELSE NULL::smf.reading_source
                END AS source,
            (x.b13 + x.c13) AS batch_id
           FROM ( SELECT s.meter_id,
                    s.base[1] AS b1,
                    s.base[2] AS b2,
                    s.base[3] AS b3,
                    s.base[4] AS b4,
                    s.base[5] AS b5,
                    s.base[6] AS b6,
                    s.base[7] AS b7,
                    s.base[8] AS b8,
                    s.base[9] AS b9,
                    s.base[10] AS b10,
                    s.base[11] AS b11,
                    s.base[12] AS b12,
                    s.base[13] AS b13,
                    generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                    unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                    unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                    unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                    unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                    unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                    unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                    unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                    unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                    unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                    unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                    unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                    unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                    unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                    unnest(s.qs) AS q
                   FROM smf.interval_sealed s) x
          WHERE ((x.q)::integer <> 0)) ir
     JOIN smf.consumer_unit cu ON ((cu.main_meter_id = ir.meter_id)))
     CROSS JOIN LATERAL smf.uc_quarter_labels(cu.id, ir.ts, (ir.ts + '00:00:00.000001'::interval)) l(ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado, loss_factor));

COMMENT ON VIEW smf.interval_label IS 'Every interval reading of a UC''s main meter (both storage tiers, 025_storage.sql) with its local time, posto, demand posto, reactive window, reservado flag and loss factor (filter by uc_code and ts).';

CREATE VIEW smf.interval_reading_all WITH (security_invoker='on') AS
 SELECT interval_reading.meter_id,
    interval_reading.ts,
    interval_reading.active_fwd_wh,
    interval_reading.active_rev_wh,
    interval_reading.reactive_ind_fwd_varh,
    interval_reading.reactive_ind_rev_varh,
    interval_reading.reactive_cap_fwd_varh,
    interval_reading.reactive_cap_rev_varh,
    interval_reading.voltage_a_mv,
    interval_reading.voltage_b_mv,
    interval_reading.voltage_c_mv,
    interval_reading.current_a_ma,
    interval_reading.current_b_ma,
    interval_reading.current_c_ma,
    interval_reading.quality,
    interval_reading.source,
    interval_reading.batch_id
   FROM smf.interval_reading
UNION ALL
 SELECT x.meter_id,
    x.ts,
    (x.b1 + x.c1) AS active_fwd_wh,
    (x.b2 + x.c2) AS active_rev_wh,
    (x.b3 + x.c3) AS reactive_ind_fwd_varh,
    (x.b4 + x.c4) AS reactive_ind_rev_varh,
    (x.b5 + x.c5) AS reactive_cap_fwd_varh,
    (x.b6 + x.c6) AS reactive_cap_rev_varh,
    (x.b7 + x.c7) AS voltage_a_mv,
    (x.b8 + x.c8) AS voltage_b_mv,
    (x.b9 + x.c9) AS voltage_c_mv,
    (x.b10 + x.c10) AS current_a_ma,
    (x.b11 + x.c11) AS current_b_ma,
    (x.b12 + x.c12) AS current_c_ma,
        CASE (((x.q)::integer - 1) / 16)
            WHEN 0 THEN 'measured'::smf.quality
            WHEN 1 THEN 'adjusted'::smf.quality
            WHEN 2 THEN 'estimated'::smf.quality
            WHEN 3 THEN 'missing'::smf.quality
            ELSE NULL::smf.quality
        END AS quality,
        CASE (((x.q)::integer - 1) % 16)
            WHEN 0 THEN 'meter'::smf.reading_source
            WHEN 1 THEN 'backup_meter'::smf.reading_source
            WHEN 2 THEN 'estimate'::smf.reading_source
            WHEN 3 THEN 'import'::smf.reading_source
            WHEN 4 THEN 'manual'::smf.reading_source
            ELSE NULL::smf.reading_source
        END AS source,
    (x.b13 + x.c13) AS batch_id
   FROM ( SELECT s.meter_id,
            s.base[1] AS b1,
            s.base[2] AS b2,
            s.base[3] AS b3,
            s.base[4] AS b4,
            s.base[5] AS b5,
            s.base[6] AS b6,
            s.base[7] AS b7,
            s.base[8] AS b8,
            s.base[9] AS b9,
            s.base[10] AS b10,
            s.base[11] AS b11,
            s.base[12] AS b12,
            s.base[13] AS b13,
            generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
            unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
            unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
            unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
            unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
            unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
            unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
            unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
            unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
            unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
            unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
            unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
            unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
            unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
            unnest(s.qs) AS q
           FROM smf.interval_sealed s) x
  WHERE ((x.q)::integer <> 0);

COMMENT ON VIEW smf.interval_reading_all IS 'Every interval of every tier (hot rows and sealed periods), shaped like smf.interval_reading; filter by meter_id (smf.intervals for a range).';

CREATE TABLE smf.interval_reading_history (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    active_fwd_wh integer,
    active_rev_wh integer,
    reactive_ind_fwd_varh integer,
    reactive_ind_rev_varh integer,
    reactive_cap_fwd_varh integer,
    reactive_cap_rev_varh integer,
    voltage_a_mv integer,
    voltage_b_mv integer,
    voltage_c_mv integer,
    current_a_ma integer,
    current_b_ma integer,
    current_c_ma integer,
    quality smf.quality NOT NULL,
    source smf.reading_source NOT NULL,
    batch_id integer NOT NULL,
    superseded_at timestamp with time zone DEFAULT now() NOT NULL,
    superseded_by_batch integer,
    changed_by text DEFAULT CURRENT_USER NOT NULL,
    reason text
);

COMMENT ON TABLE smf.interval_reading_history IS 'Every superseded version of an interval row, with when, by whom, by which batch and why.';

CREATE VIEW smf.interval_sealed_rows WITH (security_invoker='on') AS
 SELECT x.meter_id,
    x.ts,
    (x.b1 + x.c1) AS active_fwd_wh,
    (x.b2 + x.c2) AS active_rev_wh,
    (x.b3 + x.c3) AS reactive_ind_fwd_varh,
    (x.b4 + x.c4) AS reactive_ind_rev_varh,
    (x.b5 + x.c5) AS reactive_cap_fwd_varh,
    (x.b6 + x.c6) AS reactive_cap_rev_varh,
    (x.b7 + x.c7) AS voltage_a_mv,
    (x.b8 + x.c8) AS voltage_b_mv,
    (x.b9 + x.c9) AS voltage_c_mv,
    (x.b10 + x.c10) AS current_a_ma,
    (x.b11 + x.c11) AS current_b_ma,
    (x.b12 + x.c12) AS current_c_ma,
        CASE (((x.q)::integer - 1) / 16)
            WHEN 0 THEN 'measured'::smf.quality
            WHEN 1 THEN 'adjusted'::smf.quality
            WHEN 2 THEN 'estimated'::smf.quality
            WHEN 3 THEN 'missing'::smf.quality
            ELSE NULL::smf.quality
        END AS quality,
        CASE (((x.q)::integer - 1) % 16)
            WHEN 0 THEN 'meter'::smf.reading_source
            WHEN 1 THEN 'backup_meter'::smf.reading_source
            WHEN 2 THEN 'estimate'::smf.reading_source
            WHEN 3 THEN 'import'::smf.reading_source
            WHEN 4 THEN 'manual'::smf.reading_source
            ELSE NULL::smf.reading_source
        END AS source,
    (x.b13 + x.c13) AS batch_id
   FROM ( SELECT s.meter_id,
            s.base[1] AS b1,
            s.base[2] AS b2,
            s.base[3] AS b3,
            s.base[4] AS b4,
            s.base[5] AS b5,
            s.base[6] AS b6,
            s.base[7] AS b7,
            s.base[8] AS b8,
            s.base[9] AS b9,
            s.base[10] AS b10,
            s.base[11] AS b11,
            s.base[12] AS b12,
            s.base[13] AS b13,
            generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
            unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
            unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
            unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
            unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
            unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
            unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
            unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
            unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
            unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
            unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
            unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
            unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
            unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
            unnest(s.qs) AS q
           FROM smf.interval_sealed s) x
  WHERE ((x.q)::integer <> 0);

COMMENT ON VIEW smf.interval_sealed_rows IS 'Every interval stored in sealed periods, shaped like smf.interval_reading (integer Wh, varh, mV, mA; ts the UTC interval start).';

CREATE TABLE smf.job_run (
    id bigint NOT NULL,
    job text NOT NULL,
    holder text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    outcome text DEFAULT 'running'::text NOT NULL,
    counts jsonb DEFAULT '{}'::jsonb NOT NULL,
    error text,
    CONSTRAINT job_run_outcome_check CHECK ((outcome = ANY (ARRAY['running'::text, 'ok'::text, 'error'::text])))
);

COMMENT ON TABLE smf.job_run IS 'Every run of a scheduled job: start, end, outcome, counts and error.';

ALTER TABLE smf.job_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.job_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.login_failure (
    source text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE VIEW smf.meter_15min WITH (security_invoker='on') AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (( SELECT rollup_15min.meter_id,
            rollup_15min.bucket,
            rollup_15min.active_fwd_wh,
            rollup_15min.active_rev_wh,
            rollup_15min.reactive_ind_fwd_varh,
            rollup_15min.reactive_ind_rev_varh,
            rollup_15min.reactive_cap_fwd_varh,
            rollup_15min.reactive_cap_rev_varh,
            rollup_15min.n_measured,
            rollup_15min.n_adjusted,
            rollup_15min.n_estimated,
            rollup_15min.n_missing,
            rollup_15min.n_expected,
            rollup_15min.voltage_a_mv_min,
            rollup_15min.voltage_a_mv_max,
            rollup_15min.voltage_a_mv_sum,
            rollup_15min.voltage_a_mv_n,
            rollup_15min.voltage_b_mv_min,
            rollup_15min.voltage_b_mv_max,
            rollup_15min.voltage_b_mv_sum,
            rollup_15min.voltage_b_mv_n,
            rollup_15min.voltage_c_mv_min,
            rollup_15min.voltage_c_mv_max,
            rollup_15min.voltage_c_mv_sum,
            rollup_15min.voltage_c_mv_n,
            rollup_15min.current_a_ma_min,
            rollup_15min.current_a_ma_max,
            rollup_15min.current_a_ma_sum,
            rollup_15min.current_a_ma_n,
            rollup_15min.current_b_ma_min,
            rollup_15min.current_b_ma_max,
            rollup_15min.current_b_ma_sum,
            rollup_15min.current_b_ma_n,
            rollup_15min.current_c_ma_min,
            rollup_15min.current_c_ma_max,
            rollup_15min.current_c_ma_sum,
            rollup_15min.current_c_ma_n,
            rollup_15min.max_demand_kw,
            rollup_15min.max_demand_at
           FROM smf.rollup_15min
        UNION ALL
         SELECT x.meter_id,
            public.time_bucket('00:15:00'::interval, x.ts) AS bucket,
            sum(x.active_fwd_wh) AS active_fwd_wh,
            sum(x.active_rev_wh) AS active_rev_wh,
            sum(x.reactive_ind_fwd_varh) AS reactive_ind_fwd_varh,
            sum(x.reactive_ind_rev_varh) AS reactive_ind_rev_varh,
            sum(x.reactive_cap_fwd_varh) AS reactive_cap_fwd_varh,
            sum(x.reactive_cap_rev_varh) AS reactive_cap_rev_varh,
            (count(*) FILTER (WHERE (x.quality = 'measured'::smf.quality)))::integer AS n_measured,
            (count(*) FILTER (WHERE (x.quality = 'adjusted'::smf.quality)))::integer AS n_adjusted,
            (count(*) FILTER (WHERE (x.quality = 'estimated'::smf.quality)))::integer AS n_estimated,
            (count(*) FILTER (WHERE (x.quality = 'missing'::smf.quality)))::integer AS n_missing,
            (15 / min(m_1.interval_minutes)) AS n_expected,
            min(x.voltage_a_mv) AS voltage_a_mv_min,
            max(x.voltage_a_mv) AS voltage_a_mv_max,
            sum(x.voltage_a_mv) AS voltage_a_mv_sum,
            (count(x.voltage_a_mv))::integer AS voltage_a_mv_n,
            min(x.voltage_b_mv) AS voltage_b_mv_min,
            max(x.voltage_b_mv) AS voltage_b_mv_max,
            sum(x.voltage_b_mv) AS voltage_b_mv_sum,
            (count(x.voltage_b_mv))::integer AS voltage_b_mv_n,
            min(x.voltage_c_mv) AS voltage_c_mv_min,
            max(x.voltage_c_mv) AS voltage_c_mv_max,
            sum(x.voltage_c_mv) AS voltage_c_mv_sum,
            (count(x.voltage_c_mv))::integer AS voltage_c_mv_n,
            min(x.current_a_ma) AS current_a_ma_min,
            max(x.current_a_ma) AS current_a_ma_max,
            sum(x.current_a_ma) AS current_a_ma_sum,
            (count(x.current_a_ma))::integer AS current_a_ma_n,
            min(x.current_b_ma) AS current_b_ma_min,
            max(x.current_b_ma) AS current_b_ma_max,
            sum(x.current_b_ma) AS current_b_ma_sum,
            (count(x.current_b_ma))::integer AS current_b_ma_n,
            min(x.current_c_ma) AS current_c_ma_min,
            max(x.current_c_ma) AS current_c_ma_max,
            sum(x.current_c_ma) AS current_c_ma_sum,
            (count(x.current_c_ma))::integer AS current_c_ma_n,
            (round((((sum(x.active_fwd_wh) * 4))::numeric / 1000.0), 3))::numeric(14,3) AS max_demand_kw,
            min(public.time_bucket('00:15:00'::interval, x.ts)) AS max_demand_at
           FROM (( SELECT x_1.meter_id,
                    x_1.ts,
                    (x_1.b1 + x_1.c1) AS active_fwd_wh,
                    (x_1.b2 + x_1.c2) AS active_rev_wh,
                    (x_1.b3 + x_1.c3) AS reactive_ind_fwd_varh,
                    (x_1.b4 + x_1.c4) AS reactive_ind_rev_varh,
                    (x_1.b5 + x_1.c5) AS reactive_cap_fwd_varh,
                    (x_1.b6 + x_1.c6) AS reactive_cap_rev_varh,
                    (x_1.b7 + x_1.c7) AS voltage_a_mv,
                    (x_1.b8 + x_1.c8) AS voltage_b_mv,
                    (x_1.b9 + x_1.c9) AS voltage_c_mv,
                    (x_1.b10 + x_1.c10) AS current_a_ma,
                    (x_1.b11 + x_1.c11) AS current_b_ma,
                    (x_1.b12 + x_1.c12) AS current_c_ma,
                        CASE (((x_1.q)::integer - 1) / 16)
                            WHEN 0 THEN 'measured'::smf.quality
                            WHEN 1 THEN 'adjusted'::smf.quality
                            WHEN 2 THEN 'estimated'::smf.quality
                            WHEN 3 THEN 'missing'::smf.quality
                            ELSE NULL::smf.quality
                        END AS quality,
                        CASE (((x_1.q)::integer - 1) % 16)
                            WHEN 0 THEN 'meter'::smf.reading_source
                            WHEN 1 THEN 'backup_meter'::smf.reading_source
                            WHEN 2 THEN 'estimate'::smf.reading_source
                            WHEN 3 THEN 'import'::smf.reading_source
                            WHEN 4 THEN 'manual'::smf.reading_source
                            ELSE NULL::smf.reading_source
                        END AS source,
                    (x_1.b13 + x_1.c13) AS batch_id
                   FROM ( SELECT s.meter_id,
                            s.base[1] AS b1,
                            s.base[2] AS b2,
                            s.base[3] AS b3,
                            s.base[4] AS b4,
                            s.base[5] AS b5,
                            s.base[6] AS b6,
                            s.base[7] AS b7,
                            s.base[8] AS b8,
                            s.base[9] AS b9,
                            s.base[10] AS b10,
                            s.base[11] AS b11,
                            s.base[12] AS b12,
                            s.base[13] AS b13,
                            generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                            unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                            unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                            unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                            unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                            unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                            unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                            unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                            unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                            unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                            unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                            unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                            unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                            unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                            unnest(s.qs) AS q
                           FROM smf.interval_sealed s) x_1
                  WHERE ((x_1.q)::integer <> 0)) x
             JOIN smf.meter m_1 ON ((m_1.id = x.meter_id)))
          GROUP BY x.meter_id, (public.time_bucket('00:15:00'::interval, x.ts))) r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

COMMENT ON VIEW smf.meter_15min IS 'One row per meter and 15-minute interval (bucket_start: the interval''s start, timestamptz UTC): energies in kWh/kvarh (3 decimals, exact sums of the stored Wh), voltage and current min/max/mean in V and A, completeness_pct (percent of expected intervals present), counts per quality, the maximum 15-minute demand (kW) and when.';

CREATE TABLE smf.meter_alteration (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    command_code smallint NOT NULL,
    reader_serial text NOT NULL,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE smf.meter_alteration IS 'Alteration log of meters (0x28): which command (0x29 date, 0x30 time, 0x20 demand reset ...) changed the meter, when (UTC) and from which reader.';

CREATE TABLE smf.meter_clock_policy (
    meter_id integer NOT NULL,
    auto_correct boolean,
    correct_min_s integer,
    correct_max_s integer,
    boundary_guard_s integer,
    CONSTRAINT meter_clock_policy_boundary_guard_s_check CHECK ((boundary_guard_s >= 0)),
    CONSTRAINT meter_clock_policy_correct_max_s_check CHECK ((correct_max_s > 0)),
    CONSTRAINT meter_clock_policy_correct_min_s_check CHECK ((correct_min_s > 0))
);

CREATE VIEW smf.meter_connectivity_daily WITH (security_invoker='on') AS
 SELECT a.meter_id,
    m.serial,
    (date_trunc('day'::text, (a.started_at AT TIME ZONE smf.local_timezone())) AT TIME ZONE smf.local_timezone()) AS day_start,
    count(*) AS sessions,
    count(*) FILTER (WHERE (a.outcome = 'ok'::text)) AS ok,
    round(((100.0 * (count(*) FILTER (WHERE (a.outcome = 'ok'::text)))::numeric) / (count(*))::numeric), 1) AS connectivity_pct,
    sum((a.bytes_in + a.bytes_out)) AS bytes
   FROM (smf.poll_attempt a
     JOIN smf.meter m ON ((m.id = a.meter_id)))
  GROUP BY a.meter_id, m.serial, ((date_trunc('day'::text, (a.started_at AT TIME ZONE smf.local_timezone())) AT TIME ZONE smf.local_timezone()));

COMMENT ON VIEW smf.meter_connectivity_daily IS 'Per meter and local day with sessions: sessions, successful ones and the daily connectivity (%), the quantity of alarm rule m.';

CREATE TABLE smf.rollup_day (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_day IS 'Per meter and local day (SMF local time zone): derived from rollup_hour.';

CREATE VIEW smf.meter_daily WITH (security_invoker='on') AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_day r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

COMMENT ON VIEW smf.meter_daily IS 'As smf.meter_15min, one row per meter and local day (smf.local_timezone(); bucket_start: the local midnight as timestamptz).';

CREATE TABLE smf.meter_event (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    dedupe_key text,
    CONSTRAINT meter_event_kind_check CHECK ((kind = ANY (ARRAY['clock_corrected'::text, 'clock_drift_large'::text, 'serial_changed'::text, 'plausibility_contradiction'::text, 'gap'::text, 'mm_layout_decided'::text, 'register_unit_decided'::text, 'interval_mismatch'::text, 'redecoded'::text, 'clock_correction_deferred'::text, 'clock_operator_set'::text, 'profile_kind_decided'::text, 'energy_unit_decided'::text, 'unknown_obis'::text, 'meter_log'::text, 'profile_status'::text])))
);

COMMENT ON TABLE smf.meter_event IS 'Conditions found while polling that need attention. Rows with the same (meter, kind, dedupe_key) are logged once.';

ALTER TABLE smf.meter_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE VIEW smf.meter_hourly WITH (security_invoker='on') AS
 SELECT r.meter_id,
    m.serial,
    r.bucket AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (( SELECT rollup_hour.meter_id,
            rollup_hour.bucket,
            rollup_hour.active_fwd_wh,
            rollup_hour.active_rev_wh,
            rollup_hour.reactive_ind_fwd_varh,
            rollup_hour.reactive_ind_rev_varh,
            rollup_hour.reactive_cap_fwd_varh,
            rollup_hour.reactive_cap_rev_varh,
            rollup_hour.n_measured,
            rollup_hour.n_adjusted,
            rollup_hour.n_estimated,
            rollup_hour.n_missing,
            rollup_hour.n_expected,
            rollup_hour.voltage_a_mv_min,
            rollup_hour.voltage_a_mv_max,
            rollup_hour.voltage_a_mv_sum,
            rollup_hour.voltage_a_mv_n,
            rollup_hour.voltage_b_mv_min,
            rollup_hour.voltage_b_mv_max,
            rollup_hour.voltage_b_mv_sum,
            rollup_hour.voltage_b_mv_n,
            rollup_hour.voltage_c_mv_min,
            rollup_hour.voltage_c_mv_max,
            rollup_hour.voltage_c_mv_sum,
            rollup_hour.voltage_c_mv_n,
            rollup_hour.current_a_ma_min,
            rollup_hour.current_a_ma_max,
            rollup_hour.current_a_ma_sum,
            rollup_hour.current_a_ma_n,
            rollup_hour.current_b_ma_min,
            rollup_hour.current_b_ma_max,
            rollup_hour.current_b_ma_sum,
            rollup_hour.current_b_ma_n,
            rollup_hour.current_c_ma_min,
            rollup_hour.current_c_ma_max,
            rollup_hour.current_c_ma_sum,
            rollup_hour.current_c_ma_n,
            rollup_hour.max_demand_kw,
            rollup_hour.max_demand_at,
            rollup_hour.active_fwd_wh_q_min_abs,
            rollup_hour.reactive_ind_fwd_varh_q_min_abs,
            rollup_hour.reactive_cap_fwd_varh_q_min_abs
           FROM smf.rollup_hour
        UNION ALL
         SELECT x.meter_id,
            public.time_bucket('01:00:00'::interval, x.bucket) AS bucket,
            (sum(x.active_fwd_wh))::bigint AS active_fwd_wh,
            (sum(x.active_rev_wh))::bigint AS active_rev_wh,
            (sum(x.reactive_ind_fwd_varh))::bigint AS reactive_ind_fwd_varh,
            (sum(x.reactive_ind_rev_varh))::bigint AS reactive_ind_rev_varh,
            (sum(x.reactive_cap_fwd_varh))::bigint AS reactive_cap_fwd_varh,
            (sum(x.reactive_cap_rev_varh))::bigint AS reactive_cap_rev_varh,
            (sum(x.n_measured))::integer AS n_measured,
            (sum(x.n_adjusted))::integer AS n_adjusted,
            (sum(x.n_estimated))::integer AS n_estimated,
            (sum(x.n_missing))::integer AS n_missing,
            (60 / min(m_1.interval_minutes)) AS n_expected,
            min(x.voltage_a_mv_min) AS voltage_a_mv_min,
            max(x.voltage_a_mv_max) AS voltage_a_mv_max,
            (sum(x.voltage_a_mv_sum))::bigint AS voltage_a_mv_sum,
            (sum(x.voltage_a_mv_n))::integer AS voltage_a_mv_n,
            min(x.voltage_b_mv_min) AS voltage_b_mv_min,
            max(x.voltage_b_mv_max) AS voltage_b_mv_max,
            (sum(x.voltage_b_mv_sum))::bigint AS voltage_b_mv_sum,
            (sum(x.voltage_b_mv_n))::integer AS voltage_b_mv_n,
            min(x.voltage_c_mv_min) AS voltage_c_mv_min,
            max(x.voltage_c_mv_max) AS voltage_c_mv_max,
            (sum(x.voltage_c_mv_sum))::bigint AS voltage_c_mv_sum,
            (sum(x.voltage_c_mv_n))::integer AS voltage_c_mv_n,
            min(x.current_a_ma_min) AS current_a_ma_min,
            max(x.current_a_ma_max) AS current_a_ma_max,
            (sum(x.current_a_ma_sum))::bigint AS current_a_ma_sum,
            (sum(x.current_a_ma_n))::integer AS current_a_ma_n,
            min(x.current_b_ma_min) AS current_b_ma_min,
            max(x.current_b_ma_max) AS current_b_ma_max,
            (sum(x.current_b_ma_sum))::bigint AS current_b_ma_sum,
            (sum(x.current_b_ma_n))::integer AS current_b_ma_n,
            min(x.current_c_ma_min) AS current_c_ma_min,
            max(x.current_c_ma_max) AS current_c_ma_max,
            (sum(x.current_c_ma_sum))::bigint AS current_c_ma_sum,
            (sum(x.current_c_ma_n))::integer AS current_c_ma_n,
            (max(x.max_demand_kw))::numeric(14,3) AS max_demand_kw,
            public.last(x.max_demand_at, ((x.max_demand_kw * ('100000000000'::bigint)::numeric) - EXTRACT(epoch FROM x.max_demand_at))) AS max_demand_at,
            min(abs(x.active_fwd_wh)) AS active_fwd_wh_q_min_abs,
            min(abs(x.reactive_ind_fwd_varh)) AS reactive_ind_fwd_varh_q_min_abs,
            min(abs(x.reactive_cap_fwd_varh)) AS reactive_cap_fwd_varh_q_min_abs
           FROM (( SELECT x_1.meter_id,
                    public.time_bucket('00:15:00'::interval, x_1.ts) AS bucket,
                    sum(x_1.active_fwd_wh) AS active_fwd_wh,
                    sum(x_1.active_rev_wh) AS active_rev_wh,
                    sum(x_1.reactive_ind_fwd_varh) AS reactive_ind_fwd_varh,
                    sum(x_1.reactive_ind_rev_varh) AS reactive_ind_rev_varh,
                    sum(x_1.reactive_cap_fwd_varh) AS reactive_cap_fwd_varh,
                    sum(x_1.reactive_cap_rev_varh) AS reactive_cap_rev_varh,
                    (count(*) FILTER (WHERE (x_1.quality = 'measured'::smf.quality)))::integer AS n_measured,
                    (count(*) FILTER (WHERE (x_1.quality = 'adjusted'::smf.quality)))::integer AS n_adjusted,
                    (count(*) FILTER (WHERE (x_1.quality = 'estimated'::smf.quality)))::integer AS n_estimated,
                    (count(*) FILTER (WHERE (x_1.quality = 'missing'::smf.quality)))::integer AS n_missing,
                    (15 / min(m_2.interval_minutes)) AS n_expected,
                    min(x_1.voltage_a_mv) AS voltage_a_mv_min,
                    max(x_1.voltage_a_mv) AS voltage_a_mv_max,
                    sum(x_1.voltage_a_mv) AS voltage_a_mv_sum,
                    (count(x_1.voltage_a_mv))::integer AS voltage_a_mv_n,
                    min(x_1.voltage_b_mv) AS voltage_b_mv_min,
                    max(x_1.voltage_b_mv) AS voltage_b_mv_max,
                    sum(x_1.voltage_b_mv) AS voltage_b_mv_sum,
                    (count(x_1.voltage_b_mv))::integer AS voltage_b_mv_n,
                    min(x_1.voltage_c_mv) AS voltage_c_mv_min,
                    max(x_1.voltage_c_mv) AS voltage_c_mv_max,
                    sum(x_1.voltage_c_mv) AS voltage_c_mv_sum,
                    (count(x_1.voltage_c_mv))::integer AS voltage_c_mv_n,
                    min(x_1.current_a_ma) AS current_a_ma_min,
                    max(x_1.current_a_ma) AS current_a_ma_max,
                    sum(x_1.current_a_ma) AS current_a_ma_sum,
                    (count(x_1.current_a_ma))::integer AS current_a_ma_n,
                    min(x_1.current_b_ma) AS current_b_ma_min,
                    max(x_1.current_b_ma) AS current_b_ma_max,
                    sum(x_1.current_b_ma) AS current_b_ma_sum,
                    (count(x_1.current_b_ma))::integer AS current_b_ma_n,
                    min(x_1.current_c_ma) AS current_c_ma_min,
                    max(x_1.current_c_ma) AS current_c_ma_max,
                    sum(x_1.current_c_ma) AS current_c_ma_sum,
                    (count(x_1.current_c_ma))::integer AS current_c_ma_n,
                    (round((((sum(x_1.active_fwd_wh) * 4))::numeric / 1000.0), 3))::numeric(14,3) AS max_demand_kw,
                    min(public.time_bucket('00:15:00'::interval, x_1.ts)) AS max_demand_at
                   FROM (( SELECT x_2.meter_id,
                            x_2.ts,
                            (x_2.b1 + x_2.c1) AS active_fwd_wh,
                            (x_2.b2 + x_2.c2) AS active_rev_wh,
                            (x_2.b3 + x_2.c3) AS reactive_ind_fwd_varh,
                            (x_2.b4 + x_2.c4) AS reactive_ind_rev_varh,
                            (x_2.b5 + x_2.c5) AS reactive_cap_fwd_varh,
                            (x_2.b6 + x_2.c6) AS reactive_cap_rev_varh,
                            (x_2.b7 + x_2.c7) AS voltage_a_mv,
                            (x_2.b8 + x_2.c8) AS voltage_b_mv,
                            (x_2.b9 + x_2.c9) AS voltage_c_mv,
                            (x_2.b10 + x_2.c10) AS current_a_ma,
                            (x_2.b11 + x_2.c11) AS current_b_ma,
                            (x_2.b12 + x_2.c12) AS current_c_ma,
                                CASE (((x_2.q)::integer - 1) / 16)
                                    WHEN 0 THEN 'measured'::smf.quality
                                    WHEN 1 THEN 'adjusted'::smf.quality
                                    WHEN 2 THEN 'estimated'::smf.quality
                                    WHEN 3 THEN 'missing'::smf.quality
                                    ELSE NULL::smf.quality
                                END AS quality,
                                CASE (((x_2.q)::integer - 1) % 16)
                                    WHEN 0 THEN 'meter'::smf.reading_source
                                    WHEN 1 THEN 'backup_meter'::smf.reading_source
                                    WHEN 2 THEN 'estimate'::smf.reading_source
                                    WHEN 3 THEN 'import'::smf.reading_source
                                    WHEN 4 THEN 'manual'::smf.reading_source
                                    ELSE NULL::smf.reading_source
                                END AS source,
                            (x_2.b13 + x_2.c13) AS batch_id
                           FROM ( SELECT s.meter_id,
                                    s.base[1] AS b1,
                                    s.base[2] AS b2,
                                    s.base[3] AS b3,
                                    s.base[4] AS b4,
                                    s.base[5] AS b5,
                                    s.base[6] AS b6,
                                    s.base[7] AS b7,
                                    s.base[8] AS b8,
                                    s.base[9] AS b9,
                                    s.base[10] AS b10,
                                    s.base[11] AS b11,
                                    s.base[12] AS b12,
                                    s.base[13] AS b13,
                                    generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                                    unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                                    unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                                    unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                                    unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                                    unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                                    unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                                    unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                                    unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                                    unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                                    unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                                    unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                                    unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                                    unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                                    unnest(s.qs) AS q
                                   FROM smf.interval_sealed s) x_2
                          WHERE ((x_2.q)::integer <> 0)) x_1
                     JOIN smf.meter m_2 ON ((m_2.id = x_1.meter_id)))
                  GROUP BY x_1.meter_id, (public.time_bucket('00:15:00'::interval, x_1.ts))) x
             JOIN smf.meter m_1 ON ((m_1.id = x.meter_id)))
          GROUP BY x.meter_id, (public.time_bucket('01:00:00'::interval, x.bucket))) r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

COMMENT ON VIEW smf.meter_hourly IS 'As smf.meter_15min, one row per meter and clock hour (UTC hour start in bucket_start).';

ALTER TABLE smf.meter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE smf.meter_monitoring ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.meter_monitoring_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.rollup_month (
    meter_id integer NOT NULL,
    bucket date NOT NULL,
    active_fwd_wh bigint,
    active_rev_wh bigint,
    reactive_ind_fwd_varh bigint,
    reactive_ind_rev_varh bigint,
    reactive_cap_fwd_varh bigint,
    reactive_cap_rev_varh bigint,
    n_measured integer NOT NULL,
    n_adjusted integer NOT NULL,
    n_estimated integer NOT NULL,
    n_missing integer NOT NULL,
    n_expected integer NOT NULL,
    voltage_a_mv_min integer,
    voltage_a_mv_max integer,
    voltage_a_mv_sum bigint,
    voltage_a_mv_n integer NOT NULL,
    voltage_b_mv_min integer,
    voltage_b_mv_max integer,
    voltage_b_mv_sum bigint,
    voltage_b_mv_n integer NOT NULL,
    voltage_c_mv_min integer,
    voltage_c_mv_max integer,
    voltage_c_mv_sum bigint,
    voltage_c_mv_n integer NOT NULL,
    current_a_ma_min integer,
    current_a_ma_max integer,
    current_a_ma_sum bigint,
    current_a_ma_n integer NOT NULL,
    current_b_ma_min integer,
    current_b_ma_max integer,
    current_b_ma_sum bigint,
    current_b_ma_n integer NOT NULL,
    current_c_ma_min integer,
    current_c_ma_max integer,
    current_c_ma_sum bigint,
    current_c_ma_n integer NOT NULL,
    max_demand_kw numeric(14,3),
    max_demand_at timestamp with time zone
);

COMMENT ON TABLE smf.rollup_month IS 'Per meter and local month (first day): derived from rollup_day.';

CREATE VIEW smf.meter_monthly WITH (security_invoker='on') AS
 SELECT r.meter_id,
    m.serial,
    ((r.bucket)::timestamp without time zone AT TIME ZONE smf.local_timezone()) AS bucket_start,
    (((r.active_fwd_wh)::numeric / 1000.0))::numeric(18,3) AS active_fwd_kwh,
    (((r.active_rev_wh)::numeric / 1000.0))::numeric(18,3) AS active_rev_kwh,
    (((r.reactive_ind_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_fwd_kvarh,
    (((r.reactive_ind_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_ind_rev_kvarh,
    (((r.reactive_cap_fwd_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_fwd_kvarh,
    (((r.reactive_cap_rev_varh)::numeric / 1000.0))::numeric(18,3) AS reactive_cap_rev_kvarh,
    round(((100.0 * (((r.n_measured + r.n_adjusted) + r.n_estimated))::numeric) / (r.n_expected)::numeric), 2) AS completeness_pct,
    r.n_measured,
    r.n_adjusted,
    r.n_estimated,
    r.n_missing,
    r.n_expected,
    (((r.voltage_a_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_min,
    (((r.voltage_a_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_a_v_max,
    round((((r.voltage_a_mv_sum / NULLIF(r.voltage_a_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_a_v_mean,
    (((r.voltage_b_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_min,
    (((r.voltage_b_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_b_v_max,
    round((((r.voltage_b_mv_sum / NULLIF(r.voltage_b_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_b_v_mean,
    (((r.voltage_c_mv_min)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_min,
    (((r.voltage_c_mv_max)::numeric / 1000.0))::numeric(12,3) AS voltage_c_v_max,
    round((((r.voltage_c_mv_sum / NULLIF(r.voltage_c_mv_n, 0)))::numeric / 1000.0), 3) AS voltage_c_v_mean,
    (((r.current_a_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_a_a_min,
    (((r.current_a_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_a_a_max,
    round((((r.current_a_ma_sum / NULLIF(r.current_a_ma_n, 0)))::numeric / 1000.0), 3) AS current_a_a_mean,
    (((r.current_b_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_b_a_min,
    (((r.current_b_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_b_a_max,
    round((((r.current_b_ma_sum / NULLIF(r.current_b_ma_n, 0)))::numeric / 1000.0), 3) AS current_b_a_mean,
    (((r.current_c_ma_min)::numeric / 1000.0))::numeric(12,3) AS current_c_a_min,
    (((r.current_c_ma_max)::numeric / 1000.0))::numeric(12,3) AS current_c_a_max,
    round((((r.current_c_ma_sum / NULLIF(r.current_c_ma_n, 0)))::numeric / 1000.0), 3) AS current_c_a_mean,
    r.max_demand_kw,
    r.max_demand_at
   FROM (smf.rollup_month r
     JOIN smf.meter m ON ((m.id = r.meter_id)));

COMMENT ON VIEW smf.meter_monthly IS 'As smf.meter_15min, one row per meter and local month (bucket_start: local midnight of the first day as timestamptz).';

CREATE TABLE smf.meter_outage (
    meter_id integer NOT NULL,
    start_at timestamp with time zone NOT NULL,
    end_at timestamp with time zone,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meter_outage_check CHECK (((end_at IS NULL) OR (end_at >= start_at)))
);

COMMENT ON TABLE smf.meter_outage IS 'Supply outages reported by meters (0x25), UTC; every record ever reported, once. end_at null: still open when read.';

CREATE TABLE smf.meter_session_lease (
    meter_id integer NOT NULL,
    holder text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE smf.meter_session_lease IS 'Who is talking to a meter now (host:pid of a poller) and until when the lease holds if that poller dies.';

CREATE TABLE smf.pld (
    submarket smf.submarket NOT NULL,
    hour timestamp with time zone NOT NULL,
    price numeric(12,2) NOT NULL,
    CONSTRAINT pld_hour_check CHECK ((((EXTRACT(epoch FROM hour))::bigint % (3600)::bigint) = 0))
);

COMMENT ON TABLE smf.pld IS 'Hourly spot price (PLD) per submarket, R$/MWh, by hour-beginning instant.';

CREATE TABLE smf.posto_schedule (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    valid_during daterange NOT NULL,
    ponta_start time without time zone NOT NULL,
    ponta_minutes smallint DEFAULT 180 NOT NULL,
    capacitive_start time without time zone DEFAULT '00:00:00'::time without time zone NOT NULL,
    capacitive_minutes smallint DEFAULT 360 NOT NULL,
    reservado_start time without time zone,
    reservado_minutes smallint,
    intermediario_minutes smallint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT posto_schedule_check CHECK (((reservado_start IS NULL) = (reservado_minutes IS NULL))),
    CONSTRAINT posto_schedule_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.posto_schedule IS 'Postos tarifários of a distributor per validity period (local time): ponta (weekdays that are not tariff holidays), the capacitive reactive window (every day), reservado and intermediário (minutes before and after ponta) where they exist.';

ALTER TABLE smf.posto_schedule ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.posto_schedule_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.raw_read (
    meter_id integer NOT NULL,
    read_at timestamp with time zone NOT NULL,
    layout text NOT NULL,
    n_blocks integer NOT NULL,
    blocks bytea NOT NULL,
    CONSTRAINT raw_read_n_blocks_check CHECK ((n_blocks >= 0))
);

COMMENT ON TABLE smf.raw_read IS 'Raw response bodies of each successful read (read_at = the session start, as in poll_attempt): zlib-compressed concatenation of 256-octet bodies in arrival order, and the mass-memory layout they were decoded with.';

CREATE TABLE smf.read_request (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    kind text DEFAULT 'intervals'::text NOT NULL,
    requested_by integer,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    claimed_by text,
    claimed_at timestamp with time zone,
    finished_at timestamp with time zone,
    result jsonb,
    error text,
    CONSTRAINT read_request_kind_check CHECK ((kind = ANY (ARRAY['intervals'::text, 'registers'::text, 'instantaneous'::text, 'full'::text]))),
    CONSTRAINT read_request_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'done'::text, 'failed'::text])))
);

COMMENT ON TABLE smf.read_request IS 'On-demand reads asked through the API; the poller claims them (NOTIFY smf_read_request).';

ALTER TABLE smf.read_request ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.read_request_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.reading_disagreement (
    id bigint NOT NULL,
    batch_id integer NOT NULL,
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    channel text NOT NULL,
    stored_value bigint NOT NULL,
    stored_source smf.reading_source NOT NULL,
    stored_batch_id integer NOT NULL,
    incoming_value bigint NOT NULL,
    incoming_source smf.reading_source NOT NULL,
    kept text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reading_disagreement_kept_check CHECK ((kept = ANY (ARRAY['stored'::text, 'incoming'::text])))
);

COMMENT ON TABLE smf.reading_disagreement IS 'Measured values of one interval and channel that two sources gave differently (stored integer units: Wh, varh, mV, mA), and which one was kept.';

ALTER TABLE smf.reading_disagreement ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.reading_disagreement_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.register_reading (
    meter_id integer NOT NULL,
    at timestamp with time zone NOT NULL,
    period text NOT NULL,
    channel smallint NOT NULL,
    registers bigint[] NOT NULL,
    demands bigint[] NOT NULL,
    read_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT register_reading_channel_check CHECK (((channel >= 1) AND (channel <= 3))),
    CONSTRAINT register_reading_demands_check CHECK ((cardinality(demands) = 7)),
    CONSTRAINT register_reading_period_check CHECK ((period = ANY (ARRAY['current'::text, 'previous'::text]))),
    CONSTRAINT register_reading_registers_check CHECK ((cardinality(registers) = 7))
);

COMMENT ON TABLE smf.register_reading IS 'Registers 0x23 (current period, at = meter clock of the read, UTC) and 0x24 (previous period, at = the demand reset that closed it), raw as read. registers: total, ponta, ufer_ponta, fora_ponta, ufer_fora_ponta, reservado, ufer_reservado; demands: last_interval, max_ponta, dmcr_ponta, max_fora_ponta, dmcr_fora_ponta, max_reservado, dmcr_reservado.';

CREATE VIEW smf.rollup_15min_all WITH (security_invoker='on') AS
 SELECT rollup_15min.meter_id,
    rollup_15min.bucket,
    rollup_15min.active_fwd_wh,
    rollup_15min.active_rev_wh,
    rollup_15min.reactive_ind_fwd_varh,
    rollup_15min.reactive_ind_rev_varh,
    rollup_15min.reactive_cap_fwd_varh,
    rollup_15min.reactive_cap_rev_varh,
    rollup_15min.n_measured,
    rollup_15min.n_adjusted,
    rollup_15min.n_estimated,
    rollup_15min.n_missing,
    rollup_15min.n_expected,
    rollup_15min.voltage_a_mv_min,
    rollup_15min.voltage_a_mv_max,
    rollup_15min.voltage_a_mv_sum,
    rollup_15min.voltage_a_mv_n,
    rollup_15min.voltage_b_mv_min,
    rollup_15min.voltage_b_mv_max,
    rollup_15min.voltage_b_mv_sum,
    rollup_15min.voltage_b_mv_n,
    rollup_15min.voltage_c_mv_min,
    rollup_15min.voltage_c_mv_max,
    rollup_15min.voltage_c_mv_sum,
    rollup_15min.voltage_c_mv_n,
    rollup_15min.current_a_ma_min,
    rollup_15min.current_a_ma_max,
    rollup_15min.current_a_ma_sum,
    rollup_15min.current_a_ma_n,
    rollup_15min.current_b_ma_min,
    rollup_15min.current_b_ma_max,
    rollup_15min.current_b_ma_sum,
    rollup_15min.current_b_ma_n,
    rollup_15min.current_c_ma_min,
    rollup_15min.current_c_ma_max,
    rollup_15min.current_c_ma_sum,
    rollup_15min.current_c_ma_n,
    rollup_15min.max_demand_kw,
    rollup_15min.max_demand_at
   FROM smf.rollup_15min
UNION ALL
 SELECT x.meter_id,
    public.time_bucket('00:15:00'::interval, x.ts) AS bucket,
    sum(x.active_fwd_wh) AS active_fwd_wh,
    sum(x.active_rev_wh) AS active_rev_wh,
    sum(x.reactive_ind_fwd_varh) AS reactive_ind_fwd_varh,
    sum(x.reactive_ind_rev_varh) AS reactive_ind_rev_varh,
    sum(x.reactive_cap_fwd_varh) AS reactive_cap_fwd_varh,
    sum(x.reactive_cap_rev_varh) AS reactive_cap_rev_varh,
    (count(*) FILTER (WHERE (x.quality = 'measured'::smf.quality)))::integer AS n_measured,
    (count(*) FILTER (WHERE (x.quality = 'adjusted'::smf.quality)))::integer AS n_adjusted,
    (count(*) FILTER (WHERE (x.quality = 'estimated'::smf.quality)))::integer AS n_estimated,
    (count(*) FILTER (WHERE (x.quality = 'missing'::smf.quality)))::integer AS n_missing,
    (15 / min(m.interval_minutes)) AS n_expected,
    min(x.voltage_a_mv) AS voltage_a_mv_min,
    max(x.voltage_a_mv) AS voltage_a_mv_max,
    sum(x.voltage_a_mv) AS voltage_a_mv_sum,
    (count(x.voltage_a_mv))::integer AS voltage_a_mv_n,
    min(x.voltage_b_mv) AS voltage_b_mv_min,
    max(x.voltage_b_mv) AS voltage_b_mv_max,
    sum(x.voltage_b_mv) AS voltage_b_mv_sum,
    (count(x.voltage_b_mv))::integer AS voltage_b_mv_n,
    min(x.voltage_c_mv) AS voltage_c_mv_min,
    max(x.voltage_c_mv) AS voltage_c_mv_max,
    sum(x.voltage_c_mv) AS voltage_c_mv_sum,
    (count(x.voltage_c_mv))::integer AS voltage_c_mv_n,
    min(x.current_a_ma) AS current_a_ma_min,
    max(x.current_a_ma) AS current_a_ma_max,
    sum(x.current_a_ma) AS current_a_ma_sum,
    (count(x.current_a_ma))::integer AS current_a_ma_n,
    min(x.current_b_ma) AS current_b_ma_min,
    max(x.current_b_ma) AS current_b_ma_max,
    sum(x.current_b_ma) AS current_b_ma_sum,
    (count(x.current_b_ma))::integer AS current_b_ma_n,
    min(x.current_c_ma) AS current_c_ma_min,
    max(x.current_c_ma) AS current_c_ma_max,
    sum(x.current_c_ma) AS current_c_ma_sum,
    (count(x.current_c_ma))::integer AS current_c_ma_n,
    (round((((sum(x.active_fwd_wh) * 4))::numeric / 1000.0), 3))::numeric(14,3) AS max_demand_kw,
    min(public.time_bucket('00:15:00'::interval, x.ts)) AS max_demand_at
   FROM (( SELECT x_1.meter_id,
            x_1.ts,
            (x_1.b1 + x_1.c1) AS active_fwd_wh,
            (x_1.b2 + x_1.c2) AS active_rev_wh,
            (x_1.b3 + x_1.c3) AS reactive_ind_fwd_varh,
            (x_1.b4 + x_1.c4) AS reactive_ind_rev_varh,
            (x_1.b5 + x_1.c5) AS reactive_cap_fwd_varh,
            (x_1.b6 + x_1.c6) AS reactive_cap_rev_varh,
            (x_1.b7 + x_1.c7) AS voltage_a_mv,
            (x_1.b8 + x_1.c8) AS voltage_b_mv,
            (x_1.b9 + x_1.c9) AS voltage_c_mv,
            (x_1.b10 + x_1.c10) AS current_a_ma,
            (x_1.b11 + x_1.c11) AS current_b_ma,
            (x_1.b12 + x_1.c12) AS current_c_ma,
                CASE (((x_1.q)::integer - 1) / 16)
                    WHEN 0 THEN 'measured'::smf.quality
                    WHEN 1 THEN 'adjusted'::smf.quality
                    WHEN 2 THEN 'estimated'::smf.quality
                    WHEN 3 THEN 'missing'::smf.quality
                    ELSE NULL::smf.quality
                END AS quality,
                CASE (((x_1.q)::integer - 1) % 16)
                    WHEN 0 THEN 'meter'::smf.reading_source
                    WHEN 1 THEN 'backup_meter'::smf.reading_source
                    WHEN 2 THEN 'estimate'::smf.reading_source
                    WHEN 3 THEN 'import'::smf.reading_source
                    WHEN 4 THEN 'manual'::smf.reading_source
                    ELSE NULL::smf.reading_source
                END AS source,
            (x_1.b13 + x_1.c13) AS batch_id
           FROM ( SELECT s.meter_id,
                    s.base[1] AS b1,
                    s.base[2] AS b2,
                    s.base[3] AS b3,
                    s.base[4] AS b4,
                    s.base[5] AS b5,
                    s.base[6] AS b6,
                    s.base[7] AS b7,
                    s.base[8] AS b8,
                    s.base[9] AS b9,
                    s.base[10] AS b10,
                    s.base[11] AS b11,
                    s.base[12] AS b12,
                    s.base[13] AS b13,
                    generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                    unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                    unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                    unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                    unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                    unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                    unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                    unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                    unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                    unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                    unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                    unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                    unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                    unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                    unnest(s.qs) AS q
                   FROM smf.interval_sealed s) x_1
          WHERE ((x_1.q)::integer <> 0)) x
     JOIN smf.meter m ON ((m.id = x.meter_id)))
  GROUP BY x.meter_id, (public.time_bucket('00:15:00'::interval, x.ts));

COMMENT ON VIEW smf.rollup_15min_all IS 'The stored 15-minute rollups of hot data and those derived from sealed periods, shaped like smf.rollup_15min.';

CREATE VIEW smf.rollup_hour_all WITH (security_invoker='on') AS
 SELECT rollup_hour.meter_id,
    rollup_hour.bucket,
    rollup_hour.active_fwd_wh,
    rollup_hour.active_rev_wh,
    rollup_hour.reactive_ind_fwd_varh,
    rollup_hour.reactive_ind_rev_varh,
    rollup_hour.reactive_cap_fwd_varh,
    rollup_hour.reactive_cap_rev_varh,
    rollup_hour.n_measured,
    rollup_hour.n_adjusted,
    rollup_hour.n_estimated,
    rollup_hour.n_missing,
    rollup_hour.n_expected,
    rollup_hour.voltage_a_mv_min,
    rollup_hour.voltage_a_mv_max,
    rollup_hour.voltage_a_mv_sum,
    rollup_hour.voltage_a_mv_n,
    rollup_hour.voltage_b_mv_min,
    rollup_hour.voltage_b_mv_max,
    rollup_hour.voltage_b_mv_sum,
    rollup_hour.voltage_b_mv_n,
    rollup_hour.voltage_c_mv_min,
    rollup_hour.voltage_c_mv_max,
    rollup_hour.voltage_c_mv_sum,
    rollup_hour.voltage_c_mv_n,
    rollup_hour.current_a_ma_min,
    rollup_hour.current_a_ma_max,
    rollup_hour.current_a_ma_sum,
    rollup_hour.current_a_ma_n,
    rollup_hour.current_b_ma_min,
    rollup_hour.current_b_ma_max,
    rollup_hour.current_b_ma_sum,
    rollup_hour.current_b_ma_n,
    rollup_hour.current_c_ma_min,
    rollup_hour.current_c_ma_max,
    rollup_hour.current_c_ma_sum,
    rollup_hour.current_c_ma_n,
    rollup_hour.max_demand_kw,
    rollup_hour.max_demand_at,
    rollup_hour.active_fwd_wh_q_min_abs,
    rollup_hour.reactive_ind_fwd_varh_q_min_abs,
    rollup_hour.reactive_cap_fwd_varh_q_min_abs
   FROM smf.rollup_hour
UNION ALL
 SELECT x.meter_id,
    public.time_bucket('01:00:00'::interval, x.bucket) AS bucket,
    (sum(x.active_fwd_wh))::bigint AS active_fwd_wh,
    (sum(x.active_rev_wh))::bigint AS active_rev_wh,
    (sum(x.reactive_ind_fwd_varh))::bigint AS reactive_ind_fwd_varh,
    (sum(x.reactive_ind_rev_varh))::bigint AS reactive_ind_rev_varh,
    (sum(x.reactive_cap_fwd_varh))::bigint AS reactive_cap_fwd_varh,
    (sum(x.reactive_cap_rev_varh))::bigint AS reactive_cap_rev_varh,
    (sum(x.n_measured))::integer AS n_measured,
    (sum(x.n_adjusted))::integer AS n_adjusted,
    (sum(x.n_estimated))::integer AS n_estimated,
    (sum(x.n_missing))::integer AS n_missing,
    (60 / min(m.interval_minutes)) AS n_expected,
    min(x.voltage_a_mv_min) AS voltage_a_mv_min,
    max(x.voltage_a_mv_max) AS voltage_a_mv_max,
    (sum(x.voltage_a_mv_sum))::bigint AS voltage_a_mv_sum,
    (sum(x.voltage_a_mv_n))::integer AS voltage_a_mv_n,
    min(x.voltage_b_mv_min) AS voltage_b_mv_min,
    max(x.voltage_b_mv_max) AS voltage_b_mv_max,
    (sum(x.voltage_b_mv_sum))::bigint AS voltage_b_mv_sum,
    (sum(x.voltage_b_mv_n))::integer AS voltage_b_mv_n,
    min(x.voltage_c_mv_min) AS voltage_c_mv_min,
    max(x.voltage_c_mv_max) AS voltage_c_mv_max,
    (sum(x.voltage_c_mv_sum))::bigint AS voltage_c_mv_sum,
    (sum(x.voltage_c_mv_n))::integer AS voltage_c_mv_n,
    min(x.current_a_ma_min) AS current_a_ma_min,
    max(x.current_a_ma_max) AS current_a_ma_max,
    (sum(x.current_a_ma_sum))::bigint AS current_a_ma_sum,
    (sum(x.current_a_ma_n))::integer AS current_a_ma_n,
    min(x.current_b_ma_min) AS current_b_ma_min,
    max(x.current_b_ma_max) AS current_b_ma_max,
    (sum(x.current_b_ma_sum))::bigint AS current_b_ma_sum,
    (sum(x.current_b_ma_n))::integer AS current_b_ma_n,
    min(x.current_c_ma_min) AS current_c_ma_min,
    max(x.current_c_ma_max) AS current_c_ma_max,
    (sum(x.current_c_ma_sum))::bigint AS current_c_ma_sum,
    (sum(x.current_c_ma_n))::integer AS current_c_ma_n,
    (max(x.max_demand_kw))::numeric(14,3) AS max_demand_kw,
    public.last(x.max_demand_at, ((x.max_demand_kw * ('100000000000'::bigint)::numeric) - EXTRACT(epoch FROM x.max_demand_at))) AS max_demand_at,
    min(abs(x.active_fwd_wh)) AS active_fwd_wh_q_min_abs,
    min(abs(x.reactive_ind_fwd_varh)) AS reactive_ind_fwd_varh_q_min_abs,
    min(abs(x.reactive_cap_fwd_varh)) AS reactive_cap_fwd_varh_q_min_abs
   FROM (( SELECT x_1.meter_id,
            public.time_bucket('00:15:00'::interval, x_1.ts) AS bucket,
            sum(x_1.active_fwd_wh) AS active_fwd_wh,
            sum(x_1.active_rev_wh) AS active_rev_wh,
            sum(x_1.reactive_ind_fwd_varh) AS reactive_ind_fwd_varh,
            sum(x_1.reactive_ind_rev_varh) AS reactive_ind_rev_varh,
            sum(x_1.reactive_cap_fwd_varh) AS reactive_cap_fwd_varh,
            sum(x_1.reactive_cap_rev_varh) AS reactive_cap_rev_varh,
            (count(*) FILTER (WHERE (x_1.quality = 'measured'::smf.quality)))::integer AS n_measured,
            (count(*) FILTER (WHERE (x_1.quality = 'adjusted'::smf.quality)))::integer AS n_adjusted,
            (count(*) FILTER (WHERE (x_1.quality = 'estimated'::smf.quality)))::integer AS n_estimated,
            (count(*) FILTER (WHERE (x_1.quality = 'missing'::smf.quality)))::integer AS n_missing,
            (15 / min(m_1.interval_minutes)) AS n_expected,
            min(x_1.voltage_a_mv) AS voltage_a_mv_min,
            max(x_1.voltage_a_mv) AS voltage_a_mv_max,
            sum(x_1.voltage_a_mv) AS voltage_a_mv_sum,
            (count(x_1.voltage_a_mv))::integer AS voltage_a_mv_n,
            min(x_1.voltage_b_mv) AS voltage_b_mv_min,
            max(x_1.voltage_b_mv) AS voltage_b_mv_max,
            sum(x_1.voltage_b_mv) AS voltage_b_mv_sum,
            (count(x_1.voltage_b_mv))::integer AS voltage_b_mv_n,
            min(x_1.voltage_c_mv) AS voltage_c_mv_min,
            max(x_1.voltage_c_mv) AS voltage_c_mv_max,
            sum(x_1.voltage_c_mv) AS voltage_c_mv_sum,
            (count(x_1.voltage_c_mv))::integer AS voltage_c_mv_n,
            min(x_1.current_a_ma) AS current_a_ma_min,
            max(x_1.current_a_ma) AS current_a_ma_max,
            sum(x_1.current_a_ma) AS current_a_ma_sum,
            (count(x_1.current_a_ma))::integer AS current_a_ma_n,
            min(x_1.current_b_ma) AS current_b_ma_min,
            max(x_1.current_b_ma) AS current_b_ma_max,
            sum(x_1.current_b_ma) AS current_b_ma_sum,
            (count(x_1.current_b_ma))::integer AS current_b_ma_n,
            min(x_1.current_c_ma) AS current_c_ma_min,
            max(x_1.current_c_ma) AS current_c_ma_max,
            sum(x_1.current_c_ma) AS current_c_ma_sum,
            (count(x_1.current_c_ma))::integer AS current_c_ma_n,
            (round((((sum(x_1.active_fwd_wh) * 4))::numeric / 1000.0), 3))::numeric(14,3) AS max_demand_kw,
            min(public.time_bucket('00:15:00'::interval, x_1.ts)) AS max_demand_at
           FROM (( SELECT x_2.meter_id,
                    x_2.ts,
                    (x_2.b1 + x_2.c1) AS active_fwd_wh,
                    (x_2.b2 + x_2.c2) AS active_rev_wh,
                    (x_2.b3 + x_2.c3) AS reactive_ind_fwd_varh,
                    (x_2.b4 + x_2.c4) AS reactive_ind_rev_varh,
                    (x_2.b5 + x_2.c5) AS reactive_cap_fwd_varh,
                    (x_2.b6 + x_2.c6) AS reactive_cap_rev_varh,
                    (x_2.b7 + x_2.c7) AS voltage_a_mv,
                    (x_2.b8 + x_2.c8) AS voltage_b_mv,
                    (x_2.b9 + x_2.c9) AS voltage_c_mv,
                    (x_2.b10 + x_2.c10) AS current_a_ma,
                    (x_2.b11 + x_2.c11) AS current_b_ma,
                    (x_2.b12 + x_2.c12) AS current_c_ma,
                        CASE (((x_2.q)::integer - 1) / 16)
                            WHEN 0 THEN 'measured'::smf.quality
                            WHEN 1 THEN 'adjusted'::smf.quality
                            WHEN 2 THEN 'estimated'::smf.quality
                            WHEN 3 THEN 'missing'::smf.quality
                            ELSE NULL::smf.quality
                        END AS quality,
                        CASE (((x_2.q)::integer - 1) % 16)
                            WHEN 0 THEN 'meter'::smf.reading_source
                            WHEN 1 THEN 'backup_meter'::smf.reading_source
                            WHEN 2 THEN 'estimate'::smf.reading_source
                            WHEN 3 THEN 'import'::smf.reading_source
                            WHEN 4 THEN 'manual'::smf.reading_source
                            ELSE NULL::smf.reading_source
                        END AS source,
                    (x_2.b13 + x_2.c13) AS batch_id
                   FROM ( SELECT s.meter_id,
                            s.base[1] AS b1,
                            s.base[2] AS b2,
                            s.base[3] AS b3,
                            s.base[4] AS b4,
                            s.base[5] AS b5,
                            s.base[6] AS b6,
                            s.base[7] AS b7,
                            s.base[8] AS b8,
                            s.base[9] AS b9,
                            s.base[10] AS b10,
                            s.base[11] AS b11,
                            s.base[12] AS b12,
                            s.base[13] AS b13,
                            generate_series(s.period_start, (s.period_end - '00:00:00.000001'::interval), make_interval(mins => (s.interval_minutes)::integer)) AS ts,
                            unnest(smf.sealed_channel(s.width[1], s.pos[1], s.slots, s.v1, s.v2, s.v4)) AS c1,
                            unnest(smf.sealed_channel(s.width[2], s.pos[2], s.slots, s.v1, s.v2, s.v4)) AS c2,
                            unnest(smf.sealed_channel(s.width[3], s.pos[3], s.slots, s.v1, s.v2, s.v4)) AS c3,
                            unnest(smf.sealed_channel(s.width[4], s.pos[4], s.slots, s.v1, s.v2, s.v4)) AS c4,
                            unnest(smf.sealed_channel(s.width[5], s.pos[5], s.slots, s.v1, s.v2, s.v4)) AS c5,
                            unnest(smf.sealed_channel(s.width[6], s.pos[6], s.slots, s.v1, s.v2, s.v4)) AS c6,
                            unnest(smf.sealed_channel(s.width[7], s.pos[7], s.slots, s.v1, s.v2, s.v4)) AS c7,
                            unnest(smf.sealed_channel(s.width[8], s.pos[8], s.slots, s.v1, s.v2, s.v4)) AS c8,
                            unnest(smf.sealed_channel(s.width[9], s.pos[9], s.slots, s.v1, s.v2, s.v4)) AS c9,
                            unnest(smf.sealed_channel(s.width[10], s.pos[10], s.slots, s.v1, s.v2, s.v4)) AS c10,
                            unnest(smf.sealed_channel(s.width[11], s.pos[11], s.slots, s.v1, s.v2, s.v4)) AS c11,
                            unnest(smf.sealed_channel(s.width[12], s.pos[12], s.slots, s.v1, s.v2, s.v4)) AS c12,
                            unnest(smf.sealed_channel(s.width[13], s.pos[13], s.slots, s.v1, s.v2, s.v4)) AS c13,
                            unnest(s.qs) AS q
                           FROM smf.interval_sealed s) x_2
                  WHERE ((x_2.q)::integer <> 0)) x_1
             JOIN smf.meter m_1 ON ((m_1.id = x_1.meter_id)))
          GROUP BY x_1.meter_id, (public.time_bucket('00:15:00'::interval, x_1.ts))) x
     JOIN smf.meter m ON ((m.id = x.meter_id)))
  GROUP BY x.meter_id, (public.time_bucket('01:00:00'::interval, x.bucket));

COMMENT ON VIEW smf.rollup_hour_all IS 'The stored hourly rollups of hot data and those derived from sealed periods, shaped like smf.rollup_hour.';

CREATE TABLE smf.rule_parameter (
    key text NOT NULL,
    valid_during daterange NOT NULL,
    value numeric NOT NULL,
    unit text NOT NULL,
    confidence character(1) NOT NULL,
    description text NOT NULL,
    CONSTRAINT rule_parameter_confidence_check CHECK ((confidence = ANY (ARRAY['C'::bpchar, 'L'::bpchar, 'U'::bpchar]))),
    CONSTRAINT rule_parameter_key_check CHECK ((key ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT rule_parameter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.rule_parameter IS 'Regulatory and business parameters of the billing and market rules, per validity period; confidence C certain, L likely, U unverified (a documented default).';

CREATE TABLE smf.setting (
    key text NOT NULL,
    value text NOT NULL,
    description text NOT NULL
);

CREATE TABLE smf.source_precedence (
    source smf.reading_source NOT NULL,
    rank integer NOT NULL,
    description text NOT NULL
);

COMMENT ON TABLE smf.source_precedence IS 'Rank of each reading source: an incoming row replaces a stored one of lower or equal rank (equal: the later row wins), never one of higher rank.';

CREATE TABLE smf.tariff (
    id integer NOT NULL,
    distributor_id integer NOT NULL,
    modality text NOT NULL,
    item text NOT NULL,
    posto text NOT NULL,
    valid_during daterange NOT NULL,
    price numeric(14,6) NOT NULL,
    CONSTRAINT tariff_item_check CHECK ((item = ANY (ARRAY['energy'::text, 'demand'::text, 'overrun'::text, 'ufer'::text, 'dmcr'::text]))),
    CONSTRAINT tariff_modality_check CHECK ((modality = ANY (ARRAY['azul'::text, 'verde'::text, 'convencional'::text, 'branca'::text]))),
    CONSTRAINT tariff_posto_check CHECK ((posto = ANY (ARRAY['ponta'::text, 'fora_ponta'::text, 'intermediario'::text, 'unica'::text]))),
    CONSTRAINT tariff_price_check CHECK ((price >= (0)::numeric)),
    CONSTRAINT tariff_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.tariff IS 'Tariffs per distributor, modality, item and posto: energy and ufer in R$/kWh, demand, overrun and dmcr (excess) in R$/kW. Posto unica = the single demand of non-azul modalities.';

ALTER TABLE smf.tariff ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.tariff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.transformer_loss (
    consumer_unit_id integer NOT NULL,
    valid_during daterange NOT NULL,
    factor numeric(6,5) NOT NULL,
    CONSTRAINT transformer_loss_factor_check CHECK (((factor >= (0)::numeric) AND (factor < 0.2))),
    CONSTRAINT transformer_loss_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.transformer_loss IS 'Transformer-loss factor per UC and validity period (0.025 at <= 44 kV, 0.01 above), applied to every interval before demand and UFER/DMCR.';

CREATE TABLE smf.uc_code_change (
    consumer_unit_id integer NOT NULL,
    old_code character(15) NOT NULL,
    new_code character(15) NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text NOT NULL
);

COMMENT ON TABLE smf.uc_code_change IS 'UC codes re-computed when the check-digit algorithm was corrected (REN 1.095/2024 Annex II).';

CREATE VIEW smf.uc_directory WITH (security_invoker='on') AS
 SELECT cu.id AS uc_id,
    (cu.uc_code)::text AS uc_code,
    cu.customer_name,
    d.id AS distributor_id,
    d.name AS distributor,
    cu.modality,
    cu.tariff_group,
    cu.contracted_demand_ponta_kw,
    cu.contracted_demand_fora_ponta_kw,
    m.id AS meter_id,
    m.serial AS meter_serial,
    m.model,
    cardinality(m.channel_map) AS channels,
    m.interval_minutes
   FROM ((smf.consumer_unit cu
     JOIN smf.distributor d ON ((d.id = cu.distributor_id)))
     LEFT JOIN smf.meter m ON ((m.id = cu.main_meter_id)));

COMMENT ON VIEW smf.uc_directory IS 'One row per consumer unit: code, customer, distributor, modality, main meter and its channel count (the dashboards'' UC picker and the all-UC screens).';

CREATE TABLE smf.uc_group (
    id integer NOT NULL,
    name text NOT NULL,
    CONSTRAINT uc_group_name_check CHECK ((name <> ''::text))
);

ALTER TABLE smf.uc_group ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.uc_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.uc_group_member (
    group_id integer NOT NULL,
    uc_id integer NOT NULL
);

CREATE TABLE smf.uc_month_figures (
    consumer_unit_id integer NOT NULL,
    month date NOT NULL,
    stale boolean DEFAULT true NOT NULL,
    computed_at timestamp with time zone,
    energy_kwh numeric,
    completeness_pct numeric,
    musd_verdict text,
    billing jsonb,
    demand jsonb,
    ufer_dmcr jsonb,
    musd jsonb,
    CONSTRAINT uc_month_figures_check CHECK ((stale OR (computed_at IS NOT NULL))),
    CONSTRAINT uc_month_figures_month_check CHECK ((month = date_trunc('month'::text, (month)::timestamp with time zone)))
);

COMMENT ON TABLE smf.uc_month_figures IS 'Per UC and local month (first day): the figures the portal, smf report and the API show (loss-adjusted series): total energy (kWh), completeness (%), MUSD verdict, and as JSON the billing summary rows (R$), the demand rows (kW), the UFER/DMCR rows (kWh, kW) and the MUSD check; computed_at is the freshness stamp; a stale row is never served (smf.uc_figures computes it live).';

CREATE TABLE smf.vee_estimation_run (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    parameters jsonb NOT NULL,
    operator text NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    batch_id integer,
    filled jsonb DEFAULT '{}'::jsonb NOT NULL,
    left_missing integer DEFAULT 0 NOT NULL
);

COMMENT ON TABLE smf.vee_estimation_run IS 'One estimation of a meter over [ts_from, ts_to): parameters used, who ran it, the ingest batch that wrote its values, intervals filled per method and left missing.';

ALTER TABLE smf.vee_estimation_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_estimation_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_finding (
    id bigint NOT NULL,
    meter_id integer NOT NULL,
    rule text NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    severity text NOT NULL,
    detail text NOT NULL,
    status text DEFAULT 'open'::text NOT NULL,
    resolved_by text,
    resolved_at timestamp with time zone,
    first_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    subject text DEFAULT ''::text NOT NULL,
    CONSTRAINT vee_finding_check CHECK ((ts_to >= ts_from)),
    CONSTRAINT vee_finding_check1 CHECK (((status = 'open'::text) = (resolved_at IS NULL))),
    CONSTRAINT vee_finding_severity_check CHECK ((severity = ANY (ARRAY['info'::text, 'warning'::text, 'error'::text]))),
    CONSTRAINT vee_finding_status_check CHECK ((status = ANY (ARRAY['open'::text, 'accepted'::text, 'resolved'::text])))
);

COMMENT ON TABLE smf.vee_finding IS 'What a validation rule found: meter, interval range [ts_from, ts_to) UTC, rule, subject (phase, event, read pair; may be empty), severity, the values in words, status open/accepted/resolved and who resolved it when. One row per (meter, rule, subject, range).';

COMMENT ON COLUMN smf.vee_finding.subject IS 'What the finding is about within the meter: a phase (A, B, C), a poller event (event N), a register read pair, the rule function that raised (rule validation_error); empty when the rule has one subject per meter and range.';

ALTER TABLE smf.vee_finding ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_finding_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_manual_edit (
    id integer NOT NULL,
    meter_id integer NOT NULL,
    ts_from timestamp with time zone NOT NULL,
    ts_to timestamp with time zone NOT NULL,
    channel text NOT NULL,
    operation text NOT NULL,
    argument text NOT NULL,
    reason text NOT NULL,
    operator text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    batch_id integer,
    old_values jsonb NOT NULL,
    CONSTRAINT vee_manual_edit_operation_check CHECK ((operation = ANY (ARRAY['set'::text, 'scale'::text, 'copy_from'::text]))),
    CONSTRAINT vee_manual_edit_reason_check CHECK ((btrim(reason) <> ''::text))
);

COMMENT ON TABLE smf.vee_manual_edit IS 'Manual edits: who, when, why, what (set kWh / scale factor / copy from a meter) and the old values [{ts, wh, quality, source}].';

ALTER TABLE smf.vee_manual_edit ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_manual_edit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_parameter (
    id integer NOT NULL,
    key text NOT NULL,
    meter_id integer,
    distributor_id integer,
    valid_during daterange DEFAULT '[2000-01-01,)'::daterange NOT NULL,
    value numeric NOT NULL,
    unit text DEFAULT ''::text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    CONSTRAINT vee_parameter_check CHECK (((meter_id IS NULL) OR (distributor_id IS NULL))),
    CONSTRAINT vee_parameter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.vee_parameter IS 'Thresholds of the VEE rules and estimation: per meter, per distributor, or default (both null), per validity period. The most specific valid row wins.';

ALTER TABLE smf.vee_parameter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.vee_parameter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.vee_provenance (
    meter_id integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    run_id integer NOT NULL,
    method text NOT NULL,
    active_fwd_wh bigint,
    inputs jsonb NOT NULL,
    CONSTRAINT vee_provenance_method_check CHECK ((method = ANY (ARRAY['backup_meter'::text, 'register_profile'::text, 'daytype_mean'::text, 'daytype_mean_scaled'::text])))
);

COMMENT ON TABLE smf.vee_provenance IS 'Why an estimated interval has its value: the method and its inputs (backup meter id, days averaged, register delta Wh and scale).';

CREATE TABLE smf.virtual_meter (
    id integer NOT NULL,
    name text NOT NULL,
    channel text DEFAULT 'active_fwd'::text NOT NULL,
    formula text NOT NULL,
    tree jsonb NOT NULL,
    interval_minutes smallint NOT NULL,
    valid_during daterange NOT NULL,
    created_by text DEFAULT CURRENT_USER NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT virtual_meter_name_check CHECK ((name ~ '^[0-9A-Za-z_-]{1,40}$'::text)),
    CONSTRAINT virtual_meter_valid_during_check CHECK ((NOT isempty(valid_during)))
);

COMMENT ON TABLE smf.virtual_meter IS 'Virtual meters: a formula over meters'' channels (M(serial).channel, + - * /, constants, parentheses), its parsed tree, and validity (local dates).';

ALTER TABLE smf.virtual_meter ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME smf.virtual_meter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE smf.web_session (
    token_sha256 bytea NOT NULL,
    account_id integer NOT NULL,
    key_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT web_session_check CHECK ((expires_at > created_at)),
    CONSTRAINT web_session_token_sha256_check CHECK ((length(token_sha256) = 32))
);

COMMENT ON TABLE smf.web_session IS 'Client web view sessions: the SHA-256 of the session token (never the token), the account and the API key it was opened with, and its expiry. Shared by every worker of smf serve.';

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_db_role_key UNIQUE (db_role);

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_name_key UNIQUE (name);

ALTER TABLE ONLY smf.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_account_id_distributor_id_group_id_uc_id_key UNIQUE NULLS NOT DISTINCT (account_id, distributor_id, group_id, uc_id);

ALTER TABLE ONLY smf.alarm_delivery
    ADD CONSTRAINT alarm_delivery_pkey PRIMARY KEY (notification_id, attempt);

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_pkey PRIMARY KEY (consumer_unit_id);

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_name_key UNIQUE (name);

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_notification
    ADD CONSTRAINT alarm_notification_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_rule
    ADD CONSTRAINT alarm_rule_pkey PRIMARY KEY (code);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_rule_code_coalesce_coalesce1_valid_during_excl EXCLUDE USING gist (rule_code WITH =, COALESCE(meter_id, 0) WITH =, COALESCE(group_id, 0) WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.api_key
    ADD CONSTRAINT api_key_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_no_overlap EXCLUDE USING gist (purpose WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.calendar
    ADD CONSTRAINT calendar_purpose_version_key UNIQUE (purpose, version);

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_pkey PRIMARY KEY (calendar_id, rule_code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_deadline
    ADD CONSTRAINT ccee_deadline_no_overlap EXCLUDE USING gist (code WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_payload
    ADD CONSTRAINT ccee_payload_pkey PRIMARY KEY (hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_no_overlap EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_pkey PRIMARY KEY (consumer_unit_id, day);

ALTER TABLE ONLY smf.clock_correction
    ADD CONSTRAINT clock_correction_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_key UNIQUE (backup_meter_id);

ALTER TABLE ONLY smf.consumer_unit_class
    ADD CONSTRAINT consumer_unit_class_pkey PRIMARY KEY (consumer_unit_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_key UNIQUE (main_meter_id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_uc_code_key UNIQUE (uc_code);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_pkey PRIMARY KEY (contract_id, hour);

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_pkey PRIMARY KEY (contract_id, month);

ALTER TABLE ONLY smf.db_role
    ADD CONSTRAINT db_role_pkey PRIMARY KEY (name);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_aneel_code_key UNIQUE (aneel_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_ccee_agent_code_key UNIQUE (ccee_agent_code);

ALTER TABLE ONLY smf.distributor
    ADD CONSTRAINT distributor_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.dlms_meter
    ADD CONSTRAINT dlms_meter_pkey PRIMARY KEY (meter_id);

ALTER TABLE ONLY smf.dlms_obis_channel
    ADD CONSTRAINT dlms_obis_channel_pkey PRIMARY KEY (obis);

ALTER TABLE ONLY smf.dlms_status_bit
    ADD CONSTRAINT dlms_status_bit_pkey PRIMARY KEY (scheme, "bit");

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_code_key UNIQUE (code);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_pkey PRIMARY KEY (calendar_id, day);

ALTER TABLE ONLY smf.holiday_rule
    ADD CONSTRAINT holiday_rule_pkey PRIMARY KEY (code);

ALTER TABLE ONLY smf.ingest_batch
    ADD CONSTRAINT ingest_batch_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.instantaneous_reading
    ADD CONSTRAINT instantaneous_reading_pkey PRIMARY KEY (meter_id, at);

ALTER TABLE ONLY smf.interval_reading
    ADD CONSTRAINT interval_reading_pkey PRIMARY KEY (meter_id, ts);

ALTER TABLE ONLY smf.interval_sealed
    ADD CONSTRAINT interval_sealed_pkey PRIMARY KEY (meter_id, period_start);

ALTER TABLE ONLY smf.job_run
    ADD CONSTRAINT job_run_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_pkey PRIMARY KEY (meter_id, at, command_code);

ALTER TABLE ONLY smf.meter_clock_policy
    ADD CONSTRAINT meter_clock_policy_pkey PRIMARY KEY (meter_id);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_kind_dedupe_key_key UNIQUE (meter_id, kind, dedupe_key);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_monitoring
    ADD CONSTRAINT meter_monitoring_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_pkey PRIMARY KEY (meter_id, start_at);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.meter
    ADD CONSTRAINT meter_serial_key UNIQUE (serial);

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_pkey PRIMARY KEY (meter_id);

ALTER TABLE ONLY smf.meter_status_report
    ADD CONSTRAINT meter_status_report_pkey PRIMARY KEY (meter_id, at);

ALTER TABLE ONLY smf.pld
    ADD CONSTRAINT pld_pkey PRIMARY KEY (submarket, hour);

ALTER TABLE ONLY smf.poll_attempt
    ADD CONSTRAINT poll_attempt_pkey PRIMARY KEY (meter_id, started_at);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_no_overlap EXCLUDE USING gist (distributor_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.raw_read
    ADD CONSTRAINT raw_read_pkey PRIMARY KEY (meter_id, read_at);

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.reading_disagreement
    ADD CONSTRAINT reading_disagreement_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.register_reading
    ADD CONSTRAINT register_reading_pkey PRIMARY KEY (meter_id, at, period, channel);

ALTER TABLE ONLY smf.rollup_15min
    ADD CONSTRAINT rollup_15min_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_day
    ADD CONSTRAINT rollup_day_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_hour
    ADD CONSTRAINT rollup_hour_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rollup_month
    ADD CONSTRAINT rollup_month_pkey PRIMARY KEY (meter_id, bucket);

ALTER TABLE ONLY smf.rule_parameter
    ADD CONSTRAINT rule_parameter_no_overlap EXCLUDE USING gist (key WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.setting
    ADD CONSTRAINT setting_pkey PRIMARY KEY (key);

ALTER TABLE ONLY smf.source_precedence
    ADD CONSTRAINT source_precedence_pkey PRIMARY KEY (source);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_no_overlap EXCLUDE USING gist (distributor_id WITH =, modality WITH =, item WITH =, posto WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_valid_during_excl EXCLUDE USING gist (consumer_unit_id WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_pkey PRIMARY KEY (group_id, uc_id);

ALTER TABLE ONLY smf.uc_group
    ADD CONSTRAINT uc_group_name_key UNIQUE (name);

ALTER TABLE ONLY smf.uc_group
    ADD CONSTRAINT uc_group_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.uc_month_figures
    ADD CONSTRAINT uc_month_figures_pkey PRIMARY KEY (consumer_unit_id, month);

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_identity UNIQUE (meter_id, rule, subject, ts_from, ts_to);

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_no_overlap EXCLUDE USING gist (key WITH =, COALESCE(meter_id, 0) WITH =, COALESCE(distributor_id, 0) WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.vee_provenance
    ADD CONSTRAINT vee_provenance_pkey PRIMARY KEY (meter_id, ts, run_id);

ALTER TABLE ONLY smf.virtual_meter
    ADD CONSTRAINT virtual_meter_no_overlap EXCLUDE USING gist (name WITH =, valid_during WITH &&);

ALTER TABLE ONLY smf.virtual_meter
    ADD CONSTRAINT virtual_meter_pkey PRIMARY KEY (id);

ALTER TABLE ONLY smf.web_session
    ADD CONSTRAINT web_session_pkey PRIMARY KEY (token_sha256);

CREATE INDEX alarm_active_by_meter ON smf.alarm USING btree (meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_distributor_id_idx ON smf.alarm USING btree (distributor_id);

CREATE INDEX alarm_notification_pending ON smf.alarm_notification USING btree (next_try_at) WHERE ((delivered_at IS NULL) AND (gave_up_at IS NULL));

CREATE UNIQUE INDEX alarm_one_active ON smf.alarm USING btree (rule_code, meter_id) WHERE (state = ANY (ARRAY['open'::text, 'acknowledged'::text]));

CREATE INDEX alarm_state_opened_at_idx ON smf.alarm USING btree (state, opened_at DESC);

CREATE INDEX alarm_uc_id_idx ON smf.alarm USING btree (uc_id);

CREATE INDEX api_key_account_id_idx ON smf.api_key USING btree (account_id);

CREATE INDEX ccee_attempt_consumer_unit_id_day_idx ON smf.ccee_attempt USING btree (consumer_unit_id, day);

CREATE INDEX ccee_attempt_started_at_idx ON smf.ccee_attempt USING btree (started_at);

CREATE INDEX ccee_release_consumer_unit_id_day_idx ON smf.ccee_release USING btree (consumer_unit_id, day);

CREATE INDEX ccee_uc_day_day_idx ON smf.ccee_uc_day USING btree (day);

CREATE INDEX ccee_uc_day_due ON smf.ccee_uc_day USING btree (next_try_at) WHERE (state = ANY (ARRAY['due'::text, 'failed'::text, 'held'::text, 'claimed'::text]));

CREATE INDEX clock_correction_meter_at ON smf.clock_correction USING btree (meter_id, at DESC);

CREATE UNIQUE INDEX clock_correction_once_per_interval ON smf.clock_correction USING btree (meter_id, meter_interval_start) WHERE ((kind = 'auto'::text) AND (outcome = ANY (ARRAY['corrected'::text, 'partial'::text])));

CREATE INDEX energy_contract_buyer_uc_id_idx ON smf.energy_contract USING btree (buyer_uc_id);

CREATE INDEX ingest_quarantine_batch_id_idx ON smf.ingest_quarantine USING btree (batch_id);

CREATE INDEX instantaneous_reading_at_idx ON smf.instantaneous_reading USING btree (at DESC);

CREATE INDEX interval_reading_history_meter_id_ts_idx ON smf.interval_reading_history USING btree (meter_id, ts);

CREATE INDEX interval_reading_ts_idx ON smf.interval_reading USING btree (ts DESC);

CREATE INDEX job_run_job_started_at_idx ON smf.job_run USING btree (job, started_at);

CREATE INDEX login_failure_source_at_idx ON smf.login_failure USING btree (source, at);

CREATE INDEX meter_event_meter_id_at_idx ON smf.meter_event USING btree (meter_id, at);

CREATE INDEX meter_monitoring_ends_at_idx ON smf.meter_monitoring USING btree (ends_at);

CREATE INDEX poll_attempt_started_at_idx ON smf.poll_attempt USING btree (started_at DESC);

CREATE INDEX poll_attempt_started_at_idx1 ON smf.poll_attempt USING btree (started_at);

CREATE INDEX raw_read_read_at_idx ON smf.raw_read USING btree (read_at);

CREATE INDEX read_request_meter_id_requested_at_idx ON smf.read_request USING btree (meter_id, requested_at);

CREATE INDEX read_request_requested_at_idx ON smf.read_request USING btree (requested_at) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));

CREATE INDEX reading_disagreement_meter_id_ts_idx ON smf.reading_disagreement USING btree (meter_id, ts);

CREATE INDEX register_reading_at_idx ON smf.register_reading USING btree (at DESC);

CREATE INDEX uc_group_member_uc_id_idx ON smf.uc_group_member USING btree (uc_id);

CREATE INDEX uc_month_figures_month_idx ON smf.uc_month_figures USING btree (month) WHERE stale;

CREATE INDEX vee_finding_meter_id_ts_from_idx ON smf.vee_finding USING btree (meter_id, ts_from);

CREATE INDEX vee_finding_status_idx ON smf.vee_finding USING btree (status) WHERE (status = 'open'::text);

CREATE INDEX web_session_expires_at_idx ON smf.web_session USING btree (expires_at);

CREATE INDEX web_session_key_id_idx ON smf.web_session USING btree (key_id);

CREATE TRIGGER alarm_eval AFTER UPDATE OF finished_at ON smf.ingest_batch FOR EACH ROW WHEN (((old.finished_at IS NULL) AND (new.finished_at IS NOT NULL))) EXECUTE FUNCTION smf.alarm_on_batch_finished();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.instantaneous_reading FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_instantaneous();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.meter_event FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_meter_event();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.meter_status_report FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_status();

CREATE TRIGGER alarm_eval AFTER INSERT ON smf.poll_attempt FOR EACH ROW EXECUTE FUNCTION smf.alarm_on_poll_attempt();

CREATE TRIGGER alarm_notify AFTER INSERT OR UPDATE ON smf.alarm FOR EACH ROW EXECUTE FUNCTION smf.alarm_notify();

CREATE TRIGGER keep_history BEFORE UPDATE ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION smf.interval_reading_keep_history();

CREATE TRIGGER refuse_delete_with_readings BEFORE DELETE ON smf.meter FOR EACH ROW EXECUTE FUNCTION smf.meter_refuse_delete_with_readings();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.instantaneous_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.interval_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.interval_sealed FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.poll_attempt FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.register_reading FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_15min FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON smf.rollup_hour FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON smf.calendar FOR EACH STATEMENT EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE ON smf.consumer_unit FOR EACH ROW EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON smf.holiday FOR EACH STATEMENT EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER UPDATE OF interval_minutes ON smf.meter FOR EACH ROW EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE ON smf.posto_schedule FOR EACH ROW EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON smf.rule_parameter FOR EACH STATEMENT EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER DELETE OR UPDATE ON smf.setting FOR EACH ROW WHEN ((old.key = 'local_timezone'::text)) EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE ON smf.tariff FOR EACH ROW EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER uc_figures_invalidate AFTER INSERT OR DELETE OR UPDATE ON smf.transformer_loss FOR EACH ROW EXECUTE FUNCTION smf.uc_figures_invalidate();

CREATE TRIGGER validate_windows BEFORE INSERT OR UPDATE ON smf.posto_schedule FOR EACH ROW EXECUTE FUNCTION smf.posto_schedule_validate();

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_account_id_fkey FOREIGN KEY (account_id) REFERENCES smf.account(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.uc_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.account_scope
    ADD CONSTRAINT account_scope_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_delivery
    ADD CONSTRAINT alarm_delivery_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES smf.alarm_notification(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.alarm_group
    ADD CONSTRAINT alarm_group_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_group_member
    ADD CONSTRAINT alarm_group_member_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.alarm_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_notification
    ADD CONSTRAINT alarm_notification_alarm_id_fkey FOREIGN KEY (alarm_id) REFERENCES smf.alarm(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.alarm_rule(code);

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.alarm_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.alarm_threshold
    ADD CONSTRAINT alarm_threshold_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.alarm_rule(code);

ALTER TABLE ONLY smf.alarm
    ADD CONSTRAINT alarm_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.api_key
    ADD CONSTRAINT api_key_account_id_fkey FOREIGN KEY (account_id) REFERENCES smf.account(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.calendar_rule
    ADD CONSTRAINT calendar_rule_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_attempt
    ADD CONSTRAINT ccee_attempt_payload_hash_fkey FOREIGN KEY (payload_hash) REFERENCES smf.ccee_payload(hash);

ALTER TABLE ONLY smf.ccee_release
    ADD CONSTRAINT ccee_release_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_retail_uc
    ADD CONSTRAINT ccee_retail_uc_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.ccee_uc_day
    ADD CONSTRAINT ccee_uc_day_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.clock_correction
    ADD CONSTRAINT clock_correction_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_backup_meter_id_fkey FOREIGN KEY (backup_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.consumer_unit_class
    ADD CONSTRAINT consumer_unit_class_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id);

ALTER TABLE ONLY smf.consumer_unit
    ADD CONSTRAINT consumer_unit_main_meter_id_fkey FOREIGN KEY (main_meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.contract_hour_volume
    ADD CONSTRAINT contract_hour_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.contract_month_volume
    ADD CONSTRAINT contract_month_volume_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES smf.energy_contract(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.dlms_meter
    ADD CONSTRAINT dlms_meter_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.energy_contract
    ADD CONSTRAINT energy_contract_buyer_uc_id_fkey FOREIGN KEY (buyer_uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_calendar_id_fkey FOREIGN KEY (calendar_id) REFERENCES smf.calendar(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.holiday
    ADD CONSTRAINT holiday_rule_code_fkey FOREIGN KEY (rule_code) REFERENCES smf.holiday_rule(code);

ALTER TABLE ONLY smf.ingest_quarantine
    ADD CONSTRAINT ingest_quarantine_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_alteration
    ADD CONSTRAINT meter_alteration_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_clock_policy
    ADD CONSTRAINT meter_clock_policy_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.meter_event
    ADD CONSTRAINT meter_event_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_monitoring
    ADD CONSTRAINT meter_monitoring_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_outage
    ADD CONSTRAINT meter_outage_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_session_lease
    ADD CONSTRAINT meter_session_lease_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.meter_status_report
    ADD CONSTRAINT meter_status_report_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.posto_schedule
    ADD CONSTRAINT posto_schedule_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.read_request
    ADD CONSTRAINT read_request_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES smf.account(id) ON DELETE SET NULL;

ALTER TABLE ONLY smf.tariff
    ADD CONSTRAINT tariff_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.transformer_loss
    ADD CONSTRAINT transformer_loss_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_code_change
    ADD CONSTRAINT uc_code_change_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_group_id_fkey FOREIGN KEY (group_id) REFERENCES smf.uc_group(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_group_member
    ADD CONSTRAINT uc_group_member_uc_id_fkey FOREIGN KEY (uc_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.uc_month_figures
    ADD CONSTRAINT uc_month_figures_consumer_unit_id_fkey FOREIGN KEY (consumer_unit_id) REFERENCES smf.consumer_unit(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id);

ALTER TABLE ONLY smf.vee_estimation_run
    ADD CONSTRAINT vee_estimation_run_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_finding
    ADD CONSTRAINT vee_finding_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES smf.ingest_batch(id);

ALTER TABLE ONLY smf.vee_manual_edit
    ADD CONSTRAINT vee_manual_edit_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id);

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_distributor_id_fkey FOREIGN KEY (distributor_id) REFERENCES smf.distributor(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.vee_parameter
    ADD CONSTRAINT vee_parameter_meter_id_fkey FOREIGN KEY (meter_id) REFERENCES smf.meter(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.web_session
    ADD CONSTRAINT web_session_account_id_fkey FOREIGN KEY (account_id) REFERENCES smf.account(id) ON DELETE CASCADE;

ALTER TABLE ONLY smf.web_session
    ADD CONSTRAINT web_session_key_id_fkey FOREIGN KEY (key_id) REFERENCES smf.api_key(id) ON DELETE CASCADE;

ALTER TABLE smf.alarm ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_delivery ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_group ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_group_member ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_notification ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.alarm_threshold ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_attempt ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_payload ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_release ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_retail_uc ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ccee_uc_day ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.clock_correction ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.consumer_unit ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.consumer_unit_class ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.contract_hour_volume ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.contract_month_volume ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.distributor ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.dlms_meter ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.dlms_obis_channel ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.dlms_status_bit ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.energy_contract ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ingest_batch ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.ingest_quarantine ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.instantaneous_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.interval_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.interval_reading_history ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.interval_sealed ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.job_run ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_alteration ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_clock_policy ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_event ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_monitoring ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_outage ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.meter_status_report ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.poll_attempt ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.raw_read ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.read_request ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.reading_disagreement ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.register_reading ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_15min ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_day ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_hour ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.rollup_month ENABLE ROW LEVEL SECURITY;

CREATE POLICY scope_delete ON smf.alarm_threshold FOR DELETE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.alarm_notification FOR INSERT WITH CHECK ((EXISTS ( SELECT 1
   FROM smf.alarm a
  WHERE (a.id = alarm_notification.alarm_id))));

CREATE POLICY scope_insert ON smf.alarm_threshold FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.consumer_unit FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[])))));

CREATE POLICY scope_insert ON smf.distributor FOR INSERT WITH CHECK (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_insert ON smf.meter FOR INSERT WITH CHECK (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_insert ON smf.read_request FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_read ON smf.alarm FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_delivery FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.alarm_group FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_group_member FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.alarm_notification FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.alarm_threshold FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])) OR ((meter_id IS NULL) AND (group_id IS NULL)) OR (EXISTS ( SELECT 1
   FROM smf.alarm_group_member gm
  WHERE (gm.group_id = alarm_threshold.group_id)))));

CREATE POLICY scope_read ON smf.ccee_attempt FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_payload FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.ccee_release FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_retail_uc FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ccee_uc_day FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.clock_correction FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.consumer_unit FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[])) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_read ON smf.consumer_unit_class FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.contract_hour_volume FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (EXISTS ( SELECT 1
   FROM smf.energy_contract c
  WHERE (c.id = contract_hour_volume.contract_id)))));

CREATE POLICY scope_read ON smf.contract_month_volume FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (EXISTS ( SELECT 1
   FROM smf.energy_contract c
  WHERE (c.id = contract_month_volume.contract_id)))));

CREATE POLICY scope_read ON smf.distributor FOR SELECT USING (true);

CREATE POLICY scope_read ON smf.dlms_meter FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.dlms_obis_channel FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.dlms_status_bit FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.energy_contract FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (buyer_uc_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.ingest_batch FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.ingest_quarantine FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.instantaneous_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.interval_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.interval_reading_history FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.interval_sealed FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.job_run FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_read ON smf.meter FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_alteration FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_clock_policy FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_event FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_monitoring FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_outage FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.meter_status_report FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.poll_attempt FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.raw_read FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.read_request FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.reading_disagreement FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.register_reading FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_15min FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_day FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_hour FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.rollup_month FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.transformer_loss FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.uc_code_change FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.uc_month_figures FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (consumer_unit_id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_estimation_run FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_finding FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_manual_edit FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_parameter FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.vee_provenance FOR SELECT USING ((( SELECT smf.scope_all() AS scope_all) OR (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[]))));

CREATE POLICY scope_read ON smf.virtual_meter FOR SELECT USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_update ON smf.alarm FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_update ON smf.alarm_threshold FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (meter_id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

CREATE POLICY scope_update ON smf.consumer_unit FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))))) WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_uc_ids() AS scope_uc_ids)::integer[]))) OR (distributor_id = ANY (( SELECT smf.scope_distributor_ids() AS scope_distributor_ids)::integer[]))));

CREATE POLICY scope_update ON smf.distributor FOR UPDATE USING (( SELECT smf.scope_all() AS scope_all));

CREATE POLICY scope_update ON smf.meter FOR UPDATE USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (id = ANY (( SELECT smf.scope_meter_ids() AS scope_meter_ids)::integer[])))));

ALTER TABLE smf.transformer_loss ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.uc_code_change ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.uc_month_figures ENABLE ROW LEVEL SECURITY;

CREATE POLICY uc_registry_insert ON smf.ccee_retail_uc FOR INSERT WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (EXISTS ( SELECT 1
   FROM smf.consumer_unit cu
  WHERE (cu.id = ccee_retail_uc.consumer_unit_id))))));

CREATE POLICY uc_registry_write ON smf.transformer_loss USING ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (EXISTS ( SELECT 1
   FROM smf.consumer_unit cu
  WHERE (cu.id = transformer_loss.consumer_unit_id)))))) WITH CHECK ((( SELECT smf.scope_all() AS scope_all) OR (( SELECT smf.scope_writes() AS scope_writes) AND (EXISTS ( SELECT 1
   FROM smf.consumer_unit cu
  WHERE (cu.id = transformer_loss.consumer_unit_id))))));

ALTER TABLE smf.vee_estimation_run ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_finding ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_manual_edit ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_parameter ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.vee_provenance ENABLE ROW LEVEL SECURITY;

ALTER TABLE smf.virtual_meter ENABLE ROW LEVEL SECURITY;
