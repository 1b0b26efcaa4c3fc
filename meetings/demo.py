"""Demo meetings: for each pilot PAT, the MIAM method's diagnostic interviews and three
collective meetings (2024), then an upcoming steering committee. Deterministic, idempotent,
and written through the services so demo data obeys the same rules as real data.

The texts are written for the demo; they follow the method described in the MIAM booklet
(« Livret méthodologique MIAM, phase 1 (2023-2024) ») without quoting it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from actors.models import Organization, Territory, TerritoryRole
from meetings.models import DiagnosticInterview, Meeting
from meetings.services import actions as action_services
from meetings.services import interviews as interview_services
from meetings.services import meetings as meeting_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services

PARIS = ZoneInfo("Europe/Paris")

# (title, kind, month, day, hour, capacity, agenda, minutes, decisions)
MIAM_MEETINGS = [
    (
        "Réunion collective 1 : se connaître et partager ses contraintes",
        Meeting.Kind.COLLECTIVE,
        3,
        14,
        14,
        30,
        "- Tour de table : qui fait quoi sur le territoire\n- Contraintes des fermes, contraintes des structures\n"
        "- Premiers enseignements du diagnostic",
        "## Tour de table\nFermes et structures d'aide alimentaire se sont présentées.\n\n"
        "## Contraintes partagées\n- côté fermes : temps, main-d'œuvre pour récolter, prix juste\n"
        "- côté structures : bénévoles, stockage au froid, budget\n",
        ["Partager la liste des producteurs et de leurs points de vente."],
    ),
    (
        "Réunion collective 2 : repérer les actions et faire émerger des idées",
        Meeting.Kind.WORKSHOP,
        5,
        23,
        14,
        30,
        "- Ce qui existe déjà sur le territoire\n- Les fiches initiatives inspirantes\n- Idées nouvelles, par petits groupes",
        "## Actions existantes\nDes ventes à prix solidaire existent déjà entre quelques fermes et épiceries.\n\n"
        "## Idées retenues pour la suite\n- glanage avec les bénévoles\n- achats groupés entre structures\n"
        "- paniers solidaires\n",
        ["Préparer une courte liste d'actions à soumettre à la réunion 3."],
    ),
    (
        "Réunion collective 3 : choisir les actions",
        Meeting.Kind.COLLECTIVE,
        9,
        19,
        14,
        30,
        "- Présentation des actions présélectionnées\n- Choix et priorités\n- Qui porte quoi",
        "## Choix des actions\nLe groupe a retenu les actions prioritaires du plan d'action.\n\n"
        "## Suites\nChaque action a un porteur et une échéance.\n",
        [
            "Organiser une première journée de glanage avec les bénévoles des structures.",
            "Tester des achats groupés de produits frais entre deux structures.",
        ],
    ),
]

INTERVIEW_ANSWERS = {
    Organization.Kind.FARM: (
        "Quelques contacts avec l'épicerie solidaire la plus proche, surtout par le bouche-à-oreille.",
        "Prête à proposer des légumes déclassés à prix solidaire si la logistique est simple.",
        "Vente directe à la ferme et sur le marché hebdomadaire.",
        "Un prix juste, peu de temps à consacrer à la logistique, des volumes prévisibles.",
    ),
    Organization.Kind.FOOD_AID: (
        "Peu de liens directs avec les fermes ; l'essentiel vient de la banque alimentaire.",
        "Des bénévoles pourraient participer à des journées de glanage.",
        "Distribution deux fois par semaine ; atelier cuisine ponctuel.",
        "Plus de produits frais, une chambre froide, des bénévoles pour la collecte.",
    ),
}


def _officer(territory: Territory):
    role = TerritoryRole.objects.filter(territory=territory, role=TerritoryRole.Role.OFFICER).select_related("user")
    role = role.order_by("id").first()
    return role.user if role else None


def _local(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=PARIS)


def _planned_actions(territory: Territory) -> list:
    try:
        from initiatives.models import PlannedAction
    except ImportError:  # pragma: no cover
        return []
    return list(PlannedAction.objects.filter(plan__territory=territory).select_related("plan").order_by("id")[:6])


def _seed_territory(territory: Territory, officer, index: int) -> tuple[int, int]:
    rng = random.Random(f"miam-meetings-{territory.slug}")  # noqa: S311 - demo data
    orgs = list(
        Organization.objects.filter(commune__territories=territory, is_active=True)
        .exclude(kind=Organization.Kind.COLLECTIVITE)
        .order_by("name", "id")
    )
    farms = [o for o in orgs if o.kind == Organization.Kind.FARM]
    structures = [o for o in orgs if o.kind == Organization.Kind.FOOD_AID]
    if not farms or not structures:
        return 0, 0
    created = 0
    # Diagnostic interviews (winter 2024): most structures and at least five farms.
    if not DiagnosticInterview.objects.filter(territory=territory).exists():
        interviewed = rng.sample(farms, min(5, len(farms))) + structures[:5]
        for n, org in enumerate(interviewed):
            answers = INTERVIEW_ANSWERS.get(org.kind, INTERVIEW_ANSWERS[Organization.Kind.FARM])
            interview_services.interview_create(
                by=officer,
                territory=territory,
                organization=org,
                held_on=date(2024, 1, 15) + timedelta(days=3 * n + index),
                links_other_world=answers[0],
                possible_commitment=answers[1],
                current_actions=answers[2],
                needs_expectations=answers[3],
            )
    plan_actions = _planned_actions(territory)
    host_candidates = farms[:1] + structures[:1]
    for n, (title, kind, month, day, hour, capacity, agenda, minutes, decisions) in enumerate(MIAM_MEETINGS):
        if Meeting.objects.filter(territory=territory, title=title).exists():
            continue
        starts = _local(2024, month, day + index, hour)
        meeting = meeting_services.meeting_create(
            by=officer,
            territory=territory,
            title=title,
            kind=kind,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            host_organization=host_candidates[n % len(host_candidates)],
            capacity=capacity,
            agenda=agenda,
            visibility=Meeting.Visibility.TERRITORY,
        )
        created += 1
        participants = rng.sample(farms, min(len(farms), 6)) + rng.sample(structures, min(len(structures), 5))
        regs = [
            registration_services.registration_create(by=officer, meeting=meeting, organization=o) for o in participants
        ]
        regs.append(
            registration_services.registration_create(
                by=officer, meeting=meeting, guest_name="Habitante du comité citoyen", guest_consent=True
            )
        )
        present = [r.pk for r in regs if rng.random() < 0.8]
        registration_services.attendance_set(by=officer, meeting=meeting, present_ids=present)
        minutes_services.minutes_save(by=officer, meeting=meeting, body=minutes, is_published=True)
        made = []
        for k, text in enumerate(decisions):
            planned = plan_actions[k] if n == 2 and k < len(plan_actions) else None
            made.append(
                minutes_services.decision_create(by=officer, meeting=meeting, text=text, planned_action=planned)
            )
        if n == 2 and plan_actions:
            meeting_services.meeting_discussed_actions_set(by=officer, meeting=meeting, planned_actions=plan_actions)
        if n == 2:
            action_services.action_create(
                by=officer,
                meeting=meeting,
                title="Recenser les parcelles et les dates possibles de glanage",
                owner_organization=farms[0],
                due_date=date(2024, 11, 30),
                decision=made[0],
                status="done",
            )
            action_services.action_create(
                by=officer,
                meeting=meeting,
                title="Vérifier l'assurance des bénévoles pour le glanage",
                owner_organization=structures[0],
                due_date=date(2025, 1, 31),
                decision=made[0],
            )
            action_services.action_create(
                by=officer,
                meeting=meeting,
                title="Comparer les besoins en frais de deux structures",
                owner_user=officer,
                due_date=timezone.localdate() + timedelta(days=30),
                decision=made[-1],
                status="doing",
            )
    title = "Comité de pilotage (COPIL) — bilan annuel"
    if not Meeting.objects.filter(territory=territory, title=title).exists():
        today = timezone.localdate()
        day = today + timedelta(days=21 + 2 * index)
        starts = _local(day.year, day.month, day.day, 10)
        copil = meeting_services.meeting_create(
            by=officer,
            territory=territory,
            title=title,
            kind=Meeting.Kind.STEERING_COMMITTEE,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            online_url="https://visio.example.org/copil-" + territory.slug,
            agenda="- Bilan des actions\n- Financements\n- Calendrier de l'année",
            visibility=Meeting.Visibility.INVITED,
        )
        created += 1
        for org in structures[:2] + farms[:2]:
            registration_services.registration_create(by=officer, meeting=copil, organization=org)
    return created, len(orgs)


@transaction.atomic
def seed(context: dict) -> str:
    total = 0
    for index, territory in enumerate(context.get("territories", [])):
        officer = _officer(territory)
        if officer is None:
            continue
        created, _orgs = _seed_territory(territory, officer, index)
        total += created
    return (
        f"Réunions : {total} créées ({Meeting.objects.count()} au total), "
        f"{DiagnosticInterview.objects.count()} entretiens de diagnostic."
    )
