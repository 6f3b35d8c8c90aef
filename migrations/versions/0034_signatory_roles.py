"""signatory roles: the role under the signatory's name on visa letters, in each language

Revision ID: 0034_signatory_roles
Revises: 0033_pending_covers
Create Date: 2026-12-07 06:10:00

A letter in French said "President" under the signatory's name. Each language's texts now
hold the role; the main language's is copied from the event, whose own column stays the main
language's copy (as for the city: the previous release reads it).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034_signatory_roles'
down_revision = '0033_pending_covers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_text', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('visa_signatory_role', sa.String(length=200), nullable=False,
                      server_default='')
        )
    op.execute(
        'UPDATE event_text SET visa_signatory_role = (SELECT event.visa_signatory_role '
        'FROM event WHERE event.id = event_text.event_id) '
        'WHERE language = (SELECT event.main_language FROM event '
        'WHERE event.id = event_text.event_id)'
    )


def downgrade():
    with op.batch_alter_table('event_text', schema=None) as batch_op:
        batch_op.drop_column('visa_signatory_role')
