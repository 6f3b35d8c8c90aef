"""The demo conference's questions (``flask seed-demo``): the workshops with 30 places each,
the role, dietary needs, the arrival date, and the visa letter with its dependent questions."""

from __future__ import annotations

from datetime import timedelta

from ..models import Event, utcnow
from .editing import add_question


def _t(en: str, fr: str, ar: str, *, purpose: tuple[str, str, str] | None = None) -> dict:
    texts = {"en": {"label": en}, "fr": {"label": fr}, "ar": {"label": ar}}
    if purpose is not None:
        for language, words in zip(("en", "fr", "ar"), purpose, strict=True):
            texts[language]["purpose"] = words
    return texts


def _options(*labels: tuple[str, str, str], places: int | None = None) -> list[dict]:
    return [{"texts": _t(*label), "places": places} for label in labels]


VISA_PURPOSE = (
    "To write the invitation letter your consulate asks for.",
    "Pour rédiger la lettre d’invitation que demande votre consulat.",
    "لتحرير رسالة الدعوة التي تطلبها قنصليتكم.",
)


def add_demo_questions(event: Event) -> None:
    """Add the questions to the demo conference; the caller commits."""
    now = utcnow()
    first_day = event.local_start.date()

    def add(**description):
        return add_question(event, description, now=now)

    add(kind="radio", required=True,
        texts=_t("Which workshop will you join?", "À quel atelier participerez-vous\u00a0?",
                 "في أي ورشة ستشارك؟",
                 purpose=("To plan the rooms: each workshop has 30 places.",
                          "Pour prévoir les salles\u00a0: chaque atelier compte 30 places.",
                          "لتوزيع القاعات: لكل ورشة 30 مقعدًا.")),
        options=_options(("Peace education in the family", "L’éducation à la paix en famille",
                          "التربية على السلام داخل الأسرة"),
                         ("Mothers as mediators in their communities",
                          "Les mères, médiatrices dans leur communauté",
                          "الأمهات وسيطات في مجتمعاتهن"),
                         ("Policies that support mothers", "Des politiques qui soutiennent les "
                          "mères", "سياسات تدعم الأمهات"), places=30))
    add(kind="select", required=True,
        texts=_t("Your role", "Votre rôle", "صفتك",
                 purpose=("To print your badge.", "Pour imprimer votre badge.",
                          "لطباعة شارتك.")),
        options=_options(("Member of MMM", "Membre de MMM", "عضو في MMM"),
                         ("UNESCO National Commission", "Commission nationale pour l’UNESCO",
                          "اللجنة الوطنية لليونسكو"),
                         ("Partner organisation", "Organisation partenaire", "منظمة شريكة"),
                         ("Press", "Presse", "صحافة")))
    add(kind="checkboxes",
        texts=_t("Dietary needs", "Régime alimentaire", "النظام الغذائي",
                 purpose=("For the caterer.", "Pour le traiteur.", "لمتعهّد الطعام.")),
        options=_options(("Vegetarian", "Végétarien", "نباتي"),
                         ("Vegan", "Végétalien", "نباتي صرف"),
                         ("Halal", "Halal", "حلال"),
                         ("Gluten-free", "Sans gluten", "خالٍ من الغلوتين")))
    add(kind="date",
        texts=_t("Arrival date in Casablanca", "Date d’arrivée à Casablanca",
                 "تاريخ الوصول إلى الدار البيضاء",
                 purpose=("To welcome you at the airport.", "Pour vous accueillir à l’aéroport.",
                          "لاستقبالكم في المطار.")),
        min_date=first_day - timedelta(days=7), max_date=first_day + timedelta(days=1))
    visa = add(kind="yes_no", required=True,
               texts=_t("Do you need a visa letter?", "Avez-vous besoin d’une lettre pour "
                        "votre visa\u00a0?", "هل تحتاج إلى رسالة من أجل التأشيرة؟",
                        purpose=VISA_PURPOSE))
    add(kind="country", required=True, depends_on=visa, depends_on_value="yes",
        texts=_t("Nationality", "Nationalité", "الجنسية", purpose=VISA_PURPOSE))
    add(kind="text", required=True, sensitive=True, depends_on=visa, depends_on_value="yes",
        texts=_t("Passport number", "Numéro de passeport", "رقم جواز السفر",
                 purpose=VISA_PURPOSE))
