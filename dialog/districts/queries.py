"""Reads of the districts and the population table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.districts.models import District, PopulationCount
from dialog.extensions import db


def ordered() -> list[District]:
    """The districts in the administrators' order."""
    return list(db.session.scalars(select(District).order_by(District.position, District.id)))


def choices() -> list[tuple[str, str]]:
    """(code, name) for a form's list."""
    return [(d.code, d.name) for d in ordered()]


def district(code: str) -> District | None:
    return db.session.scalar(select(District).where(District.code == code))


def people_per_district() -> dict[str, int]:
    """How many accounts have chosen each district."""
    rows = db.session.execute(
        select(User.district, func.count())
        .where(User.district.is_not(None))
        .group_by(User.district)
    )
    return {code: count for code, count in rows}


def people_in(code: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.district == code))


def population_table() -> dict[tuple[str, str], int]:
    """People per (district code, age band); empty when no table was uploaded."""
    rows = db.session.execute(
        select(PopulationCount.district_code, PopulationCount.age_band, PopulationCount.count)
    )
    return {(code, band): count for code, band, count in rows}


def population_uploaded_at() -> datetime | None:
    return db.session.scalar(select(func.max(PopulationCount.uploaded_at)))
