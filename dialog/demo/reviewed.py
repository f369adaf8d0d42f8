"""The demo's second dialogue, "Trygga stråk i Hovsjö": its voting is over, residents
voted in three real camps (light and open sight lines, greenery kept, life on the
paths), the municipality has answered, and its report is published as "Det här har vi
hört"."""

from __future__ import annotations

import random
from datetime import timedelta

from dialog.core.db import utcnow
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import DialogueState, PhaseKind
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.moderation.models import FlagReason
from dialog.proposals import services as proposals
from dialog.proposals.models import AnswerStatus, Proposal, Stance, Vote, VoteValue

LIGHT, GREEN, LIFE, ALL = "light", "green", "life", "all"
# How a camp votes on a proposal of each camp: chances of för and emot (the rest avstår).
CAMP_VOTES = {
    LIGHT: {LIGHT: (0.9, 0.05), GREEN: (0.15, 0.75), LIFE: (0.5, 0.2), ALL: (0.9, 0.05)},
    GREEN: {LIGHT: (0.1, 0.8), GREEN: (0.9, 0.05), LIFE: (0.55, 0.2), ALL: (0.85, 0.05)},
    LIFE: {LIGHT: (0.45, 0.35), GREEN: (0.4, 0.3), LIFE: (0.9, 0.05), ALL: (0.9, 0.05)},
}
CAMP_SHARES = ((LIGHT, 0.4), (GREEN, 0.35), (LIFE, 0.25))
SEEN = 0.8  # the share of the proposals each resident voted on

