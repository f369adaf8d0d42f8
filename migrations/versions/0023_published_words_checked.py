"""Each dialogue's texts version (renewed when what residents can read changes), and the
one a published report's words were last checked against: the words of input since
taken out of sight leave it.

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
    with op.batch_alter_table("dialogue") as batch:
        batch.add_column(sa.Column("texts_version", sa.String(16), nullable=True))
    with op.batch_alter_table("published_report") as batch:
        batch.add_column(sa.Column("words_checked_at_version", sa.String(16), nullable=True))


def downgrade():
    with op.batch_alter_table("published_report") as batch:
        batch.drop_column("words_checked_at_version")
    with op.batch_alter_table("dialogue") as batch:
        batch.drop_column("texts_version")
