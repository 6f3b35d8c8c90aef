"""organiser: indexes for the registrant list

Revision ID: 0003_organiser
Revises: 0001
Create Date: 2026-11-27 00:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003_organiser'
down_revision = '0001'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_registration_event_id_id': ['event_id', 'id'],
    'ix_registration_event_name': ['event_id', 'full_name', 'id'],
    'ix_registration_event_organisation': ['event_id', 'organisation', 'id'],
    'ix_registration_event_country': ['event_id', 'country', 'id'],
    'ix_registration_event_checked_in': ['event_id', 'checked_in_at', 'id'],
}


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
