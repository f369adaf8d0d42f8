"""Knowledge-base reports: one row per version, with its progress and its figures; the
reference an imported participant had where they came from (a Polis participant number).

Revision ID: 0020
Revises: 0019
"""

from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

STATUS = sa.Enum(
    "queued", "running", "done", "failed", name="report_status", native_enum=False, length=16
)


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue.id"],
            name=op.f("fk_report_dialogue_id_dialogue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_report_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("dialogue_id", "version", name=op.f("uq_report_dialogue_id_version")),
    )
    op.create_index(op.f("ix_report_dialogue_id"), "report", ["dialogue_id"])
    op.create_index(op.f("ix_report_requested_by_id"), "report", ["requested_by_id"])


def downgrade():
    op.drop_table("report")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("external_id")
