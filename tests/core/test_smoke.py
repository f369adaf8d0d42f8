def test_front_page_lists_the_published_dialogue(client, ctx):
    from dialog import demo
    from dialog.extensions import db

    demo.seed()
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Framtidens stadskärna" in page
