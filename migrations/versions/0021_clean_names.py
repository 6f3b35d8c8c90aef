"""clean names: people's names stored before lose their invisible format characters

Revision ID: 0021_clean_names
Revises: 0020_reset_link_sessions
Create Date: 2026-12-06 21:00:00

Names are now cleaned on the way in (mmm_events.text.clean_name): bidi overrides, embeddings,
isolates and marks, zero-width characters and the other Unicode format characters (Cf) can
reorder or hide what an organiser reads. This cleans the names already stored, the same way
(the rule is copied here: a migration must not change when the code does). Data only: the
previous release runs on it unchanged; there is nothing to undo on downgrade.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_clean_names'
down_revision = '0020_reset_link_sessions'
branch_labels = None
depends_on = None

NAME_COLUMNS = (('registration', 'full_name'), ('invitation', 'name'), ('user', 'name'))


def _clean(value):
    return ''.join(c for c in value if unicodedata.category(c) != 'Cf').strip()


def upgrade():
    connection = op.get_bind()
    for table_name, column_name in NAME_COLUMNS:
        table = sa.table(table_name, sa.column('id'), sa.column(column_name))
        column = table.c[column_name]
        changed = [
            {'row_id': row_id, 'clean': _clean(name)}
            for row_id, name in connection.execute(sa.select(table.c.id, column))
            if name and _clean(name) != name
        ]
        if changed:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam('row_id'))
                .values({column_name: sa.bindparam('clean')}),
                changed,
            )


def downgrade():
    pass
