"""VEE: the daily job stops estimating a meter that has been silent too long.

Why: the daily estimation fills yesterday's gaps from the day-type history of the last
daytype_lookback_days (56) days. For a meter whose link or power is gone for weeks, that writes a
fabricated day every day, and the CCEE submission sends it. Past auto_estimate_max_silent_days
(default 7) days without one measured interval, the daily job leaves the day missing and files an
'estimation' finding that asks for a field visit or an estimate by hand (`smf vee estimate`, which
this limit does not bind). The limit is a VEE parameter like the others: per meter, per distributor
or default, with a validity period.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "insert into smf.vee_parameter (key, value, unit, description) values"
        " ('auto_estimate_max_silent_days', 7, 'days', 'Daily estimation: a meter without one"
        " measured interval in this many days before the day is not estimated automatically"
        " (the day stays missing, a finding asks for a hand estimate).')"
    )


def downgrade() -> None:
    op.execute("delete from smf.vee_parameter where key = 'auto_estimate_max_silent_days'")
