"""accounts: session versions, failed attempts counted in the database, usual addresses,
password reset links

Revision ID: 0007_accounts
Revises: 0008_content_html
Create Date: 2026-11-27 12:30:00

Sign-in limits are counted in a table rather than in each web process's memory, so that they
hold under gunicorn's several workers and on several servers. Raising a user's session_version
ends every session of the account.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_accounts'
down_revision = '0008_content_html'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='1', nullable=False)
        )
        batch_op.add_column(
            sa.Column('sign_in_warning_at', sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        'account_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum('sign-in', 'password-reset', name='attemptkind', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('account_digest', sa.String(length=64), nullable=False),
        sa.Column('address_digest', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_attempt')),
    )
    with op.batch_alter_table('account_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_attempt_at'), ['at'], unique=False)
        batch_op.create_index(
            'ix_account_attempt_kind_account_at', ['kind', 'account_digest', 'at'], unique=False
        )
        batch_op.create_index(
            'ix_account_attempt_kind_address_at', ['kind', 'address_digest', 'at'], unique=False
        )
    op.create_table(
        'usual_address',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('address_digest', sa.String(length=64), nullable=False),
        sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user.id'],
            name=op.f('fk_usual_address_user_id_user'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_usual_address')),
        sa.UniqueConstraint('user_id', 'address_digest', name=op.f('uq_usual_address_user_id')),
    )
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user.id'],
            name=op.f('fk_password_reset_user_id_user'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash')),
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))
    op.drop_table('password_reset')
    op.drop_table('usual_address')
    with op.batch_alter_table('account_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_account_attempt_kind_address_at')
        batch_op.drop_index('ix_account_attempt_kind_account_at')
        batch_op.drop_index(batch_op.f('ix_account_attempt_at'))
    op.drop_table('account_attempt')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('sign_in_warning_at')
        batch_op.drop_column('session_version')
