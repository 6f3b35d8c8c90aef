"""rsvp guards: whom an invitation admits, and confirming one's address (double opt-in)

Revision ID: 0015_rsvp_guards
Revises: 0016_content_languages
Create Date: 2026-11-27 13:40:00

Events choose whom one invitation admits (its own address by default, so a forwarded link
no longer lets strangers in) and whether registrations wait for the address to be confirmed.
Registrations gain the guest link, the confirmation secret and the end of the seat's hold.
Every change is an addition with a default, which the previous release ignores.

Only columns and indexes are added, never through a rebuild of the table on SQLite: dropping
the old ``event`` or ``registration`` table during a rebuild, with foreign keys on, would
cascade to the rows that refer to it (registrations, their days, their emails).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_rsvp_guards'
down_revision = '0016_content_languages'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'event',
        sa.Column(
            'invitation_admits',
            sa.Enum(
                'own_address', 'anyone_once', 'guests',
                name='invitationadmits', native_enum=False, length=20,
            ),
            server_default='own_address',
            nullable=False,
        ),
    )
    op.add_column(
        'event',
        sa.Column(
            'invitation_guests',
            sa.Integer(),
            # In the column's definition: SQLite adds it with the column, without a rebuild.
            sa.CheckConstraint(
                'invitation_guests >= 0', name=op.f('ck_event_invitation_guests_not_negative')
            ),
            server_default='0',
            nullable=False,
        ),
    )
    op.add_column(
        'event', sa.Column('confirm_email', sa.Boolean(), server_default='0', nullable=False)
    )

    # No foreign key (see the model): SQLite would add one only by rebuilding the table.
    op.add_column('registration', sa.Column('guest_of_id', sa.Integer(), nullable=True))
    op.add_column('registration', sa.Column('confirm_token', sa.String(length=64), nullable=True))
    op.add_column(
        'registration', sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        op.f('ix_registration_guest_of_id'), 'registration', ['guest_of_id'], unique=False
    )
    op.create_index(
        op.f('ix_registration_confirm_token'), 'registration', ['confirm_token'], unique=True
    )
    op.create_index(
        op.f('ix_registration_hold_expires_at'), 'registration', ['hold_expires_at'],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f('ix_registration_hold_expires_at'), table_name='registration')
    op.drop_index(op.f('ix_registration_confirm_token'), table_name='registration')
    op.drop_index(op.f('ix_registration_guest_of_id'), table_name='registration')
    # SQLite (3.35 and later) drops a column that no index uses without a rebuild, with its
    # own CHECK clause.
    for column in ('hold_expires_at', 'confirm_token', 'guest_of_id'):
        op.drop_column('registration', column)
    for column in ('confirm_email', 'invitation_guests', 'invitation_admits'):
        op.drop_column('event', column)
