"""Districts as an administered list (code and name), a population count per district and
age band, and a person's district held as the district's code.

The list is filled from the old `DISTRICTS` setting (the environment variable when set,
otherwise the list config.py shipped), each name given a code made from it ("Hölö-Mörkö"
becomes "holo-morko"). A district name a person holds that the setting no longer lists
gets a district of its own, so no one's answer is lost. Downgrade turns codes back into
names.

Revision ID: 0021
Revises: 0020
"""

import os
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# config.py's default for DISTRICTS until this revision.
DEFAULT_DISTRICTS = (
    "Centrum,Östertälje,Västergård,Hovsjö,Ronna,Geneta,Brunnsäng,Fornhöjden,"
    "Blombacka,Glasberga,Pershagen,Järna,Enhörna,Hölö-Mörkö"
)
AGE_BANDS = ("under_18", "18_29", "30_44", "45_64", "65_79", "80_plus")
CODE_LENGTH = 80

district = sa.table(
    "district",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("position", sa.Integer),
)
user_account = sa.table("user_account", sa.column("district", sa.String))


def upgrade():
    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=CODE_LENGTH), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
        sa.UniqueConstraint("code", name=op.f("uq_district_code")),
    )
    op.create_table(
        "population_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=CODE_LENGTH), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_population_count_count_not_negative")),
        sa.CheckConstraint(
            "age_band IN (" + ", ".join(f"'{b}'" for b in AGE_BANDS) + ")",
            name=op.f("ck_population_count_age_band_known"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["district.code"],
            name=op.f("fk_population_count_district_code_district"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_count")),
        sa.UniqueConstraint(
            "district_code", "age_band", name=op.f("uq_population_count_district_code_age_band")
        ),
    )
    codes = _fill_districts()
    for name, code in codes.items():
        op.execute(
            user_account.update().where(user_account.c.district == name).values(district=code)
        )
    with op.batch_alter_table("user_account") as batch:
        batch.create_foreign_key(
            batch.f("fk_user_account_district_district"),
            "district",
            ["district"],
            ["code"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_user_account_district"), ["district"])


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index(batch.f("ix_user_account_district"))
        batch.drop_constraint(batch.f("fk_user_account_district_district"), type_="foreignkey")
    connection = op.get_bind()
    for code, name in connection.execute(sa.select(district.c.code, district.c.name)).all():
        op.execute(
            user_account.update().where(user_account.c.district == code).values(district=name)
        )
    op.drop_table("population_count")
    op.drop_table("district")


def _fill_districts() -> dict[str, str]:
    """The districts of the setting, then the names people hold that it lacks: name → code."""
    connection = op.get_bind()
    setting = os.environ.get("DISTRICTS") or DEFAULT_DISTRICTS
    names = list(dict.fromkeys(n.strip() for n in setting.split(",") if n.strip()))
    held = connection.execute(
        sa.select(user_account.c.district)
        .where(user_account.c.district.is_not(None))
        .distinct()
        .order_by(user_account.c.district)
    ).scalars()
    names += [n for n in held if n not in names]
    codes: dict[str, str] = {}
    for name in names:
        codes[name] = _unused_code(_code_from(name), set(codes.values()))
    if codes:
        op.bulk_insert(
            district,
            [
                {"code": code, "name": name[:80], "position": position}
                for position, (name, code) in enumerate(codes.items(), start=1)
            ],
        )
    return codes


def _code_from(name: str) -> str:
    # Letters without their accents, anything else a hyphen: stable for the same name.
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[: CODE_LENGTH - 4] or "district"


def _unused_code(code: str, taken: set[str]) -> str:
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        candidate = f"{code}-{number}"
    return candidate
