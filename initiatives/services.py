"""Every write of the initiatives app: loading the catalog, building and following action plans.

Reads beyond a simple filter are in ``selectors.py``. The rules here serve the pages, the API,
the management command and the demo alike.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Avg, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Commune, Departement, Organization, Territory
from actors.permissions import require_manage_territory
from initiatives.models import (
    ActionIndicator,
    ActionPlan,
    ActionStep,
    IndicatorValue,
    Initiative,
    KeyFigure,
    PlannedAction,
)
from initiatives.records import initiative_record_clean
from miam.errors import DomainError
from miam.inputs import FieldErrors

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).resolve().parent / "data" / "initiatives.json"


def _this_year() -> int:
    return timezone.localdate().year


def _future_year_error(field_name: str, year: int) -> DomainError:
    return DomainError(
        "future_year",
        _("L'année %(year)s est dans le futur : seules les années passées ou l'année en cours sont acceptées.")
        % {"year": year},
        fields={field_name: _("L'année %(year)s est dans le futur.") % {"year": year}},
    )


# --- Catalog loading -----------------------------------------------------------------


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("%(c)d initiatives créées, %(u)d mises à jour, %(n)d inchangées.") % {
            "c": len(self.created),
            "u": len(self.updated),
            "n": len(self.unchanged),
        }


class _Geography:
    """Reference geography looked up once per load: communes by code, départements' points."""

    def __init__(self, insee_codes: set[str], departement_codes: set[str]):
        self.communes = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=insee_codes)}
        self.departements = {d.code: d for d in Departement.objects.filter(code__in=departement_codes)}
        self.points: dict[str, tuple[float, float] | None] = {}

    def departement_point(self, code: str) -> tuple[float, float] | None:
        """The département's most populated commune (its prefecture, in practice), else its centroid."""
        if code not in self.points:
            communes = Commune.objects.filter(departement__code=code, latitude__isnull=False)
            top = communes.order_by("-population", "insee_code").first()
            if top is not None:
                self.points[code] = (top.latitude, top.longitude)
            else:
                centre = communes.aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
                self.points[code] = (centre["lat"], centre["lon"]) if centre["lat"] is not None else None
        return self.points[code]


def _locate(fields: dict, geo: _Geography) -> dict:
    commune = geo.communes.get(fields["commune_insee"]) if fields["commune_insee"] else None
    departement = geo.departements.get(fields["departement_code"]) if fields["departement_code"] else None
    if commune is not None and departement is None:
        departement = commune.departement
    place = {
        "commune": commune,
        "departement": departement,
        "latitude": None,
        "longitude": None,
        "location_precision": Initiative.LocationPrecision.NONE,
    }
    if commune is not None and commune.latitude is not None:
        place.update(
            latitude=commune.latitude,
            longitude=commune.longitude,
            location_precision=Initiative.LocationPrecision.COMMUNE,
        )
    elif departement is not None:
        point = geo.departement_point(departement.code)
        if point:
            place.update(
                latitude=round(point[0], 6),
                longitude=round(point[1], 6),
                location_precision=Initiative.LocationPrecision.DEPARTEMENT,
            )
    return place


#: Fields compared to tell an unchanged initiative from an updated one (key figures apart).
_COMPARED = [
    "name",
    "tagline",
    "summary",
    "description",
    "domain",
    "type",
    "secondary_types",
    "other_types",
    "carrier_name",
    "carrier_kinds",
    "employees_count",
    "volunteers_count",
    "members_count",
    "commune_name",
    "commune_insee",
    "departement_code",
    "region",
    "country",
    "scope",
    "place_note",
    "start_year",
    "status",
    "beneficiaries",
    "beneficiaries_note",
    "objectives",
    "objective_kinds",
    "budget_eur",
    "funding_sources",
    "partners",
    "results",
    "levers",
    "difficulties",
    "solutions",
    "improvements",
    "committee_assessments",
    "committee_read_on",
    "links",
    "keywords",
    "sources",
    "source_notes",
    "commune_id",
    "departement_id",
    "latitude",
    "longitude",
    "location_precision",
    "search_head",
    "search_summary",
    "search_text",
]

