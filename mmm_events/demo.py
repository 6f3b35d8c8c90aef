"""Demo content: the #Mothers4Peace conference (with its registration questions) and MMM's
news, for a first look at the site."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .events.covers import read_cover, set_cover
from .extensions import db
from .models import Event, NewsPost, utcnow
from .questions.demo import add_demo_questions

CASABLANCA = ZoneInfo("Africa/Casablanca")
CONFERENCE_SLUG = "mothers4peace-casablanca"
# Drawn with Pillow by scripts/make_demo_cover.py: an original picture, shipped with the code.
CONFERENCE_COVER = (
    Path(__file__).resolve().parent.parent / "static/img/demo/mothers4peace-cover.jpg"
)


def next_conference_start(today: date) -> date:
    """The next 3 May that still lies ahead (today included)."""
    this_year = date(today.year, 5, 3)
    return this_year if today <= this_year else date(today.year + 1, 5, 3)


def conference(today: date) -> Event:
    first_day = next_conference_start(today)
    last_day = date(first_day.year, 5, 4)
    event = Event(
        slug=CONFERENCE_SLUG,
        title="International Conference #Mothers4Peace",
        hashtag="#Mothers4Peace",
        summary=(
            "Mothers at the heart of change for a culture of peace: two days of examples "
            "from families, communities, nations and international partners."
        ),
        description=(
            "Peace begins in the home. Mothers teach the first lessons of respect, dialogue and "
            "care, and they are among the most powerful, and least recognised, builders of a "
            "culture of peace.\n\n"
            "Make Mothers Matter invites its member organisations, UNESCO National Commissions "
            "and partners to Casablanca to share what works:\n\n"
            "- **In the family**: mothers as first educators of peace and global citizenship.\n"
            "- **In the community**: mothers as peer educators, alongside schools and local "
            "leaders.\n"
            "- **At national and international level**: policies that recognise and support "
            "mothers' role in education for peace.\n\n"
            "Sessions are held in English and French."
        ),
        venue="Conference centre",
        city="Casablanca",
        country="Morocco",
        timezone="Africa/Casablanca",
        starts_at=datetime.combine(first_day, time(9, 0), CASABLANCA),
        ends_at=datetime.combine(last_day, time(17, 30), CASABLANCA),
        capacity=250,
        is_published=True,
        contact_email="events@makemothersmatter.org",
        cover_alt=(
            "Mothers and children walking hand in hand over a hill at sunrise, a dove in "
            "the sky."
        ),
    )
    _translate(event, CONFERENCE_TEXTS)
    set_cover(event, read_cover(CONFERENCE_COVER.read_bytes()))
    return event


def _translate(content: Event | NewsPost, texts: dict[str, dict[str, str]]) -> None:
    for language, fields in texts.items():
        text = content.text_in(language)
        for name, value in fields.items():
            setattr(text, name, value)


# The conference in French and Arabic, beside the English above.
CONFERENCE_TEXTS = {
    "fr": {
        "title": "Conférence internationale #Mothers4Peace",
        "summary": (
            "Les mères au cœur du changement pour une culture de la paix : deux journées "
            "d’exemples venus des familles, des communautés, des pays et des partenaires "
            "internationaux."
        ),
        "description": (
            "La paix commence à la maison. Ce sont les mères qui transmettent les premières "
            "leçons de respect, de dialogue et d’attention aux autres ; elles comptent parmi "
            "les bâtisseuses les plus puissantes, et les moins reconnues, d’une culture de la "
            "paix.\n\n"
            "Make Mothers Matter invite ses organisations membres, les commissions nationales "
            "pour l’UNESCO et ses partenaires à Casablanca pour partager ce qui fonctionne :\n\n"
            "- **Dans la famille** : les mères, premières éducatrices à la paix et à la "
            "citoyenneté mondiale.\n"
            "- **Dans la communauté** : les mères éducatrices de leurs pairs, aux côtés des "
            "écoles et des responsables locaux.\n"
            "- **Aux niveaux national et international** : des politiques qui reconnaissent et "
            "soutiennent le rôle des mères dans l’éducation à la paix.\n\n"
            "Les sessions se tiennent en anglais et en français."
        ),
        "venue": "Centre de conférences",
        "city": "Casablanca",
        "country": "Maroc",
        "cover_alt": (
            "Des mères et des enfants marchent main dans la main sur une colline au lever du "
            "soleil, une colombe dans le ciel."
        ),
    },
    "ar": {
        "title": "المؤتمر الدولي #Mothers4Peace",
        "summary": (
            "الأمهات في قلب التغيير من أجل ثقافة السلام: يومان لتبادل تجارب ناجحة من الأسر "
            "والمجتمعات المحلية والدول والشركاء الدوليين."
        ),
        "description": (
            "يبدأ السلام من البيت. فالأم هي من تلقّن أبناءها أولى دروس الاحترام والحوار "
            "والرعاية، وهي من أقوى صانعي ثقافة السلام، وإن كانت من أقلّهم حظًّا من الاعتراف."
            "\n\n"
            "تدعو منظمة Make Mothers Matter المنظماتِ الأعضاء فيها واللجانَ الوطنية لليونسكو "
            "وشركاءها إلى الدار البيضاء لتبادل ما أثبت نجاعته:\n\n"
            "- **في الأسرة**: الأم مربّية أولى على السلام والمواطنة العالمية.\n"
            "- **في المجتمع المحلي**: الأمهات يثقّفن نظيراتهن، جنبًا إلى جنب مع المدارس "
            "والقيادات المحلية.\n"
            "- **على الصعيدين الوطني والدولي**: سياسات تعترف بدور الأمهات في التربية على "
            "السلام وتدعمه.\n\n"
            "تُعقد الجلسات باللغتين الإنجليزية والفرنسية."
        ),
        "venue": "مركز المؤتمرات",
        "city": "الدار البيضاء",
        "country": "المغرب",
        "cover_alt": "أمهات وأطفال يسيرون يدًا بيد على تلّة عند شروق الشمس، وحمامة في السماء.",
    },
}

NEWS = [
    {
        "slug": "invitation-mothers4peace-casablanca",
        "title": "Invitation: International Conference #Mothers4Peace, 3–4 May, Casablanca",
        "published_on": "invitation",
        "summary": (
            "Mothers at the heart of change for a culture of peace: examples at family, "
            "community, national and international levels."
        ),
        "body": (
            "Make Mothers Matter invites you to the International Conference #Mothers4Peace on "
            "3 and 4 May in Casablanca, Morocco.\n\n"
            "Over two days, mothers, civil society, UNESCO National Commissions and experts will "
            "show how mothers drive change towards a culture of peace, from the home to the "
            "international stage."
        ),
        "event": True,
        "fr": {
            "title": (
                "Invitation : Conférence internationale #Mothers4Peace, 3 et 4 mai, Casablanca"
            ),
            "summary": (
                "Les mères au cœur du changement pour une culture de la paix : des exemples à "
                "l’échelle de la famille, de la communauté, du pays et du monde."
            ),
            "body": (
                "Make Mothers Matter vous invite à la Conférence internationale #Mothers4Peace, "
                "les 3 et 4 mai à Casablanca, au Maroc.\n\n"
                "Pendant deux jours, des mères, des membres de la société civile, des "
                "commissions nationales pour l’UNESCO et des experts montreront comment les "
                "mères font avancer une culture de la paix, du foyer jusqu’à la scène "
                "internationale."
            ),
        },
        "ar": {
            "title": "دعوة: المؤتمر الدولي #Mothers4Peace، يومي 3 و4 ماي، الدار البيضاء",
            "summary": (
                "الأمهات في قلب التغيير من أجل ثقافة السلام: تجارب على مستوى الأسرة والمجتمع "
                "والدولة والعالم."
            ),
            "body": (
                "تدعوكم منظمة Make Mothers Matter إلى المؤتمر الدولي #Mothers4Peace يومي 3 و4 "
                "ماي في الدار البيضاء بالمغرب.\n\n"
                "على مدى يومين، تعرض أمهات وفاعلون من المجتمع المدني واللجان الوطنية لليونسكو "
                "وخبراء كيف تقود الأمهات التغيير نحو ثقافة السلام، من البيت إلى الساحة "
                "الدولية."
            ),
        },
    },
    {
        "slug": "worlds-biggest-mama-meet-up",
        "title": "MMM joins the World's Biggest Mama Meet up",
        "published_on": "womens_day",
        "summary": (
            "On International Women's Day, 8 March, Make Mothers Matter joined the campaign "
            "launched by Mindr and the United Nations Foundation's Global Moms Challenge."
        ),
        "body": (
            "On 8 March, International Women's Day, Make Mothers Matter took part in the "
            "World's Biggest Mama Meet up, a campaign of Mindr and the United Nations "
            "Foundation's Global Moms Challenge.\n\n"
            "Mothers met in homes, offices and community centres around the world to talk "
            "about the issues that matter to them and to act together."
        ),
        "event": False,
        "fr": {
            "title": "MMM rejoint le World’s Biggest Mama Meet up",
            "summary": (
                "Le 8 mars, Journée internationale des droits des femmes, Make Mothers "
                "Matter s’est associée à la campagne lancée par Mindr et le Global Moms "
                "Challenge de la Fondation des Nations unies."
            ),
            "body": (
                "Le 8 mars, Journée internationale des droits des femmes, Make Mothers "
                "Matter a participé au World’s Biggest Mama Meet up, une campagne de Mindr et "
                "du Global Moms Challenge de la Fondation des Nations unies.\n\n"
                "Partout dans le monde, des mères se sont retrouvées chez elles, au bureau ou "
                "dans des centres communautaires pour parler de ce qui compte pour elles et "
                "agir ensemble."
            ),
        },
    },
    {
        "slug": "mmm-at-eu-development-days",
        "title": "MMM at the EU Development Days",
        "published_on": "development_days",
        "summary": (
            "Anne Claire de Liedekerke (President), Johanna Schima (Policy officer) and Olalla "
            "Michelena (SG of the EU delegation) represented Make Mothers Matter at the EU "
            "Development Days."
        ),
        "body": (
            "Make Mothers Matter took part in the European Development Days, represented by its "
            "President Anne Claire de Liedekerke, its Policy officer Johanna Schima and Olalla "
            "Michelena, Secretary General of its EU delegation.\n\n"
            "They brought the voice of mothers to the discussions on development policy."
        ),
        "event": False,
        "fr": {
            "title": "MMM aux Journées européennes du développement",
            "summary": (
                "Anne Claire de Liedekerke (présidente), Johanna Schima (chargée de plaidoyer) "
                "et Olalla Michelena (secrétaire générale de la délégation européenne) ont "
                "représenté Make Mothers Matter aux Journées européennes du développement."
            ),
            "body": (
                "Make Mothers Matter a participé aux Journées européennes du développement, "
                "représentée par sa présidente Anne Claire de Liedekerke, sa chargée de "
                "plaidoyer Johanna Schima et Olalla Michelena, secrétaire générale de sa "
                "délégation auprès de l’Union européenne.\n\n"
                "Elles y ont porté la voix des mères dans les débats sur la politique de "
                "développement."
            ),
        },
    },
]


def news_dates(today: date) -> dict[str, date]:
    """Publication dates that fit the demo conference, whenever the demo is loaded, and none
    in the future: the invitation seven weeks before the conference (today, when that moment
    is still ahead), the Women's Day post on the last 8 March before the invitation, the EU
    Development Days in the June of the year before that."""
    invitation = min(today, next_conference_start(today) - timedelta(weeks=7))
    womens_day = date(invitation.year, 3, 8)
    if womens_day > invitation:
        womens_day = date(invitation.year - 1, 3, 8)
    return {
        "invitation": invitation,
        "womens_day": womens_day,
        "development_days": date(womens_day.year - 1, 6, 15),
    }


def seed_demo(today: date) -> list[str]:
    """Add whatever demo content is missing; return the slugs added. Safe to run again."""
    added: list[str] = []
    event = db.session.scalar(select(Event).where(Event.slug == CONFERENCE_SLUG))
    if event is None:
        event = conference(today)
        db.session.add(event)
        db.session.flush()
        add_demo_questions(event)
        added.append(event.slug)
    existing = set(db.session.scalars(select(NewsPost.slug)))
    dates = news_dates(today)
    for item in NEWS:
        if item["slug"] in existing:
            continue
        fields = {k: v for k, v in item.items() if k not in ("event", "fr", "ar")}
        fields["published_on"] = dates[item["published_on"]]
        post = NewsPost(**fields, event=event if item["event"] else None, is_published=True)
        _translate(post, {code: item[code] for code in ("fr", "ar") if code in item})
        db.session.add(post)
        added.append(item["slug"])
    db.session.commit()
    return added


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--if-empty", is_flag=True, help="Only when the database has no events and no news yet."
)
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo event and news (only what is missing)."""
    has_content = db.session.scalar(select(Event.id).limit(1)) or db.session.scalar(
        select(NewsPost.id).limit(1)
    )
    if if_empty and has_content:
        click.echo("The database already has content; demo content not loaded.")
        return
    added = seed_demo(utcnow().date())
    if added:
        click.echo(f"Added demo content: {', '.join(added)}")
    else:
        click.echo("Demo content already present; nothing added.")
