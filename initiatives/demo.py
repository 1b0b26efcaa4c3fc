"""Demo data of the initiatives app: the real catalog, and the action plan of the PAT Cœur du Jura.

The plan follows the MIAM method (about six actions selected after collective meetings); its
indicators and values are illustrative. Everything goes through the services; running it twice
changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from actors.models import Organization, TerritoryRole, User
from initiatives import services
from initiatives.models import ActionPlan, Initiative, PlannedAction

# (initiative slug, selected?, owner organization name fragment, indicators [(name, unit, baseline, target,
# {period: value})])
JURA_PLAN = [
    (
        "ferme-germigney-boeuf-croix-rouge-arbois",
        True,
        "Croix-Rouge",
        [("Viande livrée à l'épicerie", "kg", 0, 600, {"2024": 180, "2025": 420})],
    ),
    ("solaal-glanages-solidaires", True, "", [("Journées de glanage", "journées", 0, 6, {"2024": 2, "2025": 4})]),
    (
        "gesmip-mutualisation-achats-ariege",
        True,
        "",
        [("Structures participant aux achats groupés", "structures", 0, 6, {"2024": 2, "2025": 4})],
    ),
    ("pat-gers-carte-alimentation-durable", True, "", [("Foyers bénéficiaires", "foyers", 0, 80, {"2025": 25})]),
    ("mil-perche-marche-interet-local", True, "", []),
    ("jardins-associatifs-dinan", True, "", [("Légumes produits", "kg", 0, 2000, {"2024": 350, "2025": 900})]),
    ("paniers-solidaires-enregado-ollioules", False, "", []),
    ("la-marmite-solidaire-pontarlier", False, "", []),
]


def seed(context: dict) -> str:
    report = services.initiatives_load()
    territories = {t.slug: t for t in context.get("territories", [])}
    jura = territories.get("coeur-du-jura")
    if jura is None:
        return f"Initiatives : {report.summary()}"
    officer = User.objects.filter(
        territory_roles__territory=jura, territory_roles__role=TerritoryRole.Role.OFFICER
    ).first()
    if officer is None:
        return f"Initiatives : {report.summary()}"
    germigney = Organization.objects.filter(name="Ferme de Germigney").first()
    initiative = Initiative.objects.filter(slug="ferme-germigney-boeuf-croix-rouge-arbois").first()
    if germigney and initiative and initiative.carrier_organization_id is None:
        admin = User.objects.filter(is_staff=True).order_by("id").first()
        if admin:
            services.initiative_link_carrier(initiative=initiative, organization=germigney, by=admin)
    if ActionPlan.objects.filter(territory=jura).exists():
        return f"Initiatives : {report.summary()} Plan d'action du Cœur du Jura déjà présent."
    plan = services.action_plan_get_or_create(territory=jura, by=officer)
    services.action_plan_update(
        plan=plan,
        by=officer,
        status=ActionPlan.Status.ADOPTED,
        description="Six actions retenues lors de la troisième réunion collective MIAM (démonstration).",
    )
    organizations = {o.name: o for o in Organization.objects.filter(commune__territories=jura)}
    for slug, selected, owner_hint, indicators in JURA_PLAN:
        initiative = Initiative.objects.filter(slug=slug).first()
        if initiative is None:
            continue
        action = services.planned_action_shortlist(plan=plan, by=officer, initiative=initiative)
        if not selected:
            continue
        services.planned_action_select(action=action, by=officer)
        owner = next((o for name, o in organizations.items() if owner_hint and owner_hint in name), None)
        services.planned_action_update(
            action=action,
            by=officer,
            status=PlannedAction.Status.IN_PROGRESS if indicators else PlannedAction.Status.NOT_STARTED,
            owner_organization=owner,
            start_date=date(2024, 9, 1),
            end_date=date(2026, 12, 31),
            budget_eur=Decimal("3000") if indicators else None,
        )
        services.action_step_add(action=action, by=officer, title="Réunir les partenaires concernés")
        step = services.action_step_add(action=action, by=officer, title="Organiser une première opération")
        if indicators:
            services.action_step_set_done(step=step, by=officer, is_done=True)
        for name, unit, baseline, target, values in indicators:
            indicator = services.action_indicator_add(
                action=action, by=officer, name=name, unit=unit, baseline_value=baseline, target_value=target
            )
            for period, value in values.items():
                services.indicator_value_record(indicator=indicator, by=officer, period_label=period, value=value)
    return f"Initiatives : {report.summary()} Plan d'action du Cœur du Jura créé."