_FIGURE_FIELDS = ("unit", "measures", "year", "qualifier", "source_index", "position")


def _figures_of(initiative: Initiative) -> list[tuple]:
    return [
        (f.value.normalize(), *(getattr(f, name) for name in _FIGURE_FIELDS))
        for f in initiative.key_figures.all().order_by("position", "id")
    ]


def _wanted_figures(figures: list[dict]) -> list[tuple]:
    return [(f["value"].normalize(), *(f[name] for name in _FIGURE_FIELDS)) for f in figures]


@transaction.atomic
def initiatives_load(*, records: list[dict] | None = None, path: str | Path | None = None) -> LoadReport:
    """Create or update the catalog from the data file (by slug). All or nothing.

    Initiatives missing from the file are left as they are (never deleted: action plans may
    point at them). Running it twice writes nothing the second time.
    """
    if records is None:
        file_path = Path(path) if path else DATA_FILE
        try:
            records = json.loads(file_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DomainError("unreadable_file", _("Fichier illisible : %(error)s") % {"error": error}) from error
    if not isinstance(records, list):
        raise DomainError("invalid_file", _("Le fichier doit contenir une liste d'initiatives."))
    cleaned = [initiative_record_clean(record, index=i) for i, record in enumerate(records)]
    seen: set[str] = set()
    for item in cleaned:
        if item["slug"] in seen:
            raise DomainError(
                "duplicate_slug",
                _("L'identifiant « %(slug)s » apparaît deux fois dans le fichier.") % {"slug": item["slug"]},
                fields={f"{item['slug']}.slug": _("Identifiant en double.")},
            )
        seen.add(item["slug"])
    geo = _Geography(
        {c["commune_insee"] for c in cleaned if c["commune_insee"]},
        {c["departement_code"] for c in cleaned if c["departement_code"]},
    )
    existing = {i.slug: i for i in Initiative.objects.filter(slug__in=seen).prefetch_related("key_figures")}
    report = LoadReport()
    for item in cleaned:
        figures = item.pop("key_figures")
        place = _locate(item, geo)
        initiative = existing.get(item["slug"]) or Initiative(slug=item["slug"])
        before = None if initiative.pk is None else {name: getattr(initiative, name) for name in _COMPARED}
        for name, value in item.items():
            setattr(initiative, name, value)
        for name, value in place.items():
            setattr(initiative, name, value)
        initiative.refresh_search_fields()
        initiative.full_clean(validate_unique=False, validate_constraints=False)
        after = {name: getattr(initiative, name) for name in _COMPARED}
        if before is None:
            initiative.save()
            report.created.append(initiative.slug)
            same_figures = False
        else:
            same_figures = _figures_of(initiative) == _wanted_figures(figures)
            if before == after and same_figures:
                report.unchanged.append(initiative.slug)
                continue
            if before != after:
                initiative.save()
            report.updated.append(initiative.slug)
        if not same_figures:
            initiative.key_figures.all().delete()
            KeyFigure.objects.bulk_create(KeyFigure(initiative=initiative, **f) for f in figures)
    logger.info("initiatives_load: %s", report.summary())
    return report


# --- Action plan ---------------------------------------------------------------------


def _check_officer(by, territory: Territory) -> None:
    require_manage_territory(by, territory)


def _actor(by):
    from actors.permissions import as_user

    return as_user(by)


@transaction.atomic
def action_plan_get_or_create(*, territory: Territory, by, title: str = "") -> ActionPlan:
    """The territory's plan (one per territory), created on first use by one of its officers.

    Only the territory's officers (and staff) get it, existing or not: anyone else is refused
    before the lookup, so the answer never depends on whether a plan exists."""
    _check_officer(by, territory)
    existing = ActionPlan.objects.filter(territory=territory).first()
    if existing is not None:
        return existing
    return ActionPlan.objects.create(
        territory=territory, title=title or _("Plan d'action – %(name)s") % {"name": territory.name}
    )


@transaction.atomic
def action_plan_update(
    *, plan: ActionPlan, by, title: str | None = None, status: str | None = None, description: str | None = None
) -> ActionPlan:
    _check_officer(by, plan.territory)
    if title is not None:
        if not title:
            raise DomainError(
                "invalid", _("Le titre est obligatoire."), fields={"title": _("Le titre est obligatoire.")}
            )
        plan.title = title
    if status is not None:
        plan.status = status
    if description is not None:
        plan.description = description
    plan.save()
    return plan


def _locked_plan(plan: ActionPlan) -> ActionPlan:
    return ActionPlan.objects.select_for_update().select_related("territory").get(pk=plan.pk)


@transaction.atomic
def planned_action_shortlist(
    *,
    plan: ActionPlan,
    by,
    initiative: Initiative | None = None,
    title: str = "",
    description: str = "",
    follow_up: dict | None = None,
) -> PlannedAction:
    """Put a candidate action on the plan: from a catalog initiative, or written from scratch.

    ``follow_up``: fields of ``planned_action_update`` given at once (the API's create), applied
    by it in the same transaction: one it refuses leaves no action behind."""
    plan = _locked_plan(plan)
    _check_officer(by, plan.territory)
    if initiative is None and not title:
        raise DomainError(
            "title_required",
            _("Une action sans initiative du catalogue doit avoir un titre."),
            fields={"title": _("Le titre est obligatoire.")},
        )
    if initiative is not None:
        if not initiative.is_published:
            raise DomainError("not_published", _("Cette initiative n'est pas publiée."))
        if plan.actions.filter(initiative=initiative).exists():
            raise DomainError(
                "already_on_plan",
                _("« %(name)s » figure déjà dans le plan d'action.") % {"name": initiative.name},
                fields={"initiative": _("Cette initiative figure déjà dans le plan d'action.")},
            )
    action = PlannedAction.objects.create(
        plan=plan,
        initiative=initiative,
        title=title or initiative.name[:300],
        description=description or (initiative.summary if initiative else ""),
        state=PlannedAction.State.SHORTLISTED,
        created_by=_actor(by),
    )
    if follow_up:
        action = planned_action_update(action=action, by=by, **follow_up)
    return action


def _locked_action(action: PlannedAction) -> tuple[ActionPlan, PlannedAction]:
    plan = _locked_plan(action.plan)
    return plan, PlannedAction.objects.select_for_update().get(pk=action.pk)


def _set_priorities(plan: ActionPlan, ordered_ids: list[int]) -> None:
    """Number the selected actions 1..n in this order (two passes: the priority is unique)."""
    selected = PlannedAction.objects.filter(plan=plan, state=PlannedAction.State.SELECTED)
    offset = (selected.aggregate(m=Max("priority"))["m"] or 0) + len(ordered_ids) + 1
    for rank, action_id in enumerate(ordered_ids, start=1):
        PlannedAction.objects.filter(pk=action_id).update(priority=offset + rank)
    for rank, action_id in enumerate(ordered_ids, start=1):
        PlannedAction.objects.filter(pk=action_id).update(priority=rank)


def _selected_ids(plan: ActionPlan, exclude: int | None = None) -> list[int]:
    qs = PlannedAction.objects.filter(plan=plan, state=PlannedAction.State.SELECTED).order_by("priority", "id")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.values_list("id", flat=True))


