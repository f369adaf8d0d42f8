from dialog.dialogues.models import DialogueState


def test_published_dialogues_are_listed_and_shown_with_their_background(
    client, ctx, db, make_dialogue
):
    make_dialogue(
        "hovsjo-park",
        title="Ny park i Hovsjö",
        background="Första stycket.\n\nAndra <b>stycket</b>.",
        place_name="Hovsjö",
    )
    assert "Ny park i Hovsjö" in client.get("/").get_data(as_text=True)
    page = client.get("/d/hovsjo-park").get_data(as_text=True)
    assert "<p>Första stycket.</p>" in page
    assert "Andra &lt;b&gt;stycket&lt;/b&gt;." in page


def test_drafts_are_hidden_and_archived_dialogues_stay_readable(client, ctx, db, make_dialogue):
    make_dialogue("utkast", state=DialogueState.draft, title="Utkast")
    make_dialogue("arkiv", state=DialogueState.archived, title="Arkiv")
    listing = client.get("/").get_data(as_text=True)
    assert "Utkast" not in listing
    assert "Arkiv" in listing.split("Avslutade")[1]
    assert client.get("/d/utkast").status_code == 404
    archived = client.get("/d/arkiv")
    assert archived.status_code == 200
    assert "Dialogen är avslutad" in archived.get_data(as_text=True)


def test_the_front_page_costs_a_fixed_number_of_queries(
    client, ctx, db, count_queries, make_dialogue
):
    make_dialogue("en")
    with count_queries() as one:
        client.get("/")
    for n in range(10):
        make_dialogue(f"fler-{n}")
    with count_queries() as eleven:
        client.get("/")
    assert one.count == eleven.count
