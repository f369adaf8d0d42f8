"""Names that pass for the municipality or its staff. Only staff may be shown so: the
profile form refuses such a name to anyone else, and a role lowered below planner takes
it off the public pages (services.set_role)."""

from __future__ import annotations

import unicodedata

from dialog.core.forms import visible_part

# Names only staff may appear under: the municipality's own badge is the one sign of an
# official voice, so no resident may look like it.
STAFF_NAMES = frozenset(
    {
        "kommun",
        "kommunen",
        "municipality",
        "themunicipality",
        "planerare",
        "planeraren",
        "planner",
        "admin",
        "administrator",
        "administratoren",
        "adm1n",
        "moderator",
        "moderatorn",
        "moderatorer",
        "staff",
        "personal",
        "tjansteperson",
        "handlaggare",
        "handlaggaren",
        "stad",
        "staden",
        "city",
        "council",
    }
)
# The municipality's organs in compounds ("Stadsbyggnadskontoret", "Kommunstyrelsen",
# "Södertäljekommun"): a word that ends so speaks for the municipality too.
STAFF_ENDINGS = ("kommun", "kommunen", "kontoret", "forvaltningen", "namnden", "styrelsen")

# Letters from other scripts and digits that pass for Latin letters at a glance.
LOOKALIKES = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "|": "l",
        "l": "i",
        "\u0430": "a",
        "\u0435": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0445": "x",
        "\u0456": "i",
        "\u043a": "k",
        "\u043c": "m",
        "\u0442": "t",
        "\u043d": "h",
        "\u03bf": "o",
        "\u03b1": "a",
        "\u03b5": "e",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bd": "v",
        "\u03c1": "p",
    }
)
STAFF_LOOKALIKES = frozenset(name.translate(LOOKALIKES) for name in STAFF_NAMES)
STAFF_ENDING_LOOKALIKES = tuple(ending.translate(LOOKALIKES) for ending in STAFF_ENDINGS)


def _skeleton(text: str) -> str:
    """The letters a reader sees: no accents, case, spaces, punctuation or look-alikes."""
    decomposed = unicodedata.normalize("NFKD", visible_part(text)).casefold()
    letters = "".join(ch for ch in decomposed if ch.isalnum() or ch in "@$|")
    return letters.translate(LOOKALIKES)


def looks_like_staff(name: str) -> bool:
    words = [name, *name.replace("-", " ").replace("_", " ").replace(".", " ").split()]
    skeletons = [_skeleton(word) for word in words]
    return any(
        skeleton in STAFF_LOOKALIKES or skeleton.endswith(STAFF_ENDING_LOOKALIKES)
        for skeleton in skeletons
    )
