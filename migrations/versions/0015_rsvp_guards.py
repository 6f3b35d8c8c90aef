"""rsvp guards: whom an invitation admits, and confirming one's address (double opt-in)

Revision ID: 0015_rsvp_guards
Revises: 0006_check_in_secret
Create Date: 2026-11-27 13:40:00

Events choose whom one invitation admits (its own address by default, so a forwarded link
no longer lets strangers in) and whether registrations wait for the address to be confirmed.
Registrations gain the guest link, the confirmation secret and the end of the seat's hold.
Every change is an addition with a default, which the previous release ignores.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_rsvp_guards'
down_revision = '0006_check_in_secret'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'invitation_admits',
                sa.Enum(
                    'own_address', 'anyone_once', 'guests',
                    name='invitationadmits', native_enum=False, length=20,
                ),
                server_default='own_address',
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column('invitation_guests', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('confirm_email', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_event_invitation_guests_not_negative'), 'invitation_guests >= 0'
        )

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guest_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirm_token', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_registration_guest_of_id_invitation'),
            'invitation', ['guest_of_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.create_index(
            batch_op.f('ix_registration_guest_of_id'), ['guest_of_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_registration_hold_expires_at'), ['hold_expires_at'], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_registration_confirm_token'), ['confirm_token']
        )


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_confirm_token'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_registration_hold_expires_at'))
        batch_op.drop_index(batch_op.f('ix_registration_guest_of_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_registration_guest_of_id_invitation'), type_='foreignkey'
        )
        batch_op.drop_column('hold_expires_at')
        batch_op.drop_column('confirm_token')
        batch_op.drop_column('guest_of_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_event_invitation_guests_not_negative'), type_='check'
        )
        batch_op.drop_column('confirm_email')
        batch_op.drop_column('invitation_guests')
        batch_op.drop_column('invitation_admits')
