"""The organiser's own questions on an event's RSVP form, their options, and the answers.

A question's label, help and purpose, and an option's label, are written per language like
the event's texts (``texts``), with the event's main language as the fallback. Removing a
question or an option only marks it removed: the answers already given stay readable until
the retention purge.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship

from ..extensions import db
from ._base import UTCDateTime
from .events import Event
from .texts import language_check


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    PARAGRAPH = "paragraph"
    RADIO = "radio"  # one choice, as radio buttons
    SELECT = "select"  # one choice, as a list
    CHECKBOXES = "checkboxes"  # several choices
    YES_NO = "yes_no"
    NUMBER = "number"
    DATE = "date"
    COUNTRY = "country"
    EMAIL = "email"
    PHONE = "phone"


# The kinds whose answers are options (``QuestionOption``), one answer row per option chosen.
CHOICE_KINDS = (QuestionKind.RADIO, QuestionKind.SELECT, QuestionKind.CHECKBOXES)


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (Index("ix_question_event_position", "event_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(
        Enum(QuestionKind, native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e])
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Passport numbers, health: left out of lists and exports unless asked for (audited),
    # and deleted ``event.sensitive_answer_days`` after the event.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    min_number: Mapped[float | None] = mapped_column(Float)
    max_number: Mapped[float | None] = mapped_column(Float)
    min_date: Mapped[date | None] = mapped_column(Date)
    max_date: Mapped[date | None] = mapped_column(Date)
    # Asked only when the question ``depends_on_id`` has the answer ``depends_on_value``:
    # an option's id, or "yes" / "no" for a yes-or-no question.
    depends_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL")
    )
    depends_on_value: Mapped[str] = mapped_column(String(40), default="")
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship()
    texts: Mapped[dict[str, QuestionText]] = relationship(
        collection_class=attribute_keyed_dict("language"), cascade="all, delete-orphan"
    )
    options: Mapped[list[QuestionOption]] = relationship(
        back_populates="question", cascade="all, delete-orphan",
        order_by="QuestionOption.position, QuestionOption.id",
    )

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind.value}>"

    @property
    def main_language(self) -> str:
        return self.event.main_language

    def text_in(self, language: str) -> QuestionText:
        if language not in self.texts:
            self.texts[language] = QuestionText(language=language)
        return self.texts[language]

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def live_options(self) -> list[QuestionOption]:
        return [option for option in self.options if option.removed_at is None]


class QuestionText(db.Model):
    __tablename__ = "question_text"
    __table_args__ = (
        UniqueConstraint("question_id", "language", name="uq_question_text_question_language"),
        language_check("language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(300), default="")
    help: Mapped[str] = mapped_column(String(1000), default="")
    # Why MMM asks: shown to the person beside the question.
    purpose: Mapped[str] = mapped_column(String(500), default="")


class QuestionOption(db.Model):
    __tablename__ = "question_option"
    __table_args__ = (
        CheckConstraint("places_taken >= 0", name="places_taken_not_negative"),
        # Beneath the conditional UPDATE (questions.places), as for seats.
        CheckConstraint("places IS NULL OR places_taken <= places", name="places_within_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # None: no limit. ``places_taken`` counts the registrations not cancelled that chose it.
    places: Mapped[int | None] = mapped_column(Integer)
    places_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    question: Mapped[Question] = relationship(back_populates="options")
    texts: Mapped[dict[str, OptionText]] = relationship(
        collection_class=attribute_keyed_dict("language"), cascade="all, delete-orphan"
    )

    @property
    def main_language(self) -> str:
        return self.question.event.main_language

    def text_in(self, language: str) -> OptionText:
        if language not in self.texts:
            self.texts[language] = OptionText(language=language)
        return self.texts[language]

    @property
    def is_full(self) -> bool:
        return self.places is not None and self.places_taken >= self.places

    @property
    def places_left(self) -> int | None:
        return None if self.places is None else max(self.places - self.places_taken, 0)


class OptionText(db.Model):
    __tablename__ = "option_text"
    __table_args__ = (
        UniqueConstraint("option_id", "language", name="uq_option_text_option_language"),
        language_check("language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("question_option.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200), default="")


class Answer(db.Model):
    """One answer of a registration: a value, or one option chosen (a question with several
    choices has a row per option). Choices are kept by the option's id, so that an option
    reworded later still reads right."""

    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_question_option", "question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_option.id", ondelete="CASCADE")
    )
    value: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship()
    option: Mapped[QuestionOption | None] = relationship()