SCHEDULE = [
    (
        PhaseKind.information,
        "Trygghetsvandringar",
        "Resultat från trygghetsvandringarna.",
        -70,
        -56,
    ),
    (PhaseKind.proposals, "Lämna förslag", "Förslag på tryggare stråk.", -56, -28),
    (PhaseKind.voting, "Rösta", "Rösta på de förslag du tycker är viktigast.", -28, -7),
    (PhaseKind.review, "Kommunen svarar", "Planerarna svarar på förslagen.", -7, 21),
    (PhaseKind.result, "Resultat", "Vad som blev av förslagen.", 21, None),
]
BACKGROUND = """Stråken mellan Hovsjö centrum, Ronnaparken och skolorna används av många, också sent på \
kvällen. Trygghetsvandringar i höstas visade mörka partier, en gångtunnel som många undviker \
och buskage som skymmer sikten.

Under våren lämnade boende förslag och röstade på dem. Nu går kommunen igenom förslagen och \
svarar på vart och ett."""
TUNNEL, RONNA, CENTRE, SCHOOL = (
    ("Gångtunneln vid Hovsjövägen", 59.1822, 17.5871),
    ("Ronnaparken", 59.1846, 17.5930),
    ("Hovsjö centrum", 59.1814, 17.5889),
    ("Hovsjöskolan", 59.1805, 17.5842),
)
CITY, LIVING = "Så bygger vi staden", "Stadslivet"
SAFETY, ACCESS = "Trygghet", "Tillgänglighet"
# title, body, theme, focus area, dimensions, place (or None), camp, comments. Winter
# upkeep is what residents raise that no theme names: the report's emerging topic.
PROPOSALS = [
    (
        "Belysning i gångtunneln vid Hovsjövägen",
        "Tunneln är mörk och känns otrygg. Ljusare, jämn belysning och ljusa väggar skulle hjälpa.",
        CITY,
        SAFETY,
        ["social"],
        TUNNEL,
        ALL,
        [("Jag går en omväg på kvällen för att slippa tunneln.", "for")],
    ),
    (
        "Glesa ut buskagen längs stråket till Ronna",
        "Buskarna skymmer sikten. Lägre växtlighet gör att man ser och syns.",
        LIVING,
        SAFETY,
        ["social", "ecological"],
        RONNA,
        LIGHT,
        [
            ("Äntligen, man ser inte vem som står bakom buskarna.", "for"),
            ("Buskarna är hem för småfåglar, gallra varsamt.", "against"),
        ],
    ),
    (
        "Fler sittplatser vid Hovsjö centrum",
        "Bänkar där folk rör sig gör platsen levande även på kvällen.",
        LIVING,
        ACCESS,
        ["social"],
        CENTRE,
        LIFE,
        [("Bänkar med ryggstöd, tack, för oss äldre.", "for")],
    ),
    (
        "Kameraövervakning vid Hovsjö centrum",
        "Kameror vid torget och busshållplatsen skulle avskräcka från bråk och skadegörelse.",
        CITY,
        SAFETY,
        ["social"],
        CENTRE,
        LIGHT,
        [
            ("Kameror flyttar bara problemen någon annanstans.", "against"),
            ("Jag skulle känna mig tryggare med kameror.", "for"),
        ],
    ),
    (
        "Ta bort häcken vid skolans parkering",
        "Häcken gör parkeringen mörk och svår att överblicka när man hämtar barnen.",
        CITY,
        SAFETY,
        ["social"],
        SCHOOL,
        LIGHT,
        [("Häcken skyddar mot trafiken, byt hellre till ett lågt staket.", "neutral")],
    ),
    (
        "Fler gatlampor längs cykelvägen till Ronna",
        "Mellan lamporna blir det helt mörkt. Tätare belysning gör det tryggt att cykla hem.",
        CITY,
        SAFETY,
        ["social"],
        RONNA,
        LIGHT,
        [("Ja, och lampor som tänds när man närmar sig sparar energi.", "for")],
    ),
    (
        "Spara de stora ekarna i Ronnaparken",
        "Ekarna är över hundra år gamla. Gallra inte bort dem för sikten skull.",
        LIVING,
        SAFETY,
        ["ecological"],
        RONNA,
        GREEN,
        [
            ("Ekarna är det finaste vi har i parken.", "for"),
            ("Det går att ha både träd och belysning.", "neutral"),
        ],
    ),
    (
        "Ängsblommor i stället för gräsmatta längs stråket",
        "En blommande äng ger insekter mat och gör promenaden vackrare.",
        LIVING,
        ACCESS,
        ["ecological"],
        RONNA,
        GREEN,
        [("Bra för pollinerarna!", "for"), ("Högt gräs kan kännas otryggt på kvällen.", "against")],
    ),
    (
        "Låga ljuspollare i stället för höga stolpar",
        "Låg belysning lyser upp gången utan att störa fåglar och fladdermöss.",
        CITY,
        SAFETY,
        ["ecological", "social"],
        RONNA,
        GREEN,
        [("Pollare blir ofta sönderslagna.", "against")],
    ),
    (
        "Odlingslotter vid Hovsjö centrum",
        "Gemensamma odlingar gör att fler grannar rör sig ute och lär känna varandra.",
        LIVING,
        ACCESS,
        ["ecological", "social"],
        CENTRE,
        GREEN,
        [("Jag anmäler mig gärna som odlare.", "for")],
    ),
    (
        "Kvällsöppet kafé vid Ronnaparken",
        "Ett kafé som har öppet på kvällen ger liv och ögon på parken.",
        LIVING,
        ACCESS,
        ["economic", "social"],
        RONNA,
        LIFE,
        [("Ett kafé skulle bli en naturlig mötesplats.", "for")],
    ),
    (
        "Nattvandrare på fredagar och lördagar",
        "Vuxna som vandrar i området på helgkvällar skapar trygghet för unga.",
        LIVING,
        SAFETY,
        ["social"],
        None,
        LIFE,
        [("Jag har nattvandrat i Ronna, det gör skillnad.", "for")],
    ),
    (
        "Konstverk och muralmålning i gångtunneln",
        "Låt unga måla tunneln tillsammans med en konstnär, så blir den deras plats.",
        LIVING,
        SAFETY,
        ["social"],
        TUNNEL,
        LIFE,
        [("Konst minskar klotter, det har man sett i andra städer.", "for")],
    ),
    (
        "Aktiviteter för unga i Ronnaparken på kvällen",
        "Spontanidrott och en utegym med belysning ger unga något att göra.",
        LIVING,
        ACCESS,
        ["social"],
        RONNA,
        LIFE,
        [("Min son skulle gå dit varje kväll.", "for")],
    ),
    (
        "Skotta och sanda gångstråket tidigt på morgonen",
        "Vid snöfall är gångvägen till bussen ofta oplogad och halkig när man går till jobbet.",
        None,
        ACCESS,
        ["social"],
        CENTRE,
        ALL,
        [
            ("Snöröjningen kommer alltid för sent, det är halt varje morgon.", "for"),
            ("Sanda backen vid skolan, barnen halkar.", "for"),
        ],
    ),
    (
        "Plogade cykelvägar hela vintern",
        "Snön ligger kvar på cykelvägen i veckor. Plogning och sandning gör att fler cyklar.",
        None,
        ACCESS,
        ["social", "ecological"],
        RONNA,
        ALL,
        [("Halkan på cykelvägen är farlig, jag har ramlat två gånger.", "for")],
    ),
    (
        "Halkbekämpning vid busshållplatsen",
        "Hållplatsen blir en isbana i januari. Sanda och skotta den först.",
        None,
        ACCESS,
        ["social"],
        CENTRE,
        ALL,
        [("Snö och is vid hållplatsen varje vinter.", "for")],
    ),
    (
        "Elsparkcyklar bort från gångvägen",
        "Parkerade elsparkcyklar blockerar gångvägen för rullstolar och barnvagnar.",
        None,
        ACCESS,
        ["social"],
        CENTRE,
        LIFE,
        [("Parkeringszoner för elsparkcyklar vore bra.", "neutral")],
    ),
    (
        "Ett sätt att anmäla trasiga lampor",
        "Det tar månader innan en trasig lampa lagas. Gör det enkelt att anmäla i mobilen.",
        CITY,
        SAFETY,
        ["economic", "social"],
        None,
        ALL,
        [("Lampan vid tunneln har varit trasig sedan oktober.", "for")],
    ),
    (
        "Ljusare och bredare entré till Hovsjö centrum",
        "Entrén från parkeringen är trång och mörk. Bredda den och sätt upp belysning.",
        CITY,
        SAFETY,
        ["economic", "social"],
        CENTRE,
        LIGHT,
        [("Fastighetsägaren borde stå för det.", "neutral")],
    ),
]
ANSWERS = [
    (
        AnswerStatus.accepted,
        "Vi byter armaturerna i tunneln och målar väggarna ljusa under sommaren.",
    ),
    (
        AnswerStatus.partly_accepted,
        "Vi gallrar buskagen närmast gångvägen; träden längre in får stå kvar för djurlivet.",
    ),
    (
        AnswerStatus.under_review,
        "Vi ser över platser för nya bänkar tillsammans med fastighetsägarna i centrum.",
    ),
    (
        AnswerStatus.rejected,
        "Kameraövervakning kräver tillstånd och löser inte orsakerna. Vi satsar på belysning "
        "och fler människor på platsen.",
    ),
    None,
    (AnswerStatus.accepted, "Vi sätter upp fyra nya lampor längs cykelvägen i höst."),
    (AnswerStatus.accepted, "Ekarna står kvar. Belysningen placeras så att de inte skadas."),
    None,
    (AnswerStatus.partly_accepted, "Vi provar låga pollare på en sträcka och utvärderar dem."),
    None,
    (AnswerStatus.under_review, "Vi undersöker intresset hos näringsidkare i området."),
    (AnswerStatus.accepted, "Vi stöttar föreningarna som nattvandrar med västar och fika."),
    (AnswerStatus.accepted, "Fritidsgården och en konstnär målar tunneln med unga i sommar."),
    None,
    (AnswerStatus.accepted, "Stråket får högre prioritet i snöröjningen från i vinter."),
]


