"""contacts.email_login: the e-mail as a CaseWare Cloud login (ASCII A-Z lowered only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 15:20:00
"""

import sqlalchemy as sa
from alembic import op

from domain.emails import login_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("email_login", sa.String(length=100), nullable=True))
        batch.create_index("ix_contacts_email_login", ["email_login"])
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("email_login", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(contacts.c.id, contacts.c.email).where(contacts.c.email.isnot(None))
    )
    for contact_id, email in rows.fetchall():
        conn.execute(
            contacts.update()
            .where(contacts.c.id == contact_id)
            .values(email_login=login_key(email))
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_email_login")
        batch.drop_column("email_login")
