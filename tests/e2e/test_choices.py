"""Radios and checkboxes: each box beside its own label, in a fieldset whose legend asks
the question, with targets of at least 24 × 24 px (WCAG 2.2) and larger on a phone.

Measured in the browser, on the forms residents and administrators meet most."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialog.core.db import utcnow
from dialog.dialogues.models import PhaseKind
from tests.e2e.conftest import assert_accessible, log_in

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
# The smallest box on each screen: WCAG 2.2's 24 px, and 40 px where fingers point.
SMALLEST = {"desktop": 24, "phone": 40}

MEASURE = """() => [...document.querySelectorAll("main input[type=radio], main input[type=checkbox]")]
  .map((box) => {
    const label = document.querySelector(`label[for="${box.id}"]`);
    const b = box.getBoundingClientRect();
    const l = label ? label.getBoundingClientRect() : null;
    const group = box.closest("fieldset");
    const legend = group && group.querySelector(":scope > legend");
    return {
      id: box.id, kind: box.type, width: b.width, height: b.height,
      box: {left: b.left, right: b.right, top: b.top, bottom: b.bottom},
      label: l && {left: l.left, right: l.right, top: l.top, bottom: l.bottom},
      legend: legend ? legend.textContent.trim() : null,
      siblings: document.getElementsByName(box.name).length,
    };
  })"""


@pytest.fixture
def forms(app, make_user, make_dialogue, make_proposal):
    """A dialogue taking proposals and comments, one proposal, a resident and an admin."""
    now = utcnow()
    dialogue = make_dialogue(
        "stadskarna",
        title="Stadskärnan",
        summary="S",
        phases=[(PhaseKind.proposals, now - timedelta(hours=1), now + timedelta(days=3), {})],
    )
    proposal = make_proposal(dialogue, title="Bänkar vid torget")
    return {
        "resident": make_user().email,
        "admin": make_user(role="admin").email,
        "pages": {
            "resident": [
                "/d/stadskarna/proposals/new",
                f"/p/{proposal.id}",
                "/profile",
            ],
            "admin": ["/admin/dialogues/new"],
            "anonymous": ["/register"],
        },
    }


def _check_boxes(page, path: str, screen: str) -> int:
    assert page.goto(path).status == 200, path
    boxes = page.evaluate(MEASURE)
    assert boxes, f"no radios or checkboxes on {path}"
    for box in boxes:
        where = f"{box['id']} on {path} ({screen})"
        assert box["width"] >= SMALLEST[screen] and box["height"] >= SMALLEST[screen], where
        label = box["label"]
        assert label is not None, f"{where}: no label"
        # Beside: the label starts right of the box and shares its line, not above or below.
        assert label["left"] >= box["box"]["right"], where
        assert label["top"] < box["box"]["bottom"] and label["bottom"] > box["box"]["top"], where
        if box["siblings"] > 1:
            assert box["legend"], f"{where}: a group without a fieldset and legend"
    return len(boxes)


def _visit_all(page, forms, screen: str) -> int:
    counted = _check_boxes(page, forms["pages"]["anonymous"][0], screen)
    assert_accessible(page)
    for role in ("resident", "admin"):
        log_in(page, forms[role])
        for path in forms["pages"][role]:
            counted += _check_boxes(page, path, screen)
            assert_accessible(page)
        page.get_by_role("button", name="Logga ut").click()
    return counted


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_boxes_sit_beside_their_labels_with_large_targets(new_page, forms, screen):
    page = new_page(viewport=DESKTOP if screen == "desktop" else PHONE)
    # The registration checkbox, the proposal's dimensions, a comment's stance, the
    # profile's radios and the admin form's settings: well over a dozen boxes in all.
    assert _visit_all(page, forms, screen) >= 15


def test_a_chosen_radio_is_its_labels_and_the_label_chooses_it(new_page, forms):
    page = new_page(viewport=PHONE, locale="en-GB")
    page.goto("/?lang=en")
    log_in_english(page, forms["resident"])
    page.goto(forms["pages"]["resident"][1])
    stance = page.get_by_role("group", name="Your view of the proposal")
    radios = {
        name: stance.get_by_role("radio", name=name) for name in ("For", "Neutral", "Against")
    }
    # Pressing a label's words chooses its own box, and only that one.
    stance.get_by_text("Against", exact=True).click()
    expect(radios["Against"]).to_be_checked()
    expect(radios["Neutral"]).not_to_be_checked()
    stance.get_by_text("For", exact=True).click()
    expect(radios["For"]).to_be_checked()
    expect(radios["Against"]).not_to_be_checked()
    assert_accessible(page)
    # The keyboard moves the choice within the group, in the order the labels are read.
    radios["For"].focus()
    page.keyboard.press("ArrowDown")
    expect(radios["Neutral"]).to_be_checked()


def log_in_english(page, email: str) -> None:
    from tests.support import PASSWORD

    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
