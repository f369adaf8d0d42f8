"""Dialogues list named places that proposals can be tied to.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('named_places', sa.JSON(), nullable=False,
                                      server_default='[]'))
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.alter_column('named_places', server_default=None)


def downgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.drop_column('named_places')
