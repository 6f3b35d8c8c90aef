"""The organiser's form for a news post."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import Form, add_text_fields, main_language_field, plausible_year, slug_field


class NewsForm(Form):
    main_language = main_language_field()
    slug = slug_field()
    published_on = DateField(
        _l("Publication date"), validators=[InputRequired(), plausible_year]
    )
    event_id = SelectField(_l("About the event"), coerce=int, default=0)
    is_published = BooleanField(_l("Published (visible to the public)"))


add_text_fields(NewsForm, {
    "title": lambda: StringField(_l("Title"), validators=[Optional(), Length(max=200)]),
    "summary": lambda: TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500)]),
    "body": lambda: TextAreaField(_l("Text"), validators=[Optional(), Length(max=50_000)]),
})
