"""The hourly rollup keeps the smallest |Wh| and |varh| of its quarter hours.

Why: the billing's hour pieces (smf.hour_pieces_set) need, per hour, the sums, the largest quarter
hour and the earliest slot holding it (already in rollup_hour: max_demand_kw/at), and the
smallest absolute quarter-hour value of active, inductive and capacitive forward energy, which
fixes the numeric scale of the piece's kWh exactly as the per-slot sum gives it. With these three
columns an hour whose four quarter hours share posto, reactive window and local day is read as
one row instead of four (issue 21: distributor billing 16.6 -> 10.8 ms CPU a UC-month).

Existing hours are filled from rollup_15min (hot data; hours of sealed periods are derived from
the sealed arrays and carry the same columns). On a large install the fill is one pass over the
15-minute rollups of the hot tier.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_COLUMNS = {
    "active_fwd_wh_q_min_abs": ("active_fwd_wh", "Wh"),
    "reactive_ind_fwd_varh_q_min_abs": ("reactive_ind_fwd_varh", "varh"),
    "reactive_cap_fwd_varh_q_min_abs": ("reactive_cap_fwd_varh", "varh"),
}


def upgrade() -> None:
    op.execute(
        "alter table smf.rollup_hour " + ", ".join(f"add column {c} bigint" for c in _COLUMNS)
    )
    for col, (source, unit) in _COLUMNS.items():
        op.execute(
            f"comment on column smf.rollup_hour.{col} is 'Smallest absolute {source} ({unit}) of"
            f" the hour''s 15-minute rollups; NULL when none of them has a value.'"
        )
    op.execute(
        """
        update smf.rollup_hour h
        set active_fwd_wh_q_min_abs = q.a, reactive_ind_fwd_varh_q_min_abs = q.i,
            reactive_cap_fwd_varh_q_min_abs = q.c
        from (select meter_id, public.time_bucket('1 hour', bucket) as hour,
                     min(abs(active_fwd_wh)) as a, min(abs(reactive_ind_fwd_varh)) as i,
                     min(abs(reactive_cap_fwd_varh)) as c
              from smf.rollup_15min group by 1, 2) q
        where q.meter_id = h.meter_id and q.hour = h.bucket
        """
    )


def downgrade() -> None:
    # the views db/functions makes over rollup_hour (020, 025, 040, 110, their smf_read copies)
    # read these columns; they are made again when the functions are re-applied
    op.execute(
        "alter table smf.rollup_hour " + ", ".join(f"drop column {c} cascade" for c in _COLUMNS)
    )
