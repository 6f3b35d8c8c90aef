"""check-in secret: the ticket's QR code no longer carries the manage link's secret

Revision ID: 0006_check_in_secret
Revises: 0010_import_upload
Create Date: 2026-11-27 12:40:00

Every registration gets its own check-in token. The tickets already emailed hold the manage
token in their QR code: those registrations are marked ``legacy_ticket`` so that their old
code still checks the person in.
"""
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_check_in_secret'
down_revision = '0010_import_upload'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_in_token', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('legacy_ticket', sa.Boolean(), server_default='0', nullable=False)
        )

    registration = sa.table(
        'registration',
        sa.column('id', sa.Integer),
        sa.column('check_in_token', sa.String),
        sa.column('legacy_ticket', sa.Boolean),
    )
    connection = op.get_bind()
    ids = connection.execute(sa.select(registration.c.id)).scalars().all()
    if ids:
        # One statement, run for every row with its own random secret (executemany).
        connection.execute(
            registration.update()
            .where(registration.c.id == sa.bindparam('registration_id'))
            .values(check_in_token=sa.bindparam('secret'), legacy_ticket=True),
            [{'registration_id': i, 'secret': secrets.token_urlsafe(32)} for i in ids],
        )

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column(
            'check_in_token', existing_type=sa.String(length=64), nullable=False
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_registration_check_in_token'), ['check_in_token']
        )


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_check_in_token'), type_='unique')
        batch_op.drop_column('legacy_ticket')
        batch_op.drop_column('check_in_token')
