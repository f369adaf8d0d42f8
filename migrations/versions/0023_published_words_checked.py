"""The listing version of its dialogue a published report's words were last checked
against: the words of input since taken out of sight leave it.

Revision ID: 0023
Revises: 0022
"""

from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("published_report") as batch:
        batch.add_column(sa.Column("words_checked_at_version", sa.String(16), nullable=True))


def downgrade():
    with op.batch_alter_table("published_report") as batch:
        batch.drop_column("words_checked_at_version")
