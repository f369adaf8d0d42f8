"""The start page's figures: dialogues open now, the proposals residents can read and the
people who took part, over the dialogues everyone may see; never older than the lists."""

from __future__ import annotations

import re

from dialog.dialogues.models import DialogueState, Visibility
from dialog.moderation import services as moderation

OPEN = (("proposals", -48, -1), ("voting", -1, 24))


def _figures(client) -> tuple[int, int, int]:
    html = client.get("/").get_data(as_text=True)
    block = html.split('class="figures"', 1)[1].split("</ul>", 1)[0]
    return tuple(
        int(n.replace("\xa0", "")) for n in re.findall(r'class="figure">([\d\xa0]+)<', block)
    )


def test_the_figures_count_what_everyone_can_see(
    client, ctx, db, make_dialogue, make_proposal, make_comment, cast_vote, make_user, admin
):
    first, second, third, fourth = (make_user() for _ in range(4))
    open_one = make_dialogue("oppen", phases=OPEN)
    shown = make_proposal(open_one, author=first, title="Bänkar")
    make_proposal(open_one, author=second, title="Träd")
    hidden = make_proposal(open_one, author=fourth, title="Reklam")
    make_comment(shown, third)
    cast_vote(shown, second)
    cast_vote(shown, third)
    archived = make_dialogue("arkiv", phases=OPEN, state=DialogueState.archived)
    make_proposal(archived, author=first, title="Gammalt")
    invited = make_dialogue("inbjudan", phases=OPEN, visibility=Visibility.invited)
    make_proposal(invited, author=fourth, title="Internt")
    make_dialogue("utkast", phases=OPEN, state=DialogueState.draft)
    moderation.hide(hidden, by=db.session.get(type(admin), admin.id), reason="Reklam")
    db.session.commit()

    # Open: one (the archived one is not); proposals: three readable (two + the
    # archive's); people: the three who proposed, commented or voted where all can see.
    assert _figures(client) == (1, 3, 3)
    html = client.get("/").get_data(as_text=True)
    for words in ("1</span> dialog pågår nu", "3</span> förslag", "3</span> personer har deltagit"):
        assert words in html


def test_the_figures_follow_a_new_proposal_at_once(
    client, ctx, db, make_dialogue, make_proposal, make_user, count_queries
):
    dialogue = make_dialogue("oppen", phases=OPEN)
    make_proposal(dialogue, author=make_user(), title="Bänkar")
    db.session.commit()
    assert _figures(client) == (1, 1, 1)
    with count_queries() as cached:
        _figures(client)
    assert not [s for s in cached.statements if "FROM proposal" in s]  # from the cache
    make_proposal(dialogue, author=make_user(), title="Träd")
    db.session.commit()
    assert _figures(client) == (1, 2, 2)
