"""Demo data: Södertälje's city-centre dialogue, the demo accounts and residents."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select

from dialog.accounts import services as accounts
from dialog.accounts.models import AGE_BANDS, Role, User
from dialog.core.db import utcnow
from dialog.dialogues import schedule
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import (
    DialogueState,
    PhaseKind,
    PhaseTransition,
    TransitionEvent,
)
from dialog.districts.services import ensure_demo_districts, replace_population
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.moderation.models import FlagReason
from dialog.proposals import services as proposals
from dialog.proposals.models import (
    Proposal,
    Stance,
)

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = {
    "resident@example.org": ("Alva Lindqvist", Role.resident),
    "planner@example.org": ("Johan Berg, stadsbyggnadsförvaltningen", Role.planner),
    "admin@example.org": ("Administratör", Role.admin),
}
FIRST_NAMES = [
    "Amira",
    "Erik",
    "Sara",
    "Mohammed",
    "Elin",
    "Karim",
    "Lina",
    "Oskar",
    "Hanna",
    "Yusuf",
    "Maja",
    "Ahmed",
    "Ida",
    "Nils",
    "Leyla",
    "Anders",
    "Fatima",
    "Johan",
    "Sofia",
    "Gabriel",
]
LAST_NAMES = [
    "Andersson",
    "Nilsson",
    "Yilmaz",
    "Karlsson",
    "Haddad",
    "Johansson",
    "Eriksson",
    "Gabriel",
    "Larsson",
    "Aziz",
]

BACKGROUND = """\
Södertälje kommun tar fram en ny vision för stadskärnan och vill göra den tillsammans med er \
som bor, arbetar och rör er i centrum.

Stadskärnan ska bli tillgänglig, trygg och full av puls. Arbetet utgår från tre fokusområden: \
tillgänglighet (det ska vara lätt att ta sig till och röra sig i centrum, oavsett ålder och \
funktionsförmåga), trygghet (platser som känns säkra dygnet runt, med bättre belysning och \
fler människor i rörelse) och puls (handel, kultur och mötesplatser som lockar hela dagen).

Marenplan och kajerna längs Mälarkanalen är stadens vardagsrum. I dag upplevs platsen som \
mörk och tom under vinterhalvåret. Kommunen vill pröva en ny vinterbelysning och nya \
mötesplatser vid vattnet, och vill veta vad ni tycker innan planen låses.

