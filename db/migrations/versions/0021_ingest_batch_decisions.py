"""Import batches record how their input was read.

Why: a file can be read more than one way, and the importer decides, or is told, which: the
decimal separator of a `;` file (detected from a line, or --decimal), the UTC offset given to
time stamps without one (--utc-offset) and the order of slash dates (detected from a line, or
--date-order). Each decision, with the line that decided it, is a note of the import's summary;
it is now also kept with the batch (smf.ingest_batch.decisions, in the order taken), so that
whoever reads the data later knows how the file was read, and can read it again another way.
"""

from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("alter table smf.ingest_batch add column decisions text[]")
    op.execute(
        "comment on column smf.ingest_batch.decisions is 'How the input was read, one sentence per"
        " decision in the order taken (decimal separator, UTC offset of time stamps without one,"
        " date order), each naming the flag or the line that decided it; NULL when nothing was"
        " decided.'"
    )


def downgrade() -> None:
    op.execute("alter table smf.ingest_batch drop column decisions")
