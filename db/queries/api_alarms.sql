-- Named queries of the alarm API (api/controllers/alarms.py). The sheet and the rules are read as
-- smf_api (row-level security filters them to the caller's scope); a write first checks the
-- row is visible that way, then leaves the role for its one statement (the alarm functions
-- write tables smf_api may only read) and enters it again (api_enter).

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

-- name: api_leave
-- Back to the pool's own role until api_enter (one write the scope check has allowed).
select set_config('role', 'none', true);
