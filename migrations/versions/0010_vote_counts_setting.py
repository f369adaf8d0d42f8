"""A dialogue chooses whether vote counts show while voting runs; the comment
pre-moderation flag, which nothing read, goes until moderation makes it real.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'vote_counts',
            sa.Enum('live', 'after_voting', name='vote_counts', native_enum=False, length=16),
            nullable=False,
            server_default='live',
        ))
        batch_op.drop_column('comments_premoderated')


def downgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'comments_premoderated', sa.Boolean(), nullable=False, server_default=sa.false()
        ))
        batch_op.drop_column('vote_counts')
