"""Heartbeats: each worker process's and each periodic task's last sign of life, read by
/readyz on every web host.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('heartbeat',
    sa.Column('kind', sa.Enum('worker', 'periodic', name='heartbeat_kind', native_enum=False, length=16), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'name', name=op.f('pk_heartbeat'))
    )


def downgrade():
    op.drop_table('heartbeat')
