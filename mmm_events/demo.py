"""Demo content: the #Mothers4Peace conference and MMM's news, for a first look at the site."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Event, NewsPost, utcnow

CASABLANCA = ZoneInfo("Africa/Casablanca")
CONFERENCE_SLUG = "mothers4peace-casablanca"


def next_conference_start(today: date) -> date:
    """The next 3 May that still lies ahead (today included)."""
    this_year = date(today.year, 5, 3)
    return this_year if today <= this_year else date(today.year + 1, 5, 3)


def conference(today: date) -> Event:
    first_day = next_conference_start(today)
    last_day = date(first_day.year, 5, 4)
    return Event(
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
    )


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
        added.append(event.slug)
    existing = set(db.session.scalars(select(NewsPost.slug)))
    dates = news_dates(today)
    for item in NEWS:
        if item["slug"] in existing:
            continue
        fields = {k: v for k, v in item.items() if k != "event"}
        fields["published_on"] = dates[item["published_on"]]
        db.session.add(
            NewsPost(**fields, event=event if item["event"] else None, is_published=True)
        )
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
