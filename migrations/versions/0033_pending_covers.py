"""pending covers: a cover sent with an event form that came back with an error, kept

Revision ID: 0033_pending_covers
Revises: 0032_fast_paths
Create Date: 2026-12-07 03:20:00

An organiser who chose a cover image and sent the event form with a mistake elsewhere had to
choose the file again. The sizes made from it now wait in ``pending_cover`` for a day, under
a token the form carries. A table is only added: the previous release runs unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033_pending_covers'
down_revision = '0032_fast_paths'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_cover',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_pending_cover_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_cover')),
    )
    op.create_index(op.f('ix_pending_cover_token'), 'pending_cover', ['token'])
    op.create_index(op.f('ix_pending_cover_expires_at'), 'pending_cover', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_pending_cover_expires_at'), table_name='pending_cover')
    op.drop_index(op.f('ix_pending_cover_token'), table_name='pending_cover')
    op.drop_table('pending_cover')
