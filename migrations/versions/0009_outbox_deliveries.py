"""An outbox event is a fact; each subscriber's delivery of it is tracked on its own.

Pending emails become pending deliveries for the mail subscriber, keeping their attempts
and retry times; pending events of other kinds had no handler and are marked delivered.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Frozen copy of the subscriber name in dialog/core/mail.py at the time of this migration.
MAIL_SUBSCRIBER = 'core.send_email'

STATUS = sa.Enum('pending', 'delivered', 'failed', name='outbox_status', native_enum=False, length=16)
MOVED_COLUMNS = ('attempts', 'next_attempt_at', 'claimed_until', 'delivered_at', 'last_error')


def upgrade():
    op.create_table('outbox_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('subscriber', sa.String(length=128), nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_event.id'], name=op.f('fk_outbox_delivery_event_id_outbox_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_delivery')),
    sa.UniqueConstraint('event_id', 'subscriber', name=op.f('uq_outbox_delivery_event_id_subscriber'))
    )
    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_delivery_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    # Every email keeps its history as a delivery; claims are dropped, since no worker of
    # the old code will finish them under the new task.
    op.execute(sa.text(
        "INSERT INTO outbox_delivery (event_id, subscriber, status, attempts, next_attempt_at,"
        " delivered_at, last_error)"
        " SELECT id, :subscriber, status, attempts, next_attempt_at, delivered_at, last_error"
        " FROM outbox_event WHERE kind = 'email'"
    ).bindparams(subscriber=MAIL_SUBSCRIBER))
    op.execute(
        "UPDATE outbox_event SET status = 'delivered'"
        " WHERE status = 'pending' AND kind <> 'email'"
    )

    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_event_status_next_attempt_at')
        for column in MOVED_COLUMNS:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.text('CURRENT_TIMESTAMP')))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))

    # The old code knew only the mail handler: emails take their delivery's state back.
    for column in ('status', 'attempts', 'next_attempt_at', 'delivered_at', 'last_error'):
        op.execute(sa.text(
            f"UPDATE outbox_event SET {column} = (SELECT d.{column} FROM outbox_delivery d"
            " WHERE d.event_id = outbox_event.id AND d.subscriber = :subscriber)"
            " WHERE kind = 'email' AND EXISTS (SELECT 1 FROM outbox_delivery d"
            " WHERE d.event_id = outbox_event.id AND d.subscriber = :subscriber)"
        ).bindparams(subscriber=MAIL_SUBSCRIBER))

    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)
        batch_op.alter_column('next_attempt_at', server_default=None)
        batch_op.create_index('ix_outbox_event_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_delivery_status_next_attempt_at')
    op.drop_table('outbox_delivery')
