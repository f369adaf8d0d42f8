"""Changes to the districts and the population table. Functions flush; the caller commits."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update

from dialog.accounts.models import User
from dialog.core import audit
from dialog.core.db import AlreadyTaken, add_unless_taken, unique_write, utcnow
from dialog.districts import queries
from dialog.districts.models import District, PopulationCount
from dialog.extensions import db

# What the demo and benchmark data use when the list is empty: Södertälje's districts,
# the list the installation shipped with before districts were administered.
DEMO_DISTRICTS = {
    "centrum": "Centrum",
    "ostertalje": "Östertälje",
    "vastergard": "Västergård",
    "hovsjo": "Hovsjö",
    "ronna": "Ronna",
    "geneta": "Geneta",
    "brunnsang": "Brunnsäng",
    "fornhojden": "Fornhöjden",
    "blombacka": "Blombacka",
    "glasberga": "Glasberga",
    "pershagen": "Pershagen",
    "jarna": "Järna",
    "enhorna": "Enhörna",
    "holo-morko": "Hölö-Mörkö",
}


def add_district(code: str, name: str, *, by) -> District | None:
    """A new district last in the list; None when the code is taken."""
    last = db.session.scalar(select(func.max(District.position))) or 0
    district = District(code=code, name=name, position=last + 1)
    if not add_unless_taken(district):
        return None
    audit.record("district_added", actor=by, target=district, code=code, name=name)
    return district


def rename_district(district: District, name: str, *, by) -> None:
    audit.record(
        "district_renamed",
        actor=by,
        target=district,
        code=district.code,
        before=district.name,
        after=name,
    )
    district.name = name
    db.session.flush()


def move_district(district: District, direction: str, *, by) -> bool:
    """Swap places with the neighbour above or below; False at the end of the list."""
    districts = queries.ordered()
    at = districts.index(district)
    other_at = at - 1 if direction == "up" else at + 1
    if not 0 <= other_at < len(districts):
        return False
    # Renumbered from the order read, so equal positions (rows added at the same moment)
    # still move.
    districts[at], districts[other_at] = districts[other_at], districts[at]
    for position, each in enumerate(districts, start=1):
        each.position = position
    db.session.flush()
    audit.record(
        "district_moved", actor=by, target=district, code=district.code, direction=direction
    )
    return True


def remove_district(district: District, *, by) -> int:
    """Remove the district and its population counts; whoever had chosen it now has no
    district. Returns how many people that was."""
    cleared = db.session.execute(
        update(User).where(User.district == district.code).values(district=None)
    ).rowcount
    db.session.execute(
        delete(PopulationCount).where(PopulationCount.district_code == district.code)
    )
    audit.record(
        "district_removed",
        actor=by,
        target=district,
        code=district.code,
        name=district.name,
        choices_cleared=cleared,
    )
    db.session.delete(district)
    db.session.flush()
    return cleared


def replace_population(counts: dict[tuple[str, str], int], *, by) -> bool:
    """Put the uploaded table in place of the stored one, whole; False when another
    upload wrote its table at the same moment (nothing of this one is stored)."""
    now = utcnow()
    try:
        with unique_write():
            db.session.execute(delete(PopulationCount))
            db.session.execute(
                insert(PopulationCount),
                [
                    {"district_code": code, "age_band": band, "count": count, "uploaded_at": now}
                    for (code, band), count in sorted(counts.items())
                ],
            )
    except AlreadyTaken:
        return False
    audit.record("population_uploaded", actor=by, rows=len(counts), people=sum(counts.values()))
    return True


def ensure_demo_districts() -> list[str]:
    """The codes of the districts, after adding the demo's list when there are none."""
    if not queries.ordered():
        db.session.add_all(
            District(code=code, name=name, position=position)
            for position, (code, name) in enumerate(DEMO_DISTRICTS.items(), start=1)
        )
        db.session.flush()
    return [code for code, _name in queries.choices()]
