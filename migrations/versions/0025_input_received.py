"""Input a planner records for someone (a letter, a call): who sent it, shown to the
dialogue's staff only and emptied by the dialogue's retention decision, the day it was
received and the municipality's case number (diarienummer).

Revision ID: 0025
Revises: 0024
"""

from alembic import op
import sqlalchemy as sa

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("sender_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("case_number", sa.String(50), nullable=True))


def downgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("case_number")
        batch.drop_column("received_on")
        batch.drop_column("sender_name")
