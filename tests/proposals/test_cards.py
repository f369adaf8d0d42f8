"""Proposal cards: an excerpt of the text, the image at card size, the answer's status as
a badge (a draft's never), and the counts; a fixed number of queries however many cards."""

from __future__ import annotations

import io

from PIL import Image

from dialog.core import images
from dialog.proposals.models import AnswerStatus

LIST = "/d/stadskarna/proposals?sort=newest"
REVIEWING = (("proposals", -48, -1), ("review", -1, 24))


def _photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_card_shows_an_excerpt_the_answer_status_and_the_counts(
    client, ctx, db, make_dialogue, make_proposal, make_answer, make_comment, planner, resident
):
    dialogue = make_dialogue(phases=REVIEWING)
    long_text = "Byt **de kalla** armaturerna mot [varmt ljus](https://example.org). " + (
        "Kajen behöver ljus på vintern. " * 12
    )
    answered = make_proposal(dialogue, title="Varmt ljus", body=long_text)
    drafted = make_proposal(dialogue, title="Fler bänkar", body="Bänkar längs stråket.")
    make_proposal(dialogue, title="Cykelställ", body="Vid stationen.")
    make_answer(answered, planner, status=AnswerStatus.partly_accepted)
    make_answer(drafted, planner, status=AnswerStatus.rejected, publish=False)
    make_comment(answered, resident, body="Ja!")
    db.session.commit()

    page = client.get(LIST).get_data(as_text=True)
    cards = {
        title: page.split(title, 1)[1].split("</li>", 1)[0]
        for title in ("Varmt ljus", "Fler bänkar", "Cykelställ")
    }
    assert 'class="badge status-partly_accepted">Genomförs delvis</span>' in cards["Varmt ljus"]
    excerpt = cards["Varmt ljus"].split('class="card-excerpt">', 1)[1].split("</p>", 1)[0]
    assert excerpt.startswith("Byt de kalla armaturerna mot varmt ljus. Kajen")  # no marks
    assert excerpt.endswith("…") and len(excerpt) <= 181
    assert "1 kommentar" in cards["Varmt ljus"]
    # A drafted answer is the planner's: residents read "not answered yet".
    assert "status-rejected" not in cards["Fler bänkar"]
    assert "status-none" in cards["Fler bänkar"] and "status-none" in cards["Cykelställ"]


def test_the_card_image_is_small_and_the_page_keeps_the_full_one(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue()
    stored = images.store(_photo(1600, 1000), "kaj.jpg")
    proposal = make_proposal(dialogue, title="Kajen", image_id=stored.id)
    db.session.commit()
    page = client.get("/d/stadskarna/proposals").get_data(as_text=True)
    assert f'src="/p/{proposal.id}/image?size=card"' in page and 'alt=""' in page
    card = client.get(f"/p/{proposal.id}/image?size=card")
    assert card.status_code == 200 and card.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(card.data)).size == (480, 300)
    full = client.get(f"/p/{proposal.id}/image")
    assert Image.open(io.BytesIO(full.data)).size == (1600, 1000)


def test_cards_cost_the_same_queries_for_five_and_fifty_proposals(
    client, ctx, db, make_dialogue, make_proposal, make_answer, planner, count_queries
):
    dialogue = make_dialogue(phases=REVIEWING)
    made = [make_proposal(dialogue, title=f"Förslag {n}") for n in range(5)]
    for proposal in made:
        make_answer(proposal, planner)
    db.session.commit()
    with count_queries() as few:
        assert client.get(LIST).status_code == 200
    more = [make_proposal(dialogue, title=f"Fler {n}") for n in range(45)]
    for proposal in more:
        make_answer(proposal, planner)
    db.session.commit()
    with count_queries() as many:
        assert client.get(LIST).status_code == 200
    assert many.count == few.count
