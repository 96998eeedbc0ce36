"""deliveries.held_at and an index for the unlink guard's count

Revision ID: 0007_unlink_guard
Revises: 0006_reconciliations
Create Date: 2026-11-30 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_unlink_guard"
down_revision = "0006_reconciliations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_deliveries_withdrawals", ["operation", "created_at"], unique=False)


def downgrade() -> None:
    # Held and cancelled deliveries mean nothing to the older code. A held one still waits for
    # a person: failed is its nearest state there (an admin's retry sends it); a cancelled one
    # is finished.
    op.execute(
        "UPDATE deliveries SET state = 'failed', last_error = 'held by the unlink guard; "
        "retry it to send it' WHERE state = 'held'"
    )
    op.execute("UPDATE deliveries SET state = 'done' WHERE state = 'cancelled'")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_withdrawals")
        batch.drop_column("held_at")