@transaction.atomic
def planned_action_select(*, action: PlannedAction, by, priority: int | None = None) -> PlannedAction:
    """Retain a shortlisted action; it takes the given priority (others shift) or comes last."""
    plan, action = _locked_action(action)
    _check_officer(by, plan.territory)
    if action.state == PlannedAction.State.SELECTED:
        raise DomainError(
            "already_selected",
            _("« %(title)s » est déjà retenue (priorité %(p)s).") % {"title": action.title, "p": action.priority},
            fields={"state": _("Cette action est déjà retenue.")},
        )
    if action.state == PlannedAction.State.DROPPED:
        raise DomainError(
            "dropped",
            _("« %(title)s » a été écartée : remettez-la d'abord dans la présélection.") % {"title": action.title},
        )
    ids = _selected_ids(plan)
    if priority is not None and (priority < 1 or priority > len(ids) + 1):
        raise DomainError(
            "invalid_priority",
            _("La priorité doit être comprise entre 1 et %(n)d.") % {"n": len(ids) + 1},
            fields={"priority": _("Priorité hors limites.")},
        )
    position = (priority or len(ids) + 1) - 1
    ids.insert(position, action.pk)
    PlannedAction.objects.filter(pk=action.pk).update(
        state=PlannedAction.State.SELECTED, priority=10_000 + len(ids), selected_at=timezone.now()
    )
    _set_priorities(plan, ids)
    action.refresh_from_db()
    return action


