"""Moderation: flags on proposals and comments, each item's moderation state and count of
open flags, and each dialogue's flag threshold.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

MODERATION = sa.Enum('shown', 'pending', 'held', 'hidden', name='moderation', native_enum=False, length=16)


def upgrade():
    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('flagger_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Enum('spam', 'offensive', 'personal_data', 'off_topic', 'other', name='flag_reason', native_enum=False, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('open', 'dismissed', 'upheld', name='flag_state', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(proposal_id IS NULL) <> (comment_id IS NULL)', name=op.f('ck_flag_flags_one_item')),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_flag_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogue.id'], name=op.f('fk_flag_dialogue_id_dialogue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flagger_id'], ['user_account.id'], name=op.f('fk_flag_flagger_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_flag_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag')),
    sa.UniqueConstraint('flagger_id', 'comment_id', name=op.f('uq_flag_flagger_id_comment_id')),
    sa.UniqueConstraint('flagger_id', 'proposal_id', name=op.f('uq_flag_flagger_id_proposal_id'))
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_flag_dialogue_id_state', ['dialogue_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_flagger_id'), ['flagger_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_proposal_id'), ['proposal_id'], unique=False)

    for table in ('proposal', 'comment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('moderation', MODERATION, nullable=False, server_default='shown'))
            batch_op.add_column(sa.Column('moderation_reason', sa.Text(), nullable=True))
            batch_op.add_column(sa.Column('open_flags', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_threshold', sa.Integer(), nullable=False, server_default='3'))
        batch_op.create_check_constraint('flag_threshold_range', 'flag_threshold BETWEEN 1 AND 100')

    # The defaults filled the rows there were; new rows get theirs from the models.
    for table, columns in (
        ('proposal', ('moderation', 'open_flags')),
        ('comment', ('moderation', 'open_flags')),
        ('dialogue', ('flag_threshold',)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.drop_constraint('flag_threshold_range', type_='check')
        batch_op.drop_column('flag_threshold')

    for table in ('comment', 'proposal'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('open_flags')
            batch_op.drop_column('moderation_reason')
            batch_op.drop_column('moderation')

    op.drop_table('flag')
