"""content html: event and news texts stored as sanitised HTML beside their Markdown; news authors

Revision ID: 0008_content_html
Revises: 0005_outbox_claim_order
Create Date: 2026-11-27 12:50:00

Rendering and sanitising the Markdown on every view cost about a fifth of the event page's
time; it is now done when the text is saved, and here once for the rows that exist.
A post's author decides which organiser may manage it; posts written before this revision
have none, so only administrators manage them.
"""
import sqlalchemy as sa
from alembic import op

from mmm_events.text import render_markdown


# revision identifiers, used by Alembic.
revision = '0008_content_html'
down_revision = '0005_outbox_claim_order'
branch_labels = None
depends_on = None


def _render_existing(table: str, source: str, target: str) -> None:
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(source), sa.column(target))
    connection = op.get_bind()
    for row_id, text in connection.execute(sa.select(rows.c.id, rows.c[source])).all():
        connection.execute(
            rows.update()
            .where(rows.c.id == row_id)
            .values({target: str(render_markdown(text or ''))})
        )


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('description_html', sa.Text(), server_default='', nullable=False)
        )
    with op.batch_alter_table('news_post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_news_post_author_id'), ['author_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_news_post_author_id_user'), 'user', ['author_id'], ['id'],
            ondelete='SET NULL',
        )
    _render_existing('event', 'description', 'description_html')
    _render_existing('news_post', 'body', 'body_html')


def downgrade():
    with op.batch_alter_table('news_post', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_news_post_author_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_news_post_author_id'))
        batch_op.drop_column('author_id')
        batch_op.drop_column('body_html')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('description_html')
