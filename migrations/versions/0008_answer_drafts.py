"""Changes to a published official answer can be drafted before they are shown.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('official_answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_status', sa.Enum(
            'under_review', 'accepted', 'partly_accepted', 'rejected', 'implemented',
            name='answer_status', native_enum=False, length=16), nullable=True))
        batch_op.add_column(sa.Column('draft_body', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('official_answer', schema=None) as batch_op:
        batch_op.drop_column('draft_body')
        batch_op.drop_column('draft_status')
