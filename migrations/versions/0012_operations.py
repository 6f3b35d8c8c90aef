"""operations: mail worker heartbeats, and the request that queued each email

Revision ID: 0012_operations
Revises: 0007_accounts
Create Date: 2026-11-27 12:40:00

Both changes are additions that the previous release ignores (a new table, a nullable
column), so the database can be migrated before the web servers and workers are replaced
one by one (see "Running several servers" in the README).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_operations'
down_revision = '0007_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_worker_heartbeat',
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('retried', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('worker', name=op.f('pk_mail_worker_heartbeat')),
    )
    with op.batch_alter_table('mail_worker_heartbeat', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_mail_worker_heartbeat_last_seen_at'), ['last_seen_at'], unique=False
        )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('request_id')
    with op.batch_alter_table('mail_worker_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_worker_heartbeat_last_seen_at'))
    op.drop_table('mail_worker_heartbeat')
