"""The random order: a stored rank per proposal, rotated by the visitor's offset, read
from the (dialogue_id, random_rank) index."""

import pytest
from sqlalchemy import text

from dialog.proposals import queries

VOTING = (("proposals", -48, -1), ("voting", -1, 24))


@pytest.fixture
def many_proposals(make_dialogue, make_proposal):
    """`count` proposals on one theme, in a dialogue that is voting now."""

    def build(count):
        dialogue = make_dialogue(phases=VOTING, themes=["Stadslivet"])
        made = [
            make_proposal(dialogue, title=f"Förslag {n}", body=".", theme="Stadslivet")
            for n in range(count)
        ]
        return dialogue, made

    return build


@pytest.mark.parametrize("offset", [0.0, 0.37, 0.81])
def test_pages_follow_the_rotation_with_every_proposal_once(ctx, db, offset, many_proposals):
    dialogue, made = many_proposals(45)
    filters = queries.Filters(sort="random", random_offset=offset)
    shown = [
        p.id
        for number in (1, 2, 3, 4)
        for p in queries.proposals_page(dialogue, filters, number).items
    ]
    expected = sorted(made, key=lambda p: (p.random_rank < offset, p.random_rank))
    assert shown == [p.id for p in expected]


def _plan(db, statement) -> str:
    connection = db.session.connection()
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(row[-1] for row in rows)
    # PostgreSQL picks a sort for tiny tables; with sorting priced out, a plan without
    # a Sort node shows the index can deliver the order.
    connection.execute(text("SET LOCAL enable_sort = off"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))


@pytest.mark.parametrize("theme", [None, "Stadslivet"], ids=["all", "one theme"])
def test_the_random_order_is_read_from_the_index(ctx, db, theme, many_proposals):
    dialogue, _ = many_proposals(30)
    query = queries.filtered_proposals(dialogue, queries.Filters(theme=theme))
    for statement in queries.rotation(query, 0.5):
        plan = _plan(db, statement.limit(20))
        assert "ix_proposal_dialogue_id_random_rank" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
