"""Dialogues carry a version of what their proposal lists show, for cached list fragments.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing_version', sa.String(length=16), nullable=False,
                                      server_default='initial'))
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.alter_column('listing_version', server_default=None)


def downgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.drop_column('listing_version')
