"""recipient name: the display name of an email's To: header

Revision ID: 0017_recipient_name
Revises: 0015_rsvp_guards
Create Date: 2026-11-27 14:10:00

A column with a default that the previous release ignores, so the database can be migrated
before the web servers and workers are replaced; rows queued before it have no name, and go
to the bare address as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_recipient_name'
down_revision = '0015_rsvp_guards'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('recipient_name', sa.String(length=200), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('recipient_name')