@transaction.atomic
def planned_action_unselect(*, action: PlannedAction, by) -> PlannedAction:
    """Back to the shortlist; the remaining selected actions close the gap."""
    plan, action = _locked_action(action)
    _check_officer(by, plan.territory)
    if action.state != PlannedAction.State.SELECTED:
        raise DomainError("not_selected", _("« %(title)s » n'est pas retenue.") % {"title": action.title})
    PlannedAction.objects.filter(pk=action.pk).update(
        state=PlannedAction.State.SHORTLISTED, priority=None, selected_at=None
    )
    _set_priorities(plan, _selected_ids(plan))
    action.refresh_from_db()
    return action


@transaction.atomic
def planned_action_drop(*, action: PlannedAction, by) -> PlannedAction:
    plan, action = _locked_action(action)
    _check_officer(by, plan.territory)
    if action.state == PlannedAction.State.DROPPED:
        raise DomainError("already_dropped", _("« %(title)s » est déjà écartée.") % {"title": action.title})
    was_selected = action.state == PlannedAction.State.SELECTED
    PlannedAction.objects.filter(pk=action.pk).update(
        state=PlannedAction.State.DROPPED, priority=None, selected_at=None
    )
    if was_selected:
        _set_priorities(plan, _selected_ids(plan))
    action.refresh_from_db()
    return action


@transaction.atomic
def planned_action_restore(*, action: PlannedAction, by) -> PlannedAction:
    """A dropped action goes back to the shortlist."""
    plan, action = _locked_action(action)
    _check_officer(by, plan.territory)
    if action.state != PlannedAction.State.DROPPED:
        raise DomainError("not_dropped", _("« %(title)s » n'est pas écartée.") % {"title": action.title})
    action.state = PlannedAction.State.SHORTLISTED
    action.save(update_fields=["state", "updated_at"])
    return action


@transaction.atomic
def action_plan_reorder(*, plan: ActionPlan, by, ordered_ids: list[int]) -> list[PlannedAction]:
    """Give the selected actions priorities 1..n in the given order (all of them, each once)."""
    plan = _locked_plan(plan)
    _check_officer(by, plan.territory)
    ordered = list(ordered_ids)
    current = _selected_ids(plan)
    if len(ordered) != len(set(ordered)) or set(ordered) != set(current):
        raise DomainError(
            "invalid_order",
            _("L'ordre doit citer chaque action retenue du plan une et une seule fois."),
            fields={"ordered_ids": _("Liste incomplète ou incorrecte.")},
        )
    _set_priorities(plan, ordered)
    return list(PlannedAction.objects.filter(pk__in=ordered).order_by("priority"))


_ACTION_FIELDS = {
    "title",
    "description",
    "status",
    "owner_organization",
    "owner_person",
    "owner_name",
    "partner_organizations",
    "other_partners",
    "budget_eur",
    "funding",
    "start_date",
    "end_date",
}


