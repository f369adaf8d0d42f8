"""An official answer names the department (förvaltning) that answers, drafted like its
status and text, and the time its published words were last changed, so residents read
"updated" beside the date it was first published.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("official_answer") as batch:
        batch.add_column(sa.Column("department", sa.String(120), nullable=True))
        batch.add_column(sa.Column("draft_department", sa.String(120), nullable=True))
        batch.add_column(sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("official_answer") as batch:
        batch.drop_column("revised_at")
        batch.drop_column("draft_department")
        batch.drop_column("department")
