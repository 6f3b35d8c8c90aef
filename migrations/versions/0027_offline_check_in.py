"""offline check-in: who checked a person in, and each check-in made at the door by its key

Revision ID: 0027_offline_check_in
Revises: 0025_approval
Create Date: 2026-12-06 21:45:00

The check-in page keeps the event's list on the phone and queues check-ins made offline.
Each one carries a key made on the phone (``check_in_receipt.key``, unique) so that sending it
twice records it once; ``registration.checked_in_by_id`` keeps who checked the person in
first. The phone asks only for what changed since its last refresh
(``ix_registration_event_updated``). Columns and a table are only added: the previous
release runs against them unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_offline_check_in'
down_revision = '0025_approval'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration') as batch:
        batch.add_column(sa.Column('checked_in_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f('fk_registration_checked_in_by_id_user'),
            'user', ['checked_in_by_id'], ['id'], ondelete='SET NULL',
        )
        batch.create_index('ix_registration_event_updated', ['event_id', 'updated_at'])
    op.create_table(
        'check_in_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('undo', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_check_in_receipt_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_check_in_receipt_registration_id_registration'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_check_in_receipt_user_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_receipt')),
        sa.UniqueConstraint('key', name=op.f('uq_check_in_receipt_key')),
    )
    op.create_index(op.f('ix_check_in_receipt_event_id'), 'check_in_receipt', ['event_id'])
    op.create_index(
        op.f('ix_check_in_receipt_registration_id'), 'check_in_receipt', ['registration_id']
    )


def downgrade():
    op.drop_index(op.f('ix_check_in_receipt_registration_id'), table_name='check_in_receipt')
    op.drop_index(op.f('ix_check_in_receipt_event_id'), table_name='check_in_receipt')
    op.drop_table('check_in_receipt')
    with op.batch_alter_table('registration') as batch:
        batch.drop_index('ix_registration_event_updated')
        batch.drop_constraint('fk_registration_checked_in_by_id_user', type_='foreignkey')
        batch.drop_column('checked_in_by_id')
