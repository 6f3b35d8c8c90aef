"""visa letters: a registrant's request with its passport details, and the event's settings

Revision ID: 0029_visa_letters
Revises: 0028_issued_documents
Create Date: 2026-12-07 00:30:00

The passport details live in their own table (``visa_letter``), linked to the registration by
its id, so that nothing that reads registrations reads them; the letter, once issued, is an
``issued_document`` of kind "visa_letter" (no change there: kinds are checked by the
application). The event gains its letter
settings, with server defaults: the previous release runs against them unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_visa_letters'
down_revision = '0028_issued_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('event', sa.Column('visa_letters', sa.Boolean(), server_default='0',
                                     nullable=False))
    op.add_column('event', sa.Column('visa_covers_costs', sa.Boolean(), server_default='0',
                                     nullable=False))
    op.add_column('event', sa.Column('visa_signatory_name', sa.String(length=200),
                                     server_default='', nullable=False))
    op.add_column('event', sa.Column('visa_signatory_role', sa.String(length=200),
                                     server_default='', nullable=False))
    op.add_column('event', sa.Column('passport_data_days', sa.Integer(), server_default='30',
                                     nullable=False))
    op.create_table(
        'visa_letter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('passport_name', sa.String(length=200), nullable=False),
        sa.Column('nationality', sa.String(length=2), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('passport_number', sa.String(length=40), nullable=False),
        sa.Column('passport_expires_on', sa.Date(), nullable=True),
        sa.Column('passport_purged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.Enum('requested', 'approved', 'declined',
                                    name='letterstatus', native_enum=False, length=20),
                  nullable=False),
        sa.Column('decline_message', sa.Text(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_visa_letter_registration_id_registration'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_visa_letter_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'],
                                name=op.f('fk_visa_letter_decided_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['document_id'], ['issued_document.id'],
                                name=op.f('fk_visa_letter_document_id_issued_document'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visa_letter')),
        sa.UniqueConstraint('registration_id', name=op.f('uq_visa_letter_registration_id')),
    )
    op.create_index(op.f('ix_visa_letter_event_id'), 'visa_letter', ['event_id'])


def downgrade():
    op.drop_index(op.f('ix_visa_letter_event_id'), table_name='visa_letter')
    op.drop_table('visa_letter')
    for column in ('passport_data_days', 'visa_signatory_role', 'visa_signatory_name',
                   'visa_covers_costs', 'visa_letters'):
        op.drop_column('event', column)
