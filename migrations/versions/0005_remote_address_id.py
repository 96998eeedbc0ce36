"""links.remote_address_id: the CWGuid of a client entity's Business address

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("remote_address_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("remote_address_id")
