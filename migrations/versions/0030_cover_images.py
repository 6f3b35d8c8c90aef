"""cover images: the sizes of an event's cover, and its description in each language

Revision ID: 0030_cover_images
Revises: 0029_visa_letters
Create Date: 2026-12-07 00:30:00

Organisers upload a cover image for an event; the sizes made from it are kept in the
database (``cover_image``), so that every web server behind the load balancer serves them,
and each language's description of it for people who cannot see it in
``event_text.cover_alt``. A table and a column with a default are only added: the previous
release runs against them unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_cover_images'
down_revision = '0029_visa_letters'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_text') as batch:
        batch.add_column(
            sa.Column('cover_alt', sa.String(length=300), server_default='', nullable=False)
        )
    op.create_table(
        'cover_image',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_cover_image_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cover_image')),
        sa.UniqueConstraint('event_id', 'width', name='uq_cover_image_event_width'),
    )
    op.create_index(op.f('ix_cover_image_event_id'), 'cover_image', ['event_id'])
    op.create_index(op.f('ix_cover_image_name'), 'cover_image', ['name'])


def downgrade():
    op.drop_index(op.f('ix_cover_image_name'), table_name='cover_image')
    op.drop_index(op.f('ix_cover_image_event_id'), table_name='cover_image')
    op.drop_table('cover_image')
    with op.batch_alter_table('event_text') as batch:
        batch.drop_column('cover_alt')
