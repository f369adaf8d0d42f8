"""Invitation links carry a nonce that renewing replaces; accounts with another address
ask for access, and the dialogue's staff approve or refuse.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows keep a NULL nonce, so links already sent keep working until renewed.
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_nonce', sa.String(length=32), nullable=True))

    op.create_table('access_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'approved', 'refused', name='access_request_state', native_enum=False, length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_access_request_invitation_id_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_access_request_user_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_access_request_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_request')),
    sa.UniqueConstraint('invitation_id', 'user_id', name=op.f('uq_access_request_invitation_id_user_id'))
    )
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_request_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_request_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_request_decided_by_id'), ['decided_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_request_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_access_request_user_id'))
        batch_op.drop_index(batch_op.f('ix_access_request_invitation_id'))
    op.drop_table('access_request')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('token_nonce')
