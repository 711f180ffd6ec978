"""VEE: a finding's identity includes what it is about (its subject), and a rule that raises
leaves a `validation_error` finding instead of rolling back the import.

Why: smf.vee_rule_voltage reports one voltage_band (or phase_loss) finding per phase. When two
or three phases leave the band in the same intervals (supply dropping or returning part-way
through an interval does exactly that), those findings shared (meter, rule, ts_from, ts_to), the
upsert of smf.vee_validate met the same row twice in one statement (CardinalityViolation), and
the whole ingest batch rolled back: field-like data of 1,000 meters did not import at all
(issue 24). The same could happen to two clock or status events logged at one instant, and to
two register read pairs rounded to the same grid span.

- vee_finding.subject: the phase ('A', 'B', 'C'), the poller event ('event 123'), the register
  read pair, or for a validation_error the rule function that raised; '' when the rule has one
  subject per meter and range. The unique key becomes (meter_id, rule, subject, ts_from, ts_to).
- The four rule functions whose result gains a subject column are dropped here so that
  db/functions (applied after the revisions) creates them with the new result type; `create or
  replace` cannot change a function's result columns.
- The description of voltage_nominal_v says how the nominal is chosen now (transformer
  secondaries among the candidates; `smf meter set --nominal-voltage` writes the meter's row).
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_RULES = ("vee_rule_voltage", "vee_rule_clock", "vee_rule_meter_status", "vee_rule_register")


def upgrade() -> None:
    for fn in _RULES:
        op.execute(f"drop function if exists smf.{fn}(int, timestamptz, timestamptz)")
    op.execute("""
alter table smf.vee_finding add column subject text not null default '';
alter table smf.vee_finding drop constraint vee_finding_meter_id_rule_ts_from_ts_to_key;
alter table smf.vee_finding add constraint vee_finding_identity
    unique (meter_id, rule, subject, ts_from, ts_to);
comment on column smf.vee_finding.subject is 'What the finding is about within the meter: a phase (A, B, C), a poller event (event N), a register read pair, the rule function that raised (rule validation_error); empty when the rule has one subject per meter and range.';
comment on table smf.vee_finding is 'What a validation rule found: meter, interval range [ts_from, ts_to) UTC, rule, subject (phase, event, read pair; may be empty), severity, the values in words, status open/accepted/resolved and who resolved it when. One row per (meter, rule, subject, range).';
update smf.vee_parameter set description = 'Nominal phase voltage (V, secondary side): 0 = detect the standard value (transformer secondaries 57.7, 63.5, 66.4, 69.3, 100, 110, 115, 120 V; low voltage 127, 220, 230, 240, 254 V ...) nearest the highest phase mean; a meter row (smf meter set --nominal-voltage) overrides.'
where key = 'voltage_nominal_v' and meter_id is null and distributor_id is null;
""")


def downgrade() -> None:
    for fn in _RULES:
        op.execute(f"drop function if exists smf.{fn}(int, timestamptz, timestamptz)")
    # the smf_read copy names the column (rebuilt by 999_read_views.sql at the next apply)
    op.execute("drop view if exists smf_read.vee_finding")
    op.execute("""
delete from smf.vee_finding f where f.subject <> '' and exists (
    select 1 from smf.vee_finding g where g.meter_id = f.meter_id and g.rule = f.rule
      and g.ts_from = f.ts_from and g.ts_to = f.ts_to and (g.subject = '' or g.id < f.id));
alter table smf.vee_finding drop constraint vee_finding_identity;
alter table smf.vee_finding drop column subject;
alter table smf.vee_finding add constraint vee_finding_meter_id_rule_ts_from_ts_to_key
    unique (meter_id, rule, ts_from, ts_to);
comment on table smf.vee_finding is 'What a validation rule found: meter, interval range [ts_from, ts_to) UTC, rule, severity, the values in words, status open/accepted/resolved and who resolved it when. One row per (meter, rule, range).';
update smf.vee_parameter set description = 'Nominal phase voltage (secondary); 0 = detect: the standard value nearest the median.'
where key = 'voltage_nominal_v' and meter_id is null and distributor_id is null;
""")
