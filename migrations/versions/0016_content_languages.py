"""content languages: event and news texts per language, with a main language

Revision ID: 0016_content_languages
Revises: 0013_privacy
Create Date: 2026-11-27 13:50:00

Events and news posts are written in English, French and Arabic. Their texts move from the
event and news_post tables to event_text and news_text, one row per language; each existing
event and post keeps its texts as its English version, English being its main language.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_content_languages'
down_revision = '0013_privacy'
branch_labels = None
depends_on = None

KNOWN = "IN ('en', 'fr', 'ar')"
EVENT_TEXTS = (
    'title', 'summary', 'description', 'description_html', 'venue', 'invitation_subject',
    'invitation_message',
)
NEWS_TEXTS = ('title', 'summary', 'body', 'body_html')


def _text_table(name: str, owner: str, owner_table: str, columns: list[sa.Column]) -> None:
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        *columns,
        sa.CheckConstraint(f'language {KNOWN}', name=op.f(f'ck_{name}_language_known')),
        sa.ForeignKeyConstraint(
            [owner], [f'{owner_table}.id'], name=op.f(f'fk_{name}_{owner}_{owner_table}'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
        sa.UniqueConstraint(owner, 'language', name=f'uq_{name}_{owner.split("_")[0]}_language'),
    )


def _add_main_language(table: str) -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite, whose foreign keys are on, dropping
    # the old table in a batch would cascade to the event's registrations and texts. SQLite
    # cannot add a CHECK constraint to an existing table, so there the form's choices are
    # the check.
    op.add_column(
        table, sa.Column('main_language', sa.String(length=8), server_default='en', nullable=False)
    )
    if op.get_bind().dialect.name != 'sqlite':
        op.create_check_constraint(
            op.f(f'ck_{table}_main_language_known'), table, f'main_language {KNOWN}'
        )


def upgrade():
    _text_table('event_text', 'event_id', 'event', [
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('description_html', sa.Text(), nullable=False),
        sa.Column('venue', sa.String(length=200), nullable=False),
        sa.Column('invitation_subject', sa.String(length=200), nullable=False),
        sa.Column('invitation_message', sa.Text(), nullable=False),
    ])
    _text_table('news_text', 'post_id', 'news_post', [
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
    ])
    _add_main_language('event')
    _add_main_language('news_post')
    # Every existing text becomes its owner's English version, as written.
    op.execute(
        f"INSERT INTO event_text (event_id, language, {', '.join(EVENT_TEXTS)}) "
        f"SELECT id, 'en', {', '.join(EVENT_TEXTS)} FROM event"
    )
    op.execute(
        f"INSERT INTO news_text (post_id, language, {', '.join(NEWS_TEXTS)}) "
        f"SELECT id, 'en', {', '.join(NEWS_TEXTS)} FROM news_post"
    )
    # Plain ALTER TABLE (SQLite 3.35 and later), for the reason given in _add_main_language.
    for column in EVENT_TEXTS:
        op.drop_column('event', column)
    for column in NEWS_TEXTS:
        op.drop_column('news_post', column)


def _restore_columns(table: str, owner: str, texts_table: str, columns: list[sa.Column]):
    """Put the main-language texts back on their owner; the other languages are lost."""
    for column in columns:
        op.add_column(table, column)
    for column in columns:
        op.execute(
            f"UPDATE {table} SET {column.name} = (SELECT t.{column.name} FROM {texts_table} t "
            f"WHERE t.{owner} = {table}.id AND t.language = {table}.main_language) "
            f"WHERE EXISTS (SELECT 1 FROM {texts_table} t "
            f"WHERE t.{owner} = {table}.id AND t.language = {table}.main_language)"
        )
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(f'ck_{table}_main_language_known'), table, type_='check')
    op.drop_column(table, 'main_language')
    op.drop_table(texts_table)


def downgrade():
    _restore_columns('news_post', 'post_id', 'news_text', [
        sa.Column('title', sa.String(length=200), server_default='', nullable=False),
        sa.Column('summary', sa.String(length=500), server_default='', nullable=False),
        sa.Column('body', sa.Text(), server_default='', nullable=False),
        sa.Column('body_html', sa.Text(), server_default='', nullable=False),
    ])
    _restore_columns('event', 'event_id', 'event_text', [
        sa.Column('title', sa.String(length=200), server_default='', nullable=False),
        sa.Column('summary', sa.String(length=500), server_default='', nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('description_html', sa.Text(), server_default='', nullable=False),
        sa.Column('venue', sa.String(length=200), server_default='', nullable=False),
        sa.Column('invitation_subject', sa.String(length=200), server_default='', nullable=False),
        sa.Column('invitation_message', sa.Text(), server_default='', nullable=False),
    ])
