"""outbox claim order: the due-rows index also holds the id that breaks ties

Revision ID: 0005_outbox_claim_order
Revises: 0004_mail_rendering
Create Date: 2026-11-27 04:00:00

The worker asks for the first due rows by (next_attempt_at, id). With the id in the index,
the database reads just those rows instead of sorting every due row on each claim, which
made a claim of 200 rows from a queue of 10,000 cost as much as sending a few of them.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_outbox_claim_order'
down_revision = '0004_mail_rendering'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next_attempt')
        batch_op.create_index(
            'ix_outbox_message_status_next_attempt_id',
            ['status', 'next_attempt_at', 'id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_status_next_attempt_id')
        batch_op.create_index(
            'ix_outbox_message_status_next_attempt', ['status', 'next_attempt_at'], unique=False
        )
