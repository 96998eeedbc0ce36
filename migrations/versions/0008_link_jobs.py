"""link_jobs and link_job_results: many switches at once, resumable

Revision ID: 0008_link_jobs
Revises: 0007_unlink_guard
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_link_jobs"
down_revision = "0007_unlink_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("with_contacts", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_link_jobs_state", "link_jobs", ["state", "id"])
    op.create_table(
        "link_job_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["link_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "record_type", "record_id", name="uq_link_job_results_record"),
    )
    op.create_index(
        "ix_link_job_results_next", "link_job_results", ["job_id", "outcome", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_link_job_results_next", table_name="link_job_results")
    op.drop_table("link_job_results")
    op.drop_index("ix_link_jobs_state", table_name="link_jobs")
    op.drop_table("link_jobs")