def seed(planner, residents, rng: random.Random):
    """The dialogue, its input over the past weeks, its answers and moderation; returns
    it, for its report to be compiled and published."""
    dialogue = dialogues.create_dialogue(
        slug="trygga-strak-hovsjo",
        reference_prefix="TSH",
        title="Trygga stråk i Hovsjö",
        summary="Hur blir gång- och cykelstråken mellan Hovsjö centrum och Ronna tryggare "
        "att gå på kvällen? Förslagen är röstade; nu svarar kommunen.",
        background=BACKGROUND,
        place_name="Hovsjö, Södertälje",
        place_lat=59.1814,
        place_lon=17.5889,
        place_area=AREA,
        themes=[LIVING, CITY],
        focus_areas=[SAFETY, ACCESS],
        named_places=[place for place, _lat, _lon in (TUNNEL, RONNA, CENTRE, SCHOOL)],
        state=DialogueState.published,
    )
    dialogue.created_at = utcnow() - timedelta(days=75)  # before its first phase
    dialogues.assign_planner(dialogue, planner, by=None)
    from dialog.demo.services import schedule_around_now

    schedule_around_now(dialogue, SCHEDULE)
    made = [_proposal(dialogue, row, index, residents, rng) for index, row in enumerate(PROPOSALS)]
    _vote_in_camps(made, residents, rng)
    for proposal, answer in zip(made, ANSWERS, strict=False):
        if answer is not None:
            status, body = answer
            proposals.save_answer(proposal, status=status, publish=True, by=planner, body=body)
    _moderate(made, residents, planner)
    return dialogue