def _check_organizations_active(
    action: PlannedAction, owner: Organization | None, partners: list[Organization] | None
) -> None:
    """A deactivated organization cannot become an action's owner or partner. One the action
    already names (deactivated since) may stay: the page sends every field back on each save."""
    errors = FieldErrors()
    if owner is not None and not owner.is_active and owner.pk != action.owner_organization_id:
        errors.add(
            "owner_organization",
            _("« %(name)s » n'est plus active sur MIAM : choisissez une organisation active pour piloter l'action.")
            % {"name": owner.name},
            "inactive_organization",
        )
    if partners:
        current = set(action.partner_organizations.values_list("pk", flat=True))
        inactive = [o.name for o in partners if not o.is_active and o.pk not in current]
        if inactive:
            errors.add(
                "partner_organizations",
                _("Ces organisations ne sont plus actives sur MIAM et ne peuvent pas être partenaires : %(names)s.")
                % {"names": ", ".join(f"« {name} »" for name in inactive)},
                "inactive_organization",
            )
    if errors:
        raise DomainError(
            errors.codes[0],
            _("Une organisation désactivée ne peut ni piloter une action ni en être partenaire."),
            fields=errors.fields,
        )


@transaction.atomic
def planned_action_update(*, action: PlannedAction, by, **changes) -> PlannedAction:
    """Follow-up of an action: description, owner, partners, budget, timeline, status."""
    plan, action = _locked_action(action)
    _check_officer(by, plan.territory)
    unknown = set(changes) - _ACTION_FIELDS
    if unknown:
        raise DomainError("invalid", _("Champs inconnus : %(f)s") % {"f": ", ".join(sorted(unknown))})
    partners = changes.pop("partner_organizations", None)
    if "title" in changes and not changes["title"]:
        raise DomainError("invalid", _("Le titre est obligatoire."), fields={"title": _("Le titre est obligatoire.")})
    _check_organizations_active(action, changes.get("owner_organization"), partners)
    for name, value in changes.items():
        setattr(action, name, value)
    if action.start_date and action.end_date and action.end_date < action.start_date:
        raise DomainError(
            "dates_out_of_order",
            _("La fin de l'action précède son début."),
            fields={"end_date": _("La date de fin doit suivre la date de début.")},
        )
    action.save()
    if partners is not None:
        action.partner_organizations.set(partners)
    return action


@transaction.atomic
def action_step_add(*, action: PlannedAction, by, title: str, due_date: date | None = None) -> ActionStep:
    _check_officer(by, action.plan.territory)
    if not title:
        raise DomainError("invalid", _("Décrivez l'étape."), fields={"title": _("Décrivez l'étape.")})
    position = (action.steps.aggregate(m=Max("position"))["m"] or 0) + 1
    return ActionStep.objects.create(action=action, title=title, due_date=due_date, position=position)


@transaction.atomic
def action_step_set_done(*, step: ActionStep, by, is_done: bool = True) -> ActionStep:
    _check_officer(by, step.action.plan.territory)
    step.is_done = bool(is_done)
    step.save(update_fields=["is_done"])
    return step


@transaction.atomic
def action_step_delete(*, step: ActionStep, by) -> None:
    _check_officer(by, step.action.plan.territory)
    step.delete()


@transaction.atomic
def action_indicator_add(
    *,
    action: PlannedAction,
    by,
    name: str,
    unit: str,
    target_value: Decimal | None = None,
    baseline_value: Decimal | None = None,
) -> ActionIndicator:
    """An evaluation indicator: its unit is required (kg, paniers, foyers, €…)."""
    _check_officer(by, action.plan.territory)
    if not name:
        raise DomainError("invalid", _("Nommez l'indicateur."), fields={"name": _("Le nom est obligatoire.")})
    if not unit:
        raise DomainError(
            "unit_required",
            _("Un indicateur doit avoir une unité (kg, paniers, foyers, €…)."),
            fields={"unit": _("L'unité est obligatoire.")},
        )
    if action.indicators.filter(name=name).exists():
        raise DomainError(
            "duplicate_indicator",
            _("Cette action a déjà un indicateur « %(name)s ».") % {"name": name},
            fields={"name": _("Nom déjà utilisé pour cette action.")},
        )
    position = (action.indicators.aggregate(m=Max("position"))["m"] or 0) + 1
    return ActionIndicator.objects.create(
        action=action,
        name=name,
        unit=unit,
        target_value=target_value,
        baseline_value=baseline_value,
        position=position,
    )


_PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*[-/ ]\s*(?:([TtQq])([1-4])|([Ss])([12])|(\d{1,2})))?\s*$")


def period_start(label: str) -> date | None:
    """« 2024 » → 1 Jan 2024; « 2024-T2 » → 1 Apr; « 2024-S2 » → 1 Jul; « 2024-03 » → 1 Mar."""
    match = _PERIOD_RE.match(label or "")
    if not match:
        return None
    year = int(match.group(1))
    if match.group(3):
        month = (int(match.group(3)) - 1) * 3 + 1
    elif match.group(5):
        month = 1 if match.group(5) == "1" else 7
    elif match.group(6):
        month = int(match.group(6))
        if not 1 <= month <= 12:
            return None
    else:
        month = 1
    return date(year, month, 1)


@transaction.atomic
def indicator_value_record(
    *,
    indicator: ActionIndicator,
    by,
    period_label: str,
    value: Decimal,
    period_date: date | None = None,
    note: str = "",
) -> IndicatorValue:
    """Record (or correct) the achieved value of an indicator for a period; never a future year."""
    _check_officer(by, indicator.action.plan.territory)
    label = period_label
    if not label:
        raise DomainError(
            "invalid", _("Indiquez la période (par ex. 2024 ou 2025-T1)."), fields={"period_label": _("Obligatoire.")}
        )
    if period_date is None:
        period_date = period_start(label)
        if period_date is None:
            raise DomainError(
                "invalid_period",
                _("Période « %(label)s » non reconnue : écrivez 2024, 2024-T2, 2024-S1 ou 2024-03, ou donnez une date.")
                % {"label": label},
                fields={"period_label": _("Format de période non reconnu.")},
            )
    if period_date.year > _this_year():
        raise _future_year_error("period_label", period_date.year)
    existing = IndicatorValue.objects.select_for_update().filter(indicator=indicator, period_label=label).first()
    if existing is None:
        return IndicatorValue.objects.create(
            indicator=indicator,
            period_label=label,
            period_date=period_date,
            value=value,
            note=note,
            recorded_by=_actor(by),
        )
    existing.value = value
    existing.period_date = period_date
    existing.note = note
    existing.recorded_by = _actor(by)
    existing.save()
    return existing


@transaction.atomic
def indicator_values_record(
    *, action: PlannedAction, by, period_label: str, values: dict[int, Decimal | None], period_date: date | None = None
) -> list[IndicatorValue]:
    """Record several indicators of one action for one period at once: all or nothing."""
    indicators = {i.pk: i for i in action.indicators.all()}
    saved = []
    for indicator_id, value in values.items():
        if value is None:
            continue
        indicator = indicators.get(indicator_id)
        if indicator is None:
            raise DomainError("invalid", _("Indicateur inconnu pour cette action."))
        saved.append(
            indicator_value_record(
                indicator=indicator, by=by, period_label=period_label, value=value, period_date=period_date
            )
        )
    return saved


def initiative_link_carrier(*, initiative: Initiative, organization: Organization | None, by) -> Initiative:
    """Link an initiative to its carrying organization on MIAM (staff only)."""
    from actors.permissions import is_staff
    from miam.errors import NotAllowed

    if not is_staff(by):
        raise NotAllowed()
    initiative.carrier_organization = organization
    initiative.save(update_fields=["carrier_organization", "updated_at"])
    return initiative
