"""Stored files remember who uploaded them (for the daily cap) and are found by age
(for the expiry of uploads no proposal uses).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_stored_file_uploaded_by_id_user_account'),
            'user_account',
            ['uploaded_by_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index(
            'ix_stored_file_uploaded_by_id_created_at', ['uploaded_by_id', 'created_at']
        )
        batch_op.create_index(batch_op.f('ix_stored_file_created_at'), ['created_at'])


def downgrade():
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_created_at'))
        batch_op.drop_index('ix_stored_file_uploaded_by_id_created_at')
        batch_op.drop_constraint(
            batch_op.f('fk_stored_file_uploaded_by_id_user_account'), type_='foreignkey'
        )
        batch_op.drop_column('uploaded_by_id')
