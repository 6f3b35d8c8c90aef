"""approval: events that require the organisers' approval before a registration takes a seat

Revision ID: 0025_approval
Revises: 0024_questions
Create Date: 2026-12-06 21:40:00

One column with a default, which the previous release ignores. The two new registration
statuses ("pending-approval", "not-approved") need no change: statuses are stored as their value
in a VARCHAR(20), without a CHECK listing them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_approval'
down_revision = '0024_questions'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'event', sa.Column('requires_approval', sa.Boolean(), server_default='0', nullable=False)
    )


def downgrade():
    op.drop_column('event', 'requires_approval')
