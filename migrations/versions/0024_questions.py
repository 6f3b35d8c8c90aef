"""questions: the organiser's own questions per event, their options with places, the answers

Revision ID: 0024_questions
Revises: 0023_place_texts
Create Date: 2026-12-06 21:40:00

New tables only, and two event columns with defaults: the previous release runs against the
new schema unchanged. The event columns are added with a plain ALTER TABLE (never a batch
copy, which on SQLite would cascade the event's rows away).
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024_questions'
down_revision = '0023_place_texts'
branch_labels = None
depends_on = None

KNOWN = "IN ('en', 'fr', 'ar')"
KINDS = (
    'text', 'paragraph', 'radio', 'select', 'checkboxes', 'yes_no', 'number', 'date', 'country',
    'email', 'phone',
)


def _text_table(name: str, owner: str, owner_table: str, key: str, columns) -> None:
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
        sa.UniqueConstraint(owner, 'language', name=f'uq_{name}_{key}_language'),
    )


def upgrade():
    op.add_column('event', sa.Column('answers_close_at', sa.DateTime(timezone=True),
                                     nullable=True))
    op.add_column('event', sa.Column('sensitive_answer_days', sa.Integer(),
                                     server_default='30', nullable=False))
    op.create_table(
        'question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='questionkind', native_enum=False, length=20),
                  nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('sensitive', sa.Boolean(), nullable=False),
        sa.Column('min_number', sa.Float(), nullable=True),
        sa.Column('max_number', sa.Float(), nullable=True),
        sa.Column('min_date', sa.Date(), nullable=True),
        sa.Column('max_date', sa.Date(), nullable=True),
        sa.Column('depends_on_id', sa.Integer(), nullable=True),
        sa.Column('depends_on_value', sa.String(length=40), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['depends_on_id'], ['question.id'],
                                name=op.f('fk_question_depends_on_id_question'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_question_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    )
    op.create_index('ix_question_event_position', 'question', ['event_id', 'position'])
    _text_table('question_text', 'question_id', 'question', 'question', [
        sa.Column('label', sa.String(length=300), nullable=False),
        sa.Column('help', sa.String(length=1000), nullable=False),
        sa.Column('purpose', sa.String(length=500), nullable=False),
    ])
    op.create_table(
        'question_option',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('places', sa.Integer(), nullable=True),
        sa.Column('places_taken', sa.Integer(), server_default='0', nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('places_taken >= 0',
                           name=op.f('ck_question_option_places_taken_not_negative')),
        sa.CheckConstraint('places IS NULL OR places_taken <= places',
                           name=op.f('ck_question_option_places_within_limit')),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'],
                                name=op.f('fk_question_option_question_id_question'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_option')),
    )
    _text_table('option_text', 'option_id', 'question_option', 'option', [
        sa.Column('label', sa.String(length=200), nullable=False),
    ])
    op.create_table(
        'answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('option_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['option_id'], ['question_option.id'],
                                name=op.f('fk_answer_option_id_question_option'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'],
                                name=op.f('fk_answer_question_id_question'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_answer_registration_id_registration'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    )
    op.create_index('ix_answer_question_option', 'answer', ['question_id', 'option_id'])
    op.create_index(op.f('ix_answer_registration_id'), 'answer', ['registration_id'])


def downgrade():
    op.drop_table('answer')
    op.drop_table('option_text')
    op.drop_table('question_option')
    op.drop_table('question_text')
    op.drop_table('question')
    # Plain DROP COLUMN (SQLite 3.35+), never a batch copy that would cascade.
    op.drop_column('event', 'sensitive_answer_days')
    op.drop_column('event', 'answers_close_at')
