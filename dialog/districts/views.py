"""The administrators' list of districts (/admin/districts) and the population table
(/admin/population)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from dialog.accounts.labels import AGE_BAND_LABELS
from dialog.accounts.models import AGE_BANDS
from dialog.core import limits
from dialog.core.permissions import Decision, Refused, require
from dialog.districts import forms, permissions, population, queries, services
from dialog.extensions import db

bp = Blueprint("districts", __name__)


def _district_or_404(code: str):
    district = queries.district(code)
    if district is None:
        raise Refused(Decision.deny("not_found"))
    return district


# The list -----------------------------------------------------------------------------


@bp.get("/admin/districts")
def index():
    require(permissions.can_manage_districts(current_user))
    return _index_page(forms.DistrictForm())


@bp.post("/admin/districts")
@limits.write_limit()
def add():
    require(permissions.can_manage_districts(current_user))
    form = forms.DistrictForm()
    if not form.validate_on_submit():
        return _index_page(form), 400
    if services.add_district(form.code.data, form.name.data, by=current_user) is None:
        form.code.errors.append(_("Another district already has this code."))
        return _index_page(form), 400
    db.session.commit()
    flash(_("The district %(name)s is added.", name=form.name.data), "success")
    return redirect(url_for("districts.index"))


def _index_page(form):
    return render_template(
        "districts/index.html",
        districts=queries.ordered(),
        people=queries.people_per_district(),
        form=form,
    )


@bp.post("/admin/districts/<code>/<any(up, down):direction>")
@limits.write_limit()
def move(code: str, direction: str):
    require(permissions.can_manage_districts(current_user))
    district = _district_or_404(code)
    if services.move_district(district, direction, by=current_user):
        db.session.commit()
    return redirect(url_for("districts.index"))


# One district -------------------------------------------------------------------------


@bp.get("/admin/districts/<code>")
def edit(code: str):
    require(permissions.can_manage_districts(current_user))
    district = _district_or_404(code)
    return _edit_page(district, forms.RenameForm(name=district.name))


@bp.post("/admin/districts/<code>")
@limits.write_limit()
def rename(code: str):
    require(permissions.can_manage_districts(current_user))
    district = _district_or_404(code)
    form = forms.RenameForm()
    if not form.validate_on_submit():
        return _edit_page(district, form), 400
    services.rename_district(district, form.name.data, by=current_user)
    db.session.commit()
    flash(_("The district is renamed %(name)s.", name=form.name.data), "success")
    return redirect(url_for("districts.index"))


def _edit_page(district, form):
    return render_template(
        "districts/edit.html",
        district=district,
        form=form,
        remove_form=forms.RemoveForm(),
        people=queries.people_in(district.code),
    )


@bp.post("/admin/districts/<code>/remove")
@limits.write_limit()
def remove(code: str):
    require(permissions.can_manage_districts(current_user))
    district = _district_or_404(code)
    form = forms.RemoveForm()
    people = queries.people_in(district.code)
    if people and not form.clear_choices.data:
        form.clear_choices.errors = [
            ngettext(
                "%(num)d person has chosen this district. Tick the box to remove it anyway.",
                "%(num)d people have chosen this district. Tick the box to remove it anyway.",
                people,
            )
        ]
        return render_template(
            "districts/edit.html",
            district=district,
            form=forms.RenameForm(name=district.name),
            remove_form=form,
            people=people,
        ), 400
    name = district.name
    services.remove_district(district, by=current_user)
    db.session.commit()
    flash(_("The district %(name)s is removed.", name=name), "success")
    return redirect(url_for("districts.index"))


# The population table -----------------------------------------------------------------


@bp.get("/admin/population")
def population_table():
    require(permissions.can_upload_population(current_user))
    return _population_page(forms.PopulationForm())


@bp.post("/admin/population")
@limits.write_limit()
def upload_population():
    require(permissions.can_upload_population(current_user))
    form = forms.PopulationForm()
    if not form.validate_on_submit():
        return _population_page(form), 400
    codes = {district.code for district in queries.ordered()}
    parsed = population.parse(form.table.data.read(), codes)
    if not parsed.valid:
        return _population_page(form, problems=parsed.problems), 400
    if not services.replace_population(parsed.counts, by=current_user):
        form.table.errors.append(_("Another table was uploaded at the same moment. Upload again."))
        return _population_page(form), 400
    db.session.commit()
    flash(
        ngettext(
            "The population table is stored: %(num)d line.",
            "The population table is stored: %(num)d lines.",
            len(parsed.counts),
        ),
        "success",
    )
    return redirect(url_for("districts.population_table"))


def _population_page(form, problems=()):
    return render_template(
        "districts/population.html",
        form=form,
        problems=problems,
        districts=queries.ordered(),
        table=queries.population_table(),
        uploaded_at=queries.population_uploaded_at(),
        age_bands=AGE_BANDS,
        age_band_labels=AGE_BAND_LABELS,
    )