Underlaget bygger på kunskap om stadskärnans ekonomiska, ekologiska och sociala förutsättningar: \
fotgängarflöden och handelns omsättning, grönytor och dagvatten, trygghetsundersökningar och \
vilka som besöker centrum vid olika tider på dygnet."""


def database_is_empty() -> bool:
    return not db.session.scalar(select(exists().where(User.id.is_not(None))))


def reset_database() -> None:
    """The migrations undone to the first and run again: the schema a new installation
    gets, with nothing in it (the search index and every table no model names included)."""
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    downgrade(revision="base")
    upgrade()


def seed(rng: random.Random | None = None) -> None:
    rng = rng or random.Random(2026)
    codes = ensure_demo_districts()
    seed_population(codes)
    for email, (name, role) in DEMO_ACCOUNTS.items():
        accounts.create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            display_name=name,
            district=codes[0],
            age_band="30_44",
        )
    # Demo residents fill the statistics; nobody needs to log in as them. Most live near
    # the reviewed dialogue's Hovsjö, and the young take part less than their share.
    weights = [RESIDENTS_WHERE.get(code, 1) for code in codes]
    for number in range(40):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        accounts.create_user(
            email=f"invanare{number + 1:02d}@example.org",
            password=f"resident-{rng.getrandbits(64):x}",
            display_name=name,
            district=rng.choices(codes, weights)[0],
            age_band=rng.choices(AGE_BANDS, [RESIDENTS_AGED[band] for band in AGE_BANDS])[0],
        )
    dialogue = dialogues.create_dialogue(
        slug="framtidens-stadskarna",
        reference_prefix="STK",
        title="Framtidens stadskärna",
        summary="Hur ska Södertäljes stadskärna kring Marenplan bli mer tillgänglig, trygg "
        "och levande? Tyck till om vinterbelysning, mötesplatser och stråken i centrum.",
        background=BACKGROUND,
        place_name="Marenplan, Södertälje centrum",
        place_lat=59.1955,
        place_lon=17.6253,
        themes=THEMES,
        focus_areas=["Tillgänglighet", "Trygghet", "Puls"],
        named_places=[
            "Marenplan",
            "Stora torget",
            "Storgatan",
            "Järnagatan",
            "Köpmangatan",
            "Södertälje C",
        ],
        state=DialogueState.published,
    )
    planner = accounts.find_by_email("planner@example.org")
    dialogues.assign_planner(dialogue, planner, by=None)
    schedule_around_now(dialogue, SCHEDULE)
    made = add_proposals(dialogue, PROPOSALS, rng)
    seed_conversation(made)
    seed_moderation(dialogue, made, accounts.find_by_email("admin@example.org"), rng)
    seed_reviewed_dialogue(planner, rng)


RESIDENTS_WHERE = {"hovsjo": 30, "ronna": 14, "centrum": 12, "geneta": 6}
RESIDENTS_AGED = {"under_18": 1, "18_29": 2, "30_44": 8, "45_64": 10, "65_79": 7, "80_plus": 2}
# Södertälje's districts, roughly as Statistics Sweden counts them, and how its people
# spread over the age bands: the table an administrator would upload.
POPULATION = {
    "centrum": 9000, "ostertalje": 8000, "vastergard": 7000, "hovsjo": 6500,
    "ronna": 7500, "geneta": 5500, "brunnsang": 4000, "fornhojden": 4500,
    "blombacka": 4000, "glasberga": 1500, "pershagen": 5000, "jarna": 9000,
    "enhorna": 3000, "holo-morko": 3500,
}  # fmt: skip
AGED = {
    "under_18": 0.22,
    "18_29": 0.16,
    "30_44": 0.21,
    "45_64": 0.24,
    "65_79": 0.12,
    "80_plus": 0.05,
}


def seed_population(codes: list[str]) -> None:
    counts = {
        (code, band): round(POPULATION.get(code, 2000) * share)
        for code in codes
        for band, share in AGED.items()
    }
    replace_population(counts, by=None)


# The demo resident's first login finds news in the bell, told by the worker from the
# demo's own events: a reply to their comment here (`comment_added`), and the official
# answer on their proposal in the reviewed dialogue (`answer_published`).
CONVERSATION = (
    "Gärna! Kan det bli en marknad på vintern också, med glögg och julmat?",
    "Ja, vi tänker oss en julmarknad i december. Bönderna i Hölö är redan tillfrågade.",
)


def seed_conversation(made: list[Proposal]) -> None:
    """The demo resident comments on another resident's proposal, and its author replies."""
    resident = accounts.find_by_email("resident@example.org")
    market = made[-1]  # local food producers on the square, by another resident
    author = db.session.get(User, market.author_id)
    question, reply = CONVERSATION
    comment = proposals.add_comment(market, author=resident, body=question, stance=Stance.for_)
    proposals.add_comment(market, author=author, body=reply, stance=Stance.for_, parent=comment)


# What residents report, so the planner's moderation queue is not empty.
REPORTED = [
    (FlagReason.spam, None),
    (FlagReason.off_topic, "Handlar om en annan stadsdel"),
    (FlagReason.personal_data, "Nämner grannens namn och telefonnummer"),
]


def seed_moderation(dialogue, made: list[Proposal], admin, rng: random.Random) -> None:
    """A few reported items waiting in the queue, and one comment an administrator hid."""
    residents = _residents()
    reported = proposals.add_comment(
        made[0],
        author=residents[1],
        body="Ring Kalle på Storgatan 5, han vet allt om det här: 070-123 45 67.",
        stance=Stance.neutral,
    )
    for item, (reason, text) in zip((made[1], made[2], reported), REPORTED, strict=True):
        flaggers = [r for r in residents if r.id != item.author_id]
        for flagger in rng.sample(flaggers, k=2):
            moderation.flag(item, by=flagger, reason=reason, text=text)
    hidden = proposals.add_comment(
        made[1],
        author=residents[2],
        body="Köp billiga solglasögon på vår sajt!",
        stance=Stance.neutral,
    )
    moderation.hide(hidden, by=admin, reason="Reklam hör inte hemma i dialogen.")


def seed_reviewed_dialogue(planner, rng: random.Random) -> None:
    """The dialogue whose voting is over, with its report compiled and published (as the
    worker and a planner would, here at once)."""
    from dialog.demo import reviewed
    from dialog.reports import services as reports
    from dialog.reports.compiling import compile_report, without_people

    dialogue = reviewed.seed(planner, _residents(), rng)
    report = reports.request_report(dialogue, by=planner)
    reports.start(report.id)
    reports.finish(report, without_people(compile_report(dialogue)))
    reports.publish(report, by=planner)


