"""Notifications, each person's email choices, one delivery record per email, and the
mark a hard bounce leaves on an account.

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CATEGORY = sa.Enum(
    "phases",
    "comments",
    "answers",
    "my_content",
    "moderation",
    name="notification_category",
    native_enum=False,
    length=16,
)


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("mail_bounced_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("category", CATEGORY, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_in", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_event.id"],
            name=op.f("fk_notification_event_id_outbox_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue.id"],
            name=op.f("fk_notification_dialogue_id_dialogue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_notification_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_notification_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_notification_event_id_user_id")),
    )
    op.create_index("ix_notification_user_id_read_at", "notification", ["user_id", "read_at"])
    undigested = sa.text("mailed_in IS NULL AND read_at IS NULL")
    op.create_index(
        "ix_notification_undigested",
        "notification",
        ["user_id"],
        postgresql_where=undigested,
        sqlite_where=undigested,
    )
    for column in ("dialogue_id", "proposal_id", "comment_id"):
        op.create_index(op.f(f"ix_notification_{column}"), "notification", [column])
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category", CATEGORY, nullable=False),
        sa.Column(
            "frequency",
            sa.Enum(
                "immediately",
                "daily",
                "weekly",
                "off",
                name="notification_frequency",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "category", name=op.f("pk_notification_preference")),
    )
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "digest", name="notification_channel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("digest_key", sa.String(length=24), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "dead",
                "skipped",
                name="notification_delivery_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_token", sa.String(length=32), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_delivery_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_event.id"],
            name=op.f("fk_notification_delivery_event_id_outbox_event"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_delivery_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint(
            "event_id",
            "channel",
            "user_id",
            name=op.f("uq_notification_delivery_event_id_channel_user_id"),
        ),
        sa.UniqueConstraint(
            "user_id", "digest_key", name=op.f("uq_notification_delivery_user_id_digest_key")
        ),
    )
    op.create_index(
        "ix_notification_delivery_status_next_attempt_at",
        "notification_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_index("ix_notification_delivery_sent_at", "notification_delivery", ["sent_at"])
    op.create_index(op.f("ix_notification_delivery_user_id"), "notification_delivery", ["user_id"])
    op.create_index(
        op.f("ix_notification_delivery_notification_id"),
        "notification_delivery",
        ["notification_id"],
    )


def downgrade():
    op.drop_table("notification_delivery")
    op.drop_table("notification_preference")
    op.drop_table("notification")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("mail_bounced_at")
