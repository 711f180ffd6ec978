"""billing rules (tables of this concern; its functions live in db/functions).

Reserved revision so the chain has a single head while the concern is being built.
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
