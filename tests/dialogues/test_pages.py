from dialog.dialogues import services
from dialog.dialogues.models import DialogueState


def _dialogue(db, slug, state, **fields):
    dialogue = services.create_dialogue(
        slug=slug,
        title=fields.pop("title", slug.title()),
        summary="Sammanfattning",
        state=state,
        **fields,
    )
    db.session.commit()
    return dialogue


def test_published_dialogues_are_listed_and_shown_with_their_background(client, ctx, db):
    _dialogue(
        db,
        "hovsjo-park",
        DialogueState.published,
        title="Ny park i Hovsjö",
        background="Första stycket.\n\nAndra <b>stycket</b>.",
        place_name="Hovsjö",
    )
    assert "Ny park i Hovsjö" in client.get("/").get_data(as_text=True)
    page = client.get("/d/hovsjo-park").get_data(as_text=True)
    assert "<p>Första stycket.</p>" in page
    assert "Andra &lt;b&gt;stycket&lt;/b&gt;." in page


def test_drafts_are_hidden_and_archived_dialogues_stay_readable(client, ctx, db):
    _dialogue(db, "utkast", DialogueState.draft)
    _dialogue(db, "arkiv", DialogueState.archived)
    listing = client.get("/").get_data(as_text=True)
    assert "Utkast" not in listing
    assert "Arkiv" in listing.split("Avslutade")[1]
    assert client.get("/d/utkast").status_code == 404
    archived = client.get("/d/arkiv")
    assert archived.status_code == 200
    assert "Dialogen är avslutad" in archived.get_data(as_text=True)


def test_the_front_page_costs_a_fixed_number_of_queries(client, ctx, db, count_queries):
    _dialogue(db, "en", DialogueState.published)
    with count_queries() as one:
        client.get("/")
    for n in range(10):
        _dialogue(db, f"fler-{n}", DialogueState.published)
    with count_queries() as eleven:
        client.get("/")
    assert one.count == eleven.count
