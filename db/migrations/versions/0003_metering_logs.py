"""metering logs (tables of this concern; its functions live in db/functions).

Reserved revision so the chain has a single head while the concern is being built.
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