AREA = {
    "type": "Polygon",
    "coordinates": [
        [
            [17.5815, 59.1790],
            [17.5965, 59.1790],
            [17.5985, 59.1835],
            [17.5950, 59.1865],
            [17.5840, 59.1860],
            [17.5800, 59.1825],
            [17.5815, 59.1790],
        ]
    ],
}


def _proposal(dialogue, row, index: int, residents, rng: random.Random) -> Proposal:
    """Written during the proposals phase (four to eight weeks ago), the demo resident's
    first, with its comments in the days after."""
    title, body, theme, focus, dimensions, place, _camp, comments = row
    name, lat, lon = place or (None, None, None)
    proposal = proposals.create_proposal(
        dialogue,
        author=residents[index % len(residents)],
        title=title,
        body=body,
        theme=theme,
        focus_area=focus,
        dimensions=dimensions,
        place_name=name,
        place_lat=lat,
        place_lon=lon,
    )
    written = utcnow() - timedelta(days=55 - index, hours=rng.randint(0, 10))
    proposal.created_at = written
    for number, (text, stance) in enumerate(comments):
        comment = proposals.add_comment(
            proposal, author=rng.choice(residents), body=text, stance=Stance(stance)
        )
        comment.created_at = written + timedelta(days=1 + number, hours=rng.randint(0, 12))
    return proposal


def _vote_in_camps(made: list[Proposal], residents, rng: random.Random) -> None:
    """Each resident belongs to a camp and votes as it tends to on most proposals, over
    the three weeks of the voting phase. Written directly: that phase is over."""
    camps = [PROPOSALS[index][6] for index in range(len(made))]
    for voter in residents:
        camp = _camp_of(rng)
        for proposal, proposal_camp in zip(made, camps, strict=True):
            if rng.random() > SEEN:
                continue
            for_, against = CAMP_VOTES[camp][proposal_camp]
            draw = rng.random()
            value = (
                VoteValue.for_
                if draw < for_
                else VoteValue.against
                if draw < for_ + against
                else VoteValue.abstain
            )
            cast = utcnow() - timedelta(days=rng.uniform(7.5, 27.5))
            db.session.add(
                Vote(
                    proposal_id=proposal.id,
                    user_id=voter.id,
                    dialogue_id=proposal.dialogue_id,
                    value=value,
                    cast_at=cast,
                )
            )
    db.session.flush()
    proposals.reconcile_counts(made[0].dialogue_id)


def _camp_of(rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for camp, share in CAMP_SHARES:
        total += share
        if draw < total:
            return camp
    return CAMP_SHARES[-1][0]


def _moderate(made: list[Proposal], residents, planner) -> None:
    """An advert hidden after two reports, and a report the planner found unfounded."""
    advert = proposals.add_comment(
        made[10],
        author=residents[3],
        body="Billiga solpaneler, ring oss idag!",
        stance=Stance.neutral,
    )
    for flagger in residents[4:6]:
        moderation.flag(advert, by=flagger, reason=FlagReason.spam, text=None)
    moderation.hide(advert, by=planner, reason="Reklam hör inte hemma i dialogen.")
    moderation.flag(made[3], by=residents[6], reason=FlagReason.offensive, text="Kränkande")
    moderation.dismiss(made[3], by=planner)
