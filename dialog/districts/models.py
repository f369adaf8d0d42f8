"""The districts people may say they live in, and how many live in each, by age band."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dialog.accounts.models import AGE_BANDS
from dialog.core.db import utcnow
from dialog.extensions import db

CODE_LENGTH = 80
NAME_LENGTH = 80


class District(db.Model):
    """A district of the municipality: a stable code (what a person's profile and the
    population table refer to) and a name that may change."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    # Where it comes in the profile's list and in reports.
    position: Mapped[int]


class PopulationCount(db.Model):
    """How many people live in one district and age band (from Statistics Sweden, say)."""

    __tablename__ = "population_count"
    __table_args__ = (
        sa.UniqueConstraint("district_code", "age_band"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        sa.CheckConstraint(
            "age_band IN (" + ", ".join(f"'{b}'" for b in AGE_BANDS) + ")",
            name="age_band_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("district.code", ondelete="CASCADE"))
    age_band: Mapped[str] = mapped_column(sa.String(16))
    count: Mapped[int]
    # Who uploaded it is in the audit log; the table itself names no one.
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
