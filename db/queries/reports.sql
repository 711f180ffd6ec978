-- name: report_outages
select start_at, end_at, duration_s, source from smf.report_outages(%(uc_code)s::text, %(n)s::int);

-- name: report_alterations
select at, command_hex, command, reader_serial
from smf.report_alterations(%(uc_code)s::text, %(n)s::int);

-- name: report_phasors
select * from smf.report_phasors(%(uc_code)s::text, %(at)s::timestamptz);

-- name: report_display
select item, code, label, value, unit, at from smf.report_display(%(uc_code)s::text);

-- name: report_ucs_with_0x14
-- UCs whose main meter has at least one 0x14 reading (the all-UC phasor screen).
select u.uc_code from smf.uc_directory u
where exists (select 1 from smf.instantaneous_reading i where i.meter_id = u.meter_id)
order by u.customer_name;
