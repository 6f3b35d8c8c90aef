"""issued documents: certificates of attendance (and, later, visa letters) with a reference
and a verification link

Revision ID: 0028_issued_documents
Revises: 0027_offline_check_in
Create Date: 2026-12-07 00:30:00

One row per document issued to a registration: its kind (a plain string checked by the
application, so a new kind needs no migration), its printed reference and the secret of its
verification link (both unique), the name it printed, and when it was revoked, withdrawn or
emailed. A partial unique index keeps one document of a kind in force per registration. A
table is only added: the previous release runs against it unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_issued_documents'
down_revision = '0027_offline_check_in'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'issued_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('reference', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('holder_name', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_issued_document_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_issued_document_registration_id_registration'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'],
                                name=op.f('fk_issued_document_revoked_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document')),
        sa.UniqueConstraint('reference', name=op.f('uq_issued_document_reference')),
        sa.UniqueConstraint('token', name=op.f('uq_issued_document_token')),
    )
    op.create_index(
        'ix_issued_document_event_kind', 'issued_document', ['event_id', 'kind', 'id']
    )
    op.create_index(
        op.f('ix_issued_document_registration_id'), 'issued_document', ['registration_id']
    )
    op.create_index(
        'uq_issued_document_in_force', 'issued_document', ['registration_id', 'kind'],
        unique=True,
        sqlite_where=sa.text('revoked_at IS NULL'),
        postgresql_where=sa.text('revoked_at IS NULL'),
    )


def downgrade():
    op.drop_index('uq_issued_document_in_force', table_name='issued_document')
    op.drop_index(op.f('ix_issued_document_registration_id'), table_name='issued_document')
    op.drop_index('ix_issued_document_event_kind', table_name='issued_document')
    op.drop_table('issued_document')
