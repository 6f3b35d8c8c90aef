"""address change: a new address waits for its owner's confirmation before it counts

Revision ID: 0022_address_change
Revises: 0021_clean_names
Create Date: 2026-12-06 20:40:00

A registration changed on its manage page keeps its address until the link sent to the new
one is followed: the new address, the secret of that link and when it stops working. Only
nullable columns and an index are added (no rebuild of the table on SQLite, which would
cascade to the rows that refer to registrations); the previous release ignores them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_address_change'
down_revision = '0021_clean_names'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('registration', sa.Column('new_email', sa.String(length=254), nullable=True))
    op.add_column(
        'registration', sa.Column('new_email_token', sa.String(length=64), nullable=True)
    )
    op.add_column(
        'registration',
        sa.Column('new_email_expires_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f('ix_registration_new_email_token'), 'registration', ['new_email_token'],
        unique=True,
    )


def downgrade():
    op.drop_index(op.f('ix_registration_new_email_token'), table_name='registration')
    for column in ('new_email_expires_at', 'new_email_token', 'new_email'):
        op.drop_column('registration', column)