PROPOSALS = [
    # title, body, theme, focus area, dimensions, place, lat, lon
    (
        "Varmt ljus längs kajen på Marenplan",
        "Byt de kalla armaturerna längs kajen mot varmt, bländfritt ljus och belys träden. "
        "Då känns platsen tryggare de mörka vintermånaderna.",
        "Stadslivet",
        "Trygghet",
        ["social", "ecological"],
        "Marenplan",
        59.1955,
        17.6253,
    ),
    (
        "Vinterljusfestival i stadskärnan",
        "En ljusfestival i januari med konstnärer från Södertälje skulle ge puls åt centrum "
        "när det är som mörkast.",
        "Stadslivet",
        "Puls",
        ["economic", "social"],
        "Stora torget",
        59.1963,
        17.6262,
    ),
    (
        "Fler bänkar med ryggstöd och armstöd",
        "Många äldre vill vila på vägen mellan stationen och torget. Bänkar med ryggstöd och "
        "armstöd var 100:e meter gör stråket tillgängligt.",
        "Så bygger vi staden",
        "Tillgänglighet",
        ["social"],
        "Storgatan",
        59.1968,
        17.6279,
    ),
    (
        "Ledstråk och kontrastmarkering vid övergångsställen",
        "Taktila ledstråk och tydliga kontraster hjälper den som ser dåligt att hitta rätt.",
        "Så bygger vi staden",
        "Tillgänglighet",
        ["social"],
        "Järnagatan",
        59.1952,
        17.6241,
    ),
    (
        "Regnbäddar i stället för asfalt på Köpmangatan",
        "Gröna regnbäddar tar hand om dagvattnet, svalkar på sommaren och gör gatan vackrare.",
        "Staden och omlandet",
        None,
        ["ecological"],
        "Köpmangatan",
        59.1971,
        17.6268,
    ),
    (
        "Öppna skolgårdarna på kvällar och helger",
        "Skolgårdarna nära centrum kan bli mötesplatser för barn och unga när skolan är stängd.",
        "Stadslivet",
        "Trygghet",
        ["social"],
        None,
        None,
        None,
    ),
    (
        "Realtidsskyltar för lediga cykelplatser",
        "Visa lediga cykelplatser vid stationen i en app och på skyltar.",
        "Den smarta staden",
        None,
        ["ecological", "economic"],
        "Södertälje C",
        59.1909,
        17.6267,
    ),
    (
        "Lokala matproducenter på torget varje lördag",
        "Bönder från Järna och Hölö kan sälja direkt till stadsborna. Det stärker både handeln "
        "och kopplingen mellan staden och landsbygden.",
        "Staden och omlandet",
        "Puls",
        ["economic", "ecological"],
        "Stora torget",
        59.1963,
        17.6262,
    ),
]
# What residents say under each proposal, by its title: each comment with its stance and
# the replies it got, so the demo reads as a conversation about that proposal.
COMMENTS = {
    "Varmt ljus längs kajen på Marenplan": [
        (
            "Ja! Kajen är väldigt mörk efter fyra på eftermiddagen.",
            "for",
            [
                "Håller med, jag går hellre runt via Storgatan när det är mörkt.",
                "Samma här. Och belys trappan ner mot vattnet också.",
            ],
        ),
        (
            "Bra tanke, men tänk på ljusföroreningen för fåglarna vid kanalen.",
            "neutral",
            [
                "Det finns armaturer som riktar ljuset nedåt, då sprids det mindre.",
            ],
        ),
        ("Hellre fler människor på platsen än mer ljus.", "against", []),
    ],
    "Vinterljusfestival i stadskärnan": [
        (
            "Gärna med verk av elever från kulturskolan!",
            "for",
            [
                "Och låt dem som bor i Hovsjö och Ronna vara med och ta fram verken.",
            ],
        ),
        (
            "Vad kostar det, och vem betalar? Hellre permanent belysning.",
            "against",
            [
                "Citysamverkan och handlarna kan vara med och betala, de tjänar på fler besökare.",
                "En festival kan pröva vad som fungerar innan man bygger något permanent.",
                "Bra poäng, då är jag mer positiv.",
                "Glöm inte att göra det tillgängligt för den som har rullstol.",
                "Och bussar som går sent de kvällarna.",
            ],
        ),
    ],
    "Fler bänkar med ryggstöd och armstöd": [
        ("Min mamma måste vila två gånger på vägen från stationen. Ja tack!", "for", []),
        (
            "Placera några i skuggan också, det blir varmt på sommaren.",
            "for",
            [
                "Under träden vid biblioteket vore perfekt.",
            ],
        ),
    ],
    "Ledstråk och kontrastmarkering vid övergångsställen": [
        ("Viktigt! Kantstenen vid Järnagatan är nästan omöjlig att se i regn.", "for", []),
        (
            "Tänk på att ledstråken inte får bli hala på vintern.",
            "neutral",
            [
                "Det finns plattor med bättre friktion, Stockholm har provat dem.",
            ],
        ),
    ],
    "Regnbäddar i stället för asfalt på Köpmangatan": [
        (
            "Vackert och bra för dagvattnet. Men var ska leveranserna till butikerna stå?",
            "neutral",
            [
                "Lastzoner i början och slutet av gatan, som på Järnagatan.",
            ],
        ),
        ("Vem sköter planteringarna? De ser ofta tråkiga ut efter ett par år.", "against", []),
        ("Ja! Köpmangatan blir outhärdligt varm i juli.", "for", []),
    ],
    "Öppna skolgårdarna på kvällar och helger": [
        ("Mina barn har ingenstans att spela fotboll på helgerna.", "for", []),
        (
            "Hur blir det med nedskräpning och skadegörelse?",
            "against",
            [
                "Fritidsledare på plats några kvällar i veckan skulle hjälpa.",
            ],
        ),
    ],
    "Realtidsskyltar för lediga cykelplatser": [
        (
            "Bättre att bygga fler cykelplatser än att skylta om de få som finns.",
            "against",
            [
                "Både och! Skyltarna visar också var det behövs fler.",
            ],
        ),
        ("Gärna ett cykelgarage med lås vid stationen.", "for", []),
    ],
    "Lokala matproducenter på torget varje lördag": [
        ("Äntligen! Jag åker till Järna varje vecka för grönsakerna.", "for", []),
    ],
}


