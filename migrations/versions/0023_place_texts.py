"""place texts: an event's city and country written in each language, like its venue

Revision ID: 0023_place_texts
Revises: 0022_address_change
Create Date: 2026-12-06 21:00:00

French and Arabic readers got "Casablanca, Morocco". Each language's texts now hold a city
and a country; the main language's are copied from the event, whose own columns stay the
main language's copy (the previous release, organiser lists and exports read them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_place_texts'
down_revision = '0022_address_change'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_text', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('city', sa.String(length=120), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('country', sa.String(length=120), nullable=False, server_default='')
        )
    op.execute(
        'UPDATE event_text SET '
        'city = (SELECT event.city FROM event WHERE event.id = event_text.event_id), '
        'country = (SELECT event.country FROM event WHERE event.id = event_text.event_id) '
        'WHERE language = (SELECT event.main_language FROM event '
        'WHERE event.id = event_text.event_id)'
    )


def downgrade():
    with op.batch_alter_table('event_text', schema=None) as batch_op:
        batch_op.drop_column('country')
        batch_op.drop_column('city')
