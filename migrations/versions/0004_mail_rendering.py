"""mail rendering: outbox rows the worker renders itself

Revision ID: 0004_mail_rendering
Revises: 0003_organiser
Create Date: 2026-11-27 01:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_mail_rendering'
down_revision = '0003_organiser'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('render', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('render')
