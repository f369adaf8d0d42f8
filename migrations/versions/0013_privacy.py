"""Privacy: data exports, anonymised and inactive accounts, unnamed votes, and each
dialogue's retention decision (gallringsbeslut).

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_active_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('inactivity_warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    # Until now the last login is the latest session; accounts without one count from
    # their creation.
    op.execute(
        "UPDATE user_account SET last_active_at = "
        "(SELECT max(user_session.created_at) FROM user_session "
        "WHERE user_session.user_id = user_account.id)"
    )

    op.create_table(
        'data_export',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('downloaded_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_data_export_file_id_stored_file'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_data_export_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export')),
    )
    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_export_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_export_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column(
            'retention_action',
            sa.Enum('anonymise', 'remove', name='retention_action', native_enum=False, length=16),
            nullable=False,
            server_default='anonymise',
        ))
        batch_op.add_column(sa.Column('thinned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            'retention_months_range',
            'retention_months IS NULL OR retention_months BETWEEN 1 AND 1200',
        )


def downgrade():
    with op.batch_alter_table('dialogue', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dialogue_retention_months_range'), type_='check')
        batch_op.drop_column('thinned_at')
        batch_op.drop_column('retention_action')
        batch_op.drop_column('retention_months')
    op.execute("DELETE FROM vote WHERE user_id IS NULL")
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_export_user_id'))
        batch_op.drop_index(batch_op.f('ix_data_export_file_id'))
    op.drop_table('data_export')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('inactivity_warned_at')
        batch_op.drop_column('last_active_at')
