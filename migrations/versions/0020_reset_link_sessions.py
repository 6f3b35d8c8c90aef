"""reset link sessions: a password reset link belongs to the account's sessions of its day

Revision ID: 0020_reset_link_sessions
Revises: 0019_search_trigrams
Create Date: 2026-12-06 20:50:00

Each link keeps the account's ``session_version`` at the time it was issued, and opens the
account only while the two are equal: switching the account off (or anything else that ends
every session) ends the link for good, even when the account is switched on again.

Links issued before this migration take their account's current version, so they work as
before. A link issued by the previous release during a rolling release gets 0, which no
account has: it does not work, and its owner asks for another.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_reset_link_sessions'
down_revision = '0019_search_trigrams'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), nullable=False, server_default='0')
        )
    user = sa.table('user', sa.column('id'), sa.column('session_version'))
    reset = sa.table('password_reset', sa.column('user_id'), sa.column('session_version'))
    op.execute(
        reset.update().values(
            session_version=sa.select(user.c.session_version)
            .where(user.c.id == reset.c.user_id)
            .scalar_subquery()
        )
    )


def downgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_column('session_version')
