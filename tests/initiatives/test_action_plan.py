"""A territory's action plan: shortlist, select and prioritise, follow with indicators, export."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import ApiKey, TerritoryRole
from initiatives import selectors, services
from initiatives.models import ActionIndicator, ActionPlan, IndicatorValue, Initiative, PlannedAction
from miam import exports
from miam.errors import DomainError, NotAllowed
from tests.factories import (
    InitiativeFactory,
    OrganizationFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    make_member,
    make_officer,
)


def _build_plan(plan, officer, initiatives, *, select=6):
    actions = [services.planned_action_shortlist(plan=plan, by=officer, initiative=i) for i in initiatives]
    for action in actions[:select]:
        services.planned_action_select(action=action, by=officer)
    return actions


def test_a_plan_built_from_eight_shortlisted_initiatives_with_six_selected_exports_indicator_values(
    catalog, plan, officer
):
    initiatives = list(Initiative.objects.order_by("slug")[:8])
    actions = _build_plan(plan, officer, initiatives)
    structure = StructureFactory(name="Épicerie solidaire de Cluny")
    services.planned_action_update(
        action=actions[0],
        by=officer,
        owner_organization=structure,
        owner_name="Claire P.",
        budget_eur=Decimal("2500"),
        start_date=date(2024, 9, 1),
        end_date=date(2026, 6, 30),
        status="in_progress",
    )
    services.action_step_add(action=actions[0], by=officer, title="Signer la convention")
    indicators = [
        services.action_indicator_add(
            action=a, by=officer, name="Volume distribué", unit="kg", baseline_value=0, target_value=1000 + n
        )
        for n, a in enumerate(actions[:6])
    ]
    for n, indicator in enumerate(indicators):
        services.indicator_value_record(indicator=indicator, by=officer, period_label="2024", value=100 + n)
        services.indicator_value_record(indicator=indicator, by=officer, period_label="2025-S1", value=Decimal("250.5"))

    assert plan.actions.count() == 8
    selected = plan.actions.filter(state="selected").order_by("priority")
    assert list(selected.values_list("priority", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert IndicatorValue.objects.filter(indicator__action__plan=plan).count() == 12

    rows = _plan_rows(plan)
    assert len(rows) == 8  # six actions with one indicator each, two shortlisted without indicator
    by_title = {r["action"]: r for r in rows}
    first = by_title[actions[0].title]
    assert first["priorité"] == "1" and first["sélection"] == "retenue"
    assert first["structure pilote"] == "Épicerie solidaire de Cluny"
    assert first["budget (€)"] == "2500" and first["début"] == "01/09/2024" and first["étapes"] == "1"
    assert (first["indicateur"], first["unité"], first["cible"]) == ("Volume distribué", "kg", "1000")
    assert (first["2024"], first["2025-S1"]) == ("100", "250,5")
    assert by_title[actions[5].title]["2024"] == "105"
    assert by_title[actions[7].title]["sélection"] == "présélectionnée"
    assert "pilote" not in rows[0]  # the person in charge is private
    private = _plan_rows(plan, include_private=True)
    assert {r["pilote"] for r in private} >= {"Claire P."}


def _plan_rows(plan, **kwargs):
    data = exports.to_csv(selectors.action_plan_export(plan, **kwargs))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_an_indicator_without_unit_is_refused_and_nothing_is_written(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage d'automne")
    with pytest.raises(DomainError) as error:
        services.action_indicator_add(
            action=action, by=officer, name="Volume glané", unit=""
        )  # as the input gives « » trimmed
    assert error.value.code == "unit_required"
    assert "unit" in error.value.fields
    assert ActionIndicator.objects.count() == 0


def test_an_indicator_value_in_a_future_year_is_refused_and_nothing_is_written(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage d'automne")
    indicator = services.action_indicator_add(action=action, by=officer, name="Volume glané", unit="kg")
    next_year = timezone.localdate().year + 1
    with pytest.raises(DomainError) as error:
        services.indicator_value_record(indicator=indicator, by=officer, period_label=str(next_year), value=10)
    assert error.value.code == "future_year"
    assert str(next_year) in error.value.message
    with pytest.raises(DomainError):
        services.indicator_value_record(
            indicator=indicator, by=officer, period_label="bilan", period_date=date(next_year, 1, 2), value=10
        )
    assert IndicatorValue.objects.count() == 0


def test_several_values_of_one_period_are_all_or_nothing(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Paniers solidaires")
    a = services.action_indicator_add(action=action, by=officer, name="Paniers", unit="paniers")
    b = services.action_indicator_add(action=action, by=officer, name="Foyers", unit="foyers")
    with pytest.raises(DomainError, match="Indicateur inconnu"):
        services.indicator_values_record(
            action=action, by=officer, period_label="2024", values={a.pk: Decimal(10), b.pk: Decimal(4), 999_999: 1}
        )
    assert IndicatorValue.objects.count() == 0


def test_a_value_that_is_not_a_number_is_refused_next_to_its_indicator(plan, officer):
    from initiatives.forms import IndicatorValuesForm

    action = services.planned_action_shortlist(plan=plan, by=officer, title="Paniers solidaires")
    a = services.action_indicator_add(action=action, by=officer, name="Paniers", unit="paniers")
    b = services.action_indicator_add(action=action, by=officer, name="Foyers", unit="foyers")
    form = IndicatorValuesForm(
        {"period_label": "2024", f"indicator_{a.pk}": "10", f"indicator_{b.pk}": "x"}, indicators=[a, b]
    )
    assert not form.is_valid()
    assert list(form.errors) == [f"indicator_{b.pk}"]


def test_a_period_recorded_twice_is_corrected_not_duplicated(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Paniers solidaires")
    indicator = services.action_indicator_add(action=action, by=officer, name="Paniers", unit="paniers")
    services.indicator_value_record(indicator=indicator, by=officer, period_label="2024-T2", value=10)
    value = services.indicator_value_record(indicator=indicator, by=officer, period_label="2024-T2", value=12)
    assert IndicatorValue.objects.count() == 1
    assert value.value == 12 and value.period_date == date(2024, 4, 1)


def test_an_unreadable_period_is_explained(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Paniers solidaires")
    indicator = services.action_indicator_add(action=action, by=officer, name="Paniers", unit="paniers")
    with pytest.raises(DomainError) as error:
        services.indicator_value_record(indicator=indicator, by=officer, period_label="printemps", value=1)
    assert error.value.code == "invalid_period"


def test_a_shortlisted_initiative_selected_twice_is_refused_and_nothing_changes(geo, plan, officer):
    actions = _build_plan(plan, officer, InitiativeFactory.create_batch(3), select=2)
    before = list(PlannedAction.objects.order_by("id").values_list("state", "priority", "selected_at"))
    with pytest.raises(DomainError) as error:
        services.planned_action_select(action=actions[1], by=officer)
    assert error.value.code == "already_selected"
    assert "déjà retenue" in error.value.message
    assert list(PlannedAction.objects.order_by("id").values_list("state", "priority", "selected_at")) == before


def test_an_initiative_shortlisted_twice_on_the_same_plan_is_refused(geo, plan, officer):
    initiative = InitiativeFactory()
    services.planned_action_shortlist(plan=plan, by=officer, initiative=initiative)
    with pytest.raises(DomainError) as error:
        services.planned_action_shortlist(plan=plan, by=officer, initiative=initiative)
    assert error.value.code == "already_on_plan"
    assert PlannedAction.objects.count() == 1


def test_an_action_from_elsewhere_needs_a_title(plan, officer):
    with pytest.raises(DomainError) as error:
        services.planned_action_shortlist(plan=plan, by=officer, title="")  # a page's « » trimmed
    assert error.value.code == "title_required"
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Cuisine mobile au marché")
    assert action.initiative is None and action.state == "shortlisted"


def test_selecting_at_a_priority_shifts_the_others_and_unselecting_closes_the_gap(geo, plan, officer):
    a, b, c, d = _build_plan(plan, officer, InitiativeFactory.create_batch(4), select=3)
    services.planned_action_select(action=d, by=officer, priority=1)
    order = lambda: list(plan.actions.filter(state="selected").order_by("priority").values_list("id", "priority"))  # noqa: E731
    assert order() == [(d.pk, 1), (a.pk, 2), (b.pk, 3), (c.pk, 4)]
    services.planned_action_unselect(action=a, by=officer)
    assert order() == [(d.pk, 1), (b.pk, 2), (c.pk, 3)]
    services.planned_action_drop(action=b, by=officer)
    assert order() == [(d.pk, 1), (c.pk, 2)]
    with pytest.raises(DomainError):
        services.planned_action_select(action=b, by=officer)
    services.planned_action_restore(action=b, by=officer)
    services.planned_action_select(action=b, by=officer)
    assert order() == [(d.pk, 1), (c.pk, 2), (b.pk, 3)]


def test_reordering_needs_every_selected_action_once(geo, plan, officer):
    a, b, c = _build_plan(plan, officer, InitiativeFactory.create_batch(3), select=3)
    services.action_plan_reorder(plan=plan, by=officer, ordered_ids=[c.pk, a.pk, b.pk])
    assert list(plan.actions.order_by("priority").values_list("id", flat=True)) == [c.pk, a.pk, b.pk]
    for bad in ([c.pk, a.pk], [c.pk, a.pk, a.pk], [c.pk, a.pk, b.pk, 999]):
        with pytest.raises(DomainError) as error:
            services.action_plan_reorder(plan=plan, by=officer, ordered_ids=bad)
        assert error.value.code == "invalid_order"
    assert list(plan.actions.order_by("priority").values_list("id", flat=True)) == [c.pk, a.pk, b.pk]


def test_dates_out_of_order_are_refused(plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Atelier de transformation")
    with pytest.raises(DomainError) as error:
        services.planned_action_update(
            action=action, by=officer, start_date=date(2025, 5, 1), end_date=date(2025, 1, 1)
        )
    assert error.value.code == "dates_out_of_order"
    action.refresh_from_db()
    assert action.start_date is None


def test_one_plan_per_territory(territory, officer, plan):
    assert services.action_plan_get_or_create(territory=territory, by=officer) == plan
    assert ActionPlan.objects.count() == 1


# --- Permissions per role ------------------------------------------------------------


def _principals(territory):
    other = TerritoryFactory(epci_codes=["200071595"])
    viewer = UserFactory()
    TerritoryRole.objects.create(user=viewer, territory=territory, role=TerritoryRole.Role.VIEWER)
    elected = UserFactory()
    TerritoryRole.objects.create(user=elected, territory=territory, role=TerritoryRole.Role.ELECTED)
    farm_member = make_member(OrganizationFactory(kind="farm"))
    read_only_key = ApiKey.objects.create(name="lecture", prefix="ro000001", key_hash="h1", territory=territory)
    from actors.permissions import ApiKeyPrincipal

    return {
        "anonymous": None,
        "viewer": viewer,
        "elected": elected,
        "farm member": farm_member,
        "officer of another territory": make_officer(other),
        "read-only API key": ApiKeyPrincipal(read_only_key),
    }


def test_only_the_territory_officers_staff_and_write_keys_manage_the_plan(geo, territory, plan, officer):
    from django.contrib.auth.models import AnonymousUser

    from actors.permissions import ApiKeyPrincipal

    initiative = InitiativeFactory()
    for role, principal in _principals(territory).items():
        principal = principal or AnonymousUser()
        with pytest.raises(NotAllowed):
            services.planned_action_shortlist(plan=plan, by=principal, initiative=initiative)
        assert PlannedAction.objects.count() == 0, role
    staff = UserFactory(is_staff=True)
    services.planned_action_shortlist(plan=plan, by=staff, initiative=initiative)
    key = ApiKey.objects.create(name="écriture", prefix="rw000001", key_hash="h2", territory=territory, can_write=True)
    services.planned_action_shortlist(plan=plan, by=ApiKeyPrincipal(key), title="Action d'une app partenaire")
    assert PlannedAction.objects.count() == 2


def test_a_non_officer_cannot_record_indicator_values(geo, territory, plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")
    indicator = services.action_indicator_add(action=action, by=officer, name="Volume", unit="kg")
    outsider = make_officer(TerritoryFactory(epci_codes=["200071595"]))
    with pytest.raises(NotAllowed):
        services.indicator_value_record(indicator=indicator, by=outsider, period_label="2024", value=5)
    with pytest.raises(NotAllowed):
        services.planned_action_select(action=action, by=outsider)
    assert IndicatorValue.objects.count() == 0


def test_only_an_officer_creates_the_plan(geo):
    territory = TerritoryFactory()
    with pytest.raises(NotAllowed):
        services.action_plan_get_or_create(territory=territory, by=UserFactory())
    assert ActionPlan.objects.count() == 0
