"""Moderation decisions, review requests, redacted originals, blocks, the screened-word
list, and each dialogue's pre-moderation settings.

Revision ID: 0018
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ACTION = sa.Enum(
    "approve",
    "hide",
    "restore",
    "dismiss",
    "redact",
    "block",
    name="moderation_action",
    native_enum=False,
    length=16,
)


def upgrade():
    op.create_table(
        "moderation_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("action", ACTION, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(proposal_id IS NULL) <> (comment_id IS NULL)",
            name=op.f("ck_moderation_decision_decisions_one_item"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_moderation_decision_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_moderation_decision_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue.id"],
            name=op.f("fk_moderation_decision_dialogue_id_dialogue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user_account.id"],
            name=op.f("fk_moderation_decision_moderator_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_moderation_decision_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decision")),
    )
    with op.batch_alter_table("moderation_decision", schema=None) as batch_op:
        for column in ("author_id", "comment_id", "dialogue_id", "moderator_id", "proposal_id"):
            batch_op.create_index(
                batch_op.f(f"ix_moderation_decision_{column}"), [column], unique=False
            )

    op.create_table(
        "review_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decision.id"],
            name=op.f("fk_review_request_decision_id_moderation_decision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_review_request_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_review_request_reviewed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_request")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_review_request_decision_id")),
    )
    with op.batch_alter_table("review_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_request_requested_by_id"), ["requested_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_request_reviewed_by_id"), ["reviewed_by_id"], unique=False
        )

    op.create_table(
        "redacted_original",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decision.id"],
            name=op.f("fk_redacted_original_decision_id_moderation_decision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redacted_original")),
    )
    with op.batch_alter_table("redacted_original", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_redacted_original_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_redacted_original_decision_id"), ["decision_id"], unique=False
        )

    op.create_table(
        "author_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decision.id"],
            name=op.f("fk_author_block_decision_id_moderation_decision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dialogue_id"],
            ["dialogue.id"],
            name=op.f("fk_author_block_dialogue_id_dialogue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_author_block_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_block")),
    )
    with op.batch_alter_table("author_block", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_author_block_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index(
            "ix_author_block_dialogue_id_user_id", ["dialogue_id", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_author_block_user_id"), ["user_id"], unique=False)

    op.create_table(
        "screened_word",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=80), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_screened_word_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screened_word")),
        sa.UniqueConstraint("word", name=op.f("uq_screened_word_word")),
    )
    with op.batch_alter_table("screened_word", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screened_word_added_by_id"), ["added_by_id"], unique=False
        )

    settings = ("premoderate_proposals", "premoderate_comments", "screen_words")
    with op.batch_alter_table("dialogue", schema=None) as batch_op:
        for column in settings:
            batch_op.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    # The default filled the rows there were; new rows get theirs from the model.
    with op.batch_alter_table("dialogue", schema=None) as batch_op:
        for column in settings:
            batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table("dialogue", schema=None) as batch_op:
        for column in ("screen_words", "premoderate_comments", "premoderate_proposals"):
            batch_op.drop_column(column)
    for table in (
        "screened_word",
        "author_block",
        "redacted_original",
        "review_request",
        "moderation_decision",
    ):
        op.drop_table(table)
