"""search trigrams: on PostgreSQL, the registrant search finds its matches in an index

Revision ID: 0019_search_trigrams
Revises: 0018_search_index
Create Date: 2026-11-27 17:50:00

The search looks for a piece of text anywhere in the name, the address or the organisation
(``lower(column) LIKE '%text%'``). A trigram index (the pg_trgm extension, shipped with
PostgreSQL and trusted: the database's owner may create it) answers that without reading
every registration. SQLite has no such index; it reads the name index there (0018). Only an
index is added: the previous release runs against it unchanged.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_search_trigrams'
down_revision = '0018_search_index'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.execute(
        'CREATE INDEX ix_registration_search_trgm ON registration USING gin ('
        'lower(full_name) gin_trgm_ops, lower(email_normalised) gin_trgm_ops, '
        'lower(organisation) gin_trgm_ops)'
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # The extension stays: other databases' objects, or the administrator's, may use it.
    op.execute('DROP INDEX ix_registration_search_trgm')
