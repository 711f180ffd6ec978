-- Named queries of the alarm API (api/controllers/alarms.py). Everything runs as smf_api for the
-- caller: row-level security filters the sheet to its scope, and the update/insert policies of
-- 510_scope_policies.sql bound its writes (alarm_ack, alarm_close, alarm_set_threshold in
-- alarms.sql) to the same scope.

-- name: api_alarm_sheet
-- The alarm sheet as the caller may see it, newest violation first; closed alarms with
-- all = true or state = 'closed'. Optional filters: state, rule (a-m), UC code.
select id, state, rule_code, rule_name, uc_code, customer_name, meter_serial, opened_at, last_at,
       value, value_text, threshold, unit, phase, occurrences, message, acknowledged_by,
       acknowledged_at, ack_comment, cleared_at, closed_by, closed_at, close_comment
from smf.alarm_sheet
where (%(all)s or state <> 'closed' or %(state)s::text = 'closed')
  and (%(state)s::text is null or state = %(state)s::text)
  and (%(rule)s::text is null or rule_code = %(rule)s::text)
  and (%(uc_code)s::text is null or uc_code = %(uc_code)s::text)
order by last_at desc, id desc
limit %(limit)s;

-- name: api_alarm_one
-- One alarm of the sheet, if the caller may see it.
select id, state, rule_code, rule_name, uc_code, customer_name, meter_serial, opened_at, last_at,
       value, value_text, threshold, unit, phase, occurrences, message, acknowledged_by,
       acknowledged_at, ack_comment, cleared_at, closed_by, closed_at, close_comment
from smf.alarm_sheet where id = %(id)s;
