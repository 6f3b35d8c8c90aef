"""privacy: notice versions, consents, erasures, the audit log; addresses kept as keyed hashes

Revision ID: 0013_privacy
Revises: 0006_check_in_secret
Create Date: 2026-11-27 13:00:00

The suppression list keeps only the keyed hash of each address (privacy.suppression_key,
derived from SECRET_KEY): existing rows are converted, so run this migration with the
SECRET_KEY of the deployment. Invitations carry the same hash, so that the suppression list
can be checked in SQL. Downgrading cannot turn hashes back into addresses: it empties the
suppression list.
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

from mmm_events.addresses import suppression_key


# revision identifiers, used by Alembic.
revision = '0013_privacy'
down_revision = '0006_check_in_secret'
branch_labels = None
depends_on = None


def _create_tables():
    op.create_table('privacy_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('bodies', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_privacy_notice_author_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notice_version'))
    )
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('special_category', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_consent_invitation_id_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['privacy_notice.id'], name=op.f('fk_consent_notice_id_privacy_notice')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_consent_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_registration_id'), ['registration_id'], unique=False)

    op.create_table('erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_erasure_invitation_id_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_erasure_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_erasure_invitation_id')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_erasure_registration_id'))
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('subject_key', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_entry_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_subject_key'), ['subject_key'], unique=False)


def _hash_column(table: str, source: str, secret: str) -> None:
    """Fill ``email_key`` from the address column ``source``, row by row."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(source, sa.String),
                    sa.column('email_key', sa.String))
    for row_id, address in bind.execute(sa.select(rows.c.id, rows.c[source])).all():
        bind.execute(
            rows.update().where(rows.c.id == row_id)
            .values(email_key=suppression_key(address, secret))
        )


def upgrade():
    _create_tables()
    secret = current_app.config['SECRET_KEY']

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=64), nullable=True))
    _hash_column('invitation', 'email_normalised', secret)
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.alter_column('email_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_invitation_email_key'), ['email_key'], unique=False)

    with op.batch_alter_table('suppression', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=64), nullable=True))
    _hash_column('suppression', 'email_normalised', secret)
    with op.batch_alter_table('suppression', schema=None) as batch_op:
        batch_op.alter_column('email_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_suppression_email_normalised', type_='unique')
        batch_op.drop_column('email_normalised')
        batch_op.create_unique_constraint(batch_op.f('uq_suppression_email_key'), ['email_key'])


def downgrade():
    op.execute('DELETE FROM suppression')
    with op.batch_alter_table('suppression', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_suppression_email_key'), type_='unique')
        batch_op.drop_column('email_key')
        batch_op.add_column(sa.Column('email_normalised', sa.String(length=254), nullable=False))
        batch_op.create_unique_constraint('uq_suppression_email_normalised', ['email_normalised'])
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_email_key'))
        batch_op.drop_column('email_key')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        for column in ('subject_key', 'event_id', 'at', 'actor_id', 'action'):
            batch_op.drop_index(batch_op.f(f'ix_audit_entry_{column}'))
    op.drop_table('audit_entry')
    op.drop_table('erasure')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_registration_id'))
        batch_op.drop_index(batch_op.f('ix_consent_invitation_id'))
    op.drop_table('consent')
    op.drop_table('privacy_notice')
