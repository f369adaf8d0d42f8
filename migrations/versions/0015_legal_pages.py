"""The legal pages administrators edit (terms of use, privacy notice, accessibility
statement, per language) and the reports of accessibility barriers.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('terms', 'privacy', 'accessibility', name='legal_page_kind', native_enum=False, length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('sv', 'en')", name=op.f('ck_legal_page_language_known')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_legal_page_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_page')),
    sa.UniqueConstraint('kind', 'language', name=op.f('uq_legal_page_kind_language'))
    )
    with op.batch_alter_table('legal_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_page_updated_by_id'), ['updated_by_id'], unique=False)
    op.create_table('accessibility_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('page_url', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_accessibility_feedback_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessibility_feedback'))
    )
    with op.batch_alter_table('accessibility_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accessibility_feedback_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessibility_feedback_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accessibility_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accessibility_feedback_user_id'))
        batch_op.drop_index(batch_op.f('ix_accessibility_feedback_created_at'))
    op.drop_table('accessibility_feedback')
    with op.batch_alter_table('legal_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_page_updated_by_id'))
    op.drop_table('legal_page')
