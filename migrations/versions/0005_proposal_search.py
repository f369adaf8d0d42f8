"""Full-text search for proposals: a Swedish GIN index on PostgreSQL, FTS5 on SQLite.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_proposal_search_swedish ON proposal USING gin "
            "(to_tsvector('swedish', title || ' ' || body))"
        )
    else:
        # Filled by the application with Snowball-stemmed text (dialog/core/search.py).
        op.execute(
            "CREATE VIRTUAL TABLE proposal_search USING fts5("
            "text, tokenize = 'unicode61 remove_diacritics 0')"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_proposal_search_swedish")
    else:
        op.execute("DROP TABLE IF EXISTS proposal_search")
