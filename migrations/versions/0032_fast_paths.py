"""fast paths: an event's content version, for the event page kept rendered per version

Revision ID: 0032_fast_paths
Revises: 0030_cover_images
Create Date: 2026-12-07 00:45:00

``event.content_version`` grows whenever what the public event page shows of the event
changes (the event, its texts, its questions and their options): every process keeps the
page rendered per version (``events/page_cache.py``) and reads only this number on a view.
A column with a default is only added: the previous release runs against it unchanged.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032_fast_paths'
down_revision = '0030_cover_images'
branch_labels = None
depends_on = None


def upgrade():
    # Added and dropped in place (SQLite does both): rebuilding the event table would
    # rewrite its check constraints, which later downgrades drop columns under.
    op.add_column(
        'event', sa.Column('content_version', sa.Integer(), server_default='0', nullable=False)
    )


def downgrade():
    op.drop_column('event', 'content_version')