def _residents() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.role == Role.resident).order_by(User.id))
    )


def add_proposals(dialogue, rows, rng: random.Random) -> list[Proposal]:
    """Proposals with places and comments with stances. The demo resident, the first
    resident made, writes the first proposal of each dialogue (the reviewed dialogue's
    first answer is theirs)."""
    residents = _residents()
    made = []
    for index, (title, body, theme, focus, dimensions, place, lat, lon) in enumerate(rows):
        proposal = proposals.create_proposal(
            dialogue,
            author=residents[index % len(residents)],
            title=title,
            body=body,
            theme=theme,
            focus_area=focus,
            dimensions=dimensions,
            place_name=place,
            place_lat=lat,
            place_lon=lon,
        )
        add_conversation(proposal, COMMENTS.get(title, []), residents, rng)
        made.append(proposal)
    return made


def add_conversation(proposal, comments, residents, rng: random.Random) -> None:
    """Each comment by a resident other than the proposal's author, its replies by others."""
    others = [r for r in residents if r.id != proposal.author_id]
    for text, stance, replies in comments:
        comment = proposals.add_comment(
            proposal, author=rng.choice(others), body=text, stance=Stance(stance)
        )
        for reply in replies:
            proposals.add_comment(
                proposal,
                author=rng.choice(others),
                body=reply,
                stance=Stance.neutral,
                parent=comment,
            )


THEMES = ["Så bygger vi staden", "Stadslivet", "Den smarta staden", "Staden och omlandet"]
SCHEDULE = [
    # kind, title, description, start and end in days from now
    (
        PhaseKind.information,
        "Kunskapsunderlag",
        "Kommunen delar fakta om stadskärnan: flöden, handel, grönska och trygghet.",
        -21,
        -7,
    ),
    (
        PhaseKind.proposals,
        "Lämna förslag",
        "Lämna förslag på hur Marenplan och stråken kan bli bättre, och kommentera andras.",
        -7,
        14,
    ),
    (PhaseKind.voting, "Rösta", "Rösta på de förslag du tycker är viktigast.", 14, 28),
    (
        PhaseKind.review,
        "Kommunen svarar",
        "Planerarna går igenom förslagen och svarar på dem.",
        28,
        42,
    ),
    (PhaseKind.result, "Resultat", "Resultatet och kommunens svar publiceras.", 42, None),
]


def schedule_around_now(dialogue, phases) -> None:
    """A schedule placed around today, so the demo is always live. What lies in its past
    is history, as if the platform had been running: those starts and ends are recorded
    as made, so the first run of the phase scheduler does not tell followers (100,000 in
    seed-scale) that a phase began a month ago."""
    nine = datetime.combine(date.today(), time(9, 0))
    added = []
    for kind, title, description, start, end in phases:
        phase = schedule.add_phase(
            dialogue,
            schedule.PhasePlan(
                kind=kind,
                title=title,
                description=description,
                starts_at=schedule.local_to_utc(nine + timedelta(days=start), "starts_at"),
                ends_at=schedule.local_to_utc(nine + timedelta(days=end), "ends_at")
                if end is not None
                else None,
            ),
            by=None,
        )
        added.append(phase)
    now = utcnow()
    for phase in added:
        for event, at in (
            (TransitionEvent.started, phase.starts_at),
            (TransitionEvent.ended, phase.ends_at),
        ):
            if at is not None and at <= now:
                db.session.add(
                    PhaseTransition(
                        phase_id=phase.id, event=event, scheduled_for=at, recorded_at=now
                    )
                )
    db.session.flush()
