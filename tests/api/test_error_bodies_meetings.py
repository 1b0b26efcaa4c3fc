"""The meetings' and action plans' bad inputs answer the same error body, byte for byte.

The same mechanism as ``test_error_bodies.py`` (and the same golden file, ``error_bodies.json``,
whose keys here start with ``meeting``, ``registration``, ``invite``, ``attendance``,
``decision``, ``action``, ``interview`` or ``plan``). Rewrite on purpose only:
``MIAM_WRITE_ERROR_BODIES=1 pytest tests/api/test_error_bodies_meetings.py``, then review the diff.
Dates are relative to now, and no expected message contains one (nor a generated name).
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.utils import timezone

from initiatives.models import ActionIndicator, ActionPlan, ActionStep, IndicatorValue, PlannedAction
from meetings.models import Action, ActionNote, Decision, DiagnosticInterview, Meeting, MeetingInvitation, Registration
from tests.api.test_error_bodies import GOLDEN, body_of
from tests.factories import (
    ActionPlanFactory,
    FarmFactory,
    InitiativeFactory,
    MeetingFactory,
    OrganizationFactory,
    StructureFactory,
    TerritoryFactory,
    commune,
    make_member,
    make_officer,
)

NOW = timezone.now()


def _at(days: int, hour: int = 14) -> str:
    return (NOW + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def _meeting(w, **overrides) -> dict:
    payload = {"territory": "clunisois", "title": "Se connaître", "starts_at": _at(5, 14), "ends_at": _at(5, 17)}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _action(w, **overrides) -> dict:
    payload = {"meeting": w["meeting"], "title": "Livrer les cagettes", "owner_organization": w["farm"]}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def _interview(w, **overrides) -> dict:
    payload = {
        "territory": "clunisois",
        "organization": w["farm"],
        "held_on": (NOW.date() - dt.timedelta(days=1)).isoformat(),
        "links_other_world": "Oui, avec l'épicerie.",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


M = "/api/v1/meetings/"
R = "/api/v1/meeting-registrations/"
D = "/api/v1/meeting-decisions/"
A = "/api/v1/meeting-actions/"
I = "/api/v1/diagnostic-interviews/"  # noqa: E741
P = "/api/v1/planned-actions/"

# (case, who acts, method, path, payload builder, format), as in test_error_bodies.CASES
CASES = [
    # --- meetings ---
    ("meeting ends before it starts", "officer", "post", M, lambda w: _meeting(w, ends_at=_at(5, 12)), "json"),
    ("meeting ends when it starts", "officer", "post", M, lambda w: _meeting(w, ends_at=_at(5, 14)), "json"),
    ("meeting title missing", "officer", "post", M, lambda w: _meeting(w, title=...), "json"),
    ("meeting title blank", "officer", "post", M, lambda w: _meeting(w, title="   "), "json"),
    ("meeting title too long", "officer", "post", M, lambda w: _meeting(w, title="T" * 201), "json"),
    ("meeting title an object", "officer", "post", M, lambda w: _meeting(w, title={"fr": "Réunion"}), "json"),
    ("meeting start not a datetime", "officer", "post", M, lambda w: _meeting(w, starts_at="demain"), "json"),
    ("meeting start a number", "officer", "post", M, lambda w: _meeting(w, starts_at=20261201), "json"),
    ("meeting start missing", "officer", "post", M, lambda w: _meeting(w, starts_at=...), "json"),
    ("meeting unknown kind", "officer", "post", M, lambda w: _meeting(w, kind="party"), "json"),
    ("meeting unknown visibility", "officer", "post", M, lambda w: _meeting(w, visibility="secret"), "json"),
    ("meeting capacity zero", "officer", "post", M, lambda w: _meeting(w, capacity=0), "json"),
    ("meeting capacity negative", "officer", "post", M, lambda w: _meeting(w, capacity=-3), "json"),
    ("meeting capacity not a number", "officer", "post", M, lambda w: _meeting(w, capacity="beaucoup"), "json"),
    ("meeting unknown territory", "officer", "post", M, lambda w: _meeting(w, territory="atlantide"), "json"),
    ("meeting unknown commune", "officer", "post", M, lambda w: _meeting(w, commune="00000"), "json"),
    ("meeting unknown host", "officer", "post", M, lambda w: _meeting(w, host_organization=999_999), "json"),
    ("meeting host not an id", "officer", "post", M, lambda w: _meeting(w, host_organization="ferme"), "json"),
    ("meeting bad online url", "officer", "post", M, lambda w: _meeting(w, online_url="pas une url"), "json"),
    ("meeting unknown organizer", "officer", "post", M, lambda w: _meeting(w, organizers=[999_999]), "json"),
    ("meeting organizers not a list", "officer", "post", M, lambda w: _meeting(w, organizers=5), "json"),
    ("meeting everything missing", "officer", "post", M, lambda w: {}, "json"),
    ("meeting by a farmer", "farmer", "post", M, lambda w: _meeting(w), "json"),
    (
        "meeting discussed actions of another plan",
        "officer",
        "post",
        M,
        lambda w: _meeting(w, discussed_actions=[w["foreign_planned"]]),
        "json",
    ),
    (
        "meeting update ends before it starts",
        "officer",
        "patch",
        M + "{meeting}/",
        lambda w: {"ends_at": _at(1)},
        "json",
    ),
    ("meeting update unknown kind", "officer", "patch", M + "{meeting}/", lambda w: {"kind": "party"}, "json"),
    ("meeting update capacity zero", "officer", "patch", M + "{meeting}/", lambda w: {"capacity": 0}, "json"),
    ("meeting update blank title", "officer", "patch", M + "{meeting}/", lambda w: {"title": ""}, "json"),
    ("meeting update by a farmer", "farmer", "patch", M + "{meeting}/", lambda w: {"title": "Autre"}, "json"),
    ("meeting cancel twice", "officer", "post", M + "{cancelled}/cancel/", lambda w: {}, "json"),
    # --- registrations ---
    ("registration unknown answer", "farmer", "post", M + "{meeting}/register/", lambda w: {"answer": "si"}, "json"),
    (
        "registration guest without consent",
        "officer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"guest_name": "Paul Martin"},
        "json",
    ),
    (
        "registration guest bad email",
        "officer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"guest_name": "Paul Martin", "guest_consent": True, "guest_email": "paul-at-example"},
        "json",
    ),
    (
        "registration guest name too long",
        "officer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"guest_name": "P" * 151, "guest_consent": True},
        "json",
    ),
    (
        "registration consent not a boolean",
        "officer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"guest_name": "Paul Martin", "guest_consent": "peut-être"},
        "json",
    ),
    (
        "registration note too long",
        "farmer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"note": "n" * 501},
        "json",
    ),
    (
        "registration unknown organization",
        "farmer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"organization": 999_999},
        "json",
    ),
    (
        "registration of someone else's organization",
        "farmer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"organization": w["structure"]},
        "json",
    ),
    (
        "registration walk-in by a farmer",
        "farmer",
        "post",
        M + "{meeting}/register/",
        lambda w: {"walk_in": True},
        "json",
    ),
    ("registration twice", "farmer", "post", M + "{meeting}/register/", lambda w: {"organization": w["farm"]}, "json"),
    (
        "registration cancelled meeting",
        "farmer",
        "post",
        M + "{cancelled}/register/",
        lambda w: {"organization": w["farm"]},
        "json",
    ),
    ("registration create unknown meeting", "farmer", "post", R, lambda w: {"meeting": 999_999}, "json"),
    ("registration create meeting not a number", "farmer", "post", R, lambda w: {"meeting": "x"}, "json"),
    ("registration create meeting missing", "farmer", "post", R, lambda w: {}, "json"),
    (
        "registration update unknown answer",
        "farmer",
        "patch",
        R + "{registration}/",
        lambda w: {"answer": "si"},
        "json",
    ),
    (
        "registration update note too long",
        "farmer",
        "patch",
        R + "{registration}/",
        lambda w: {"note": "n" * 501},
        "json",
    ),
    (
        "registration update by someone else",
        "volunteer",
        "patch",
        R + "{registration}/",
        lambda w: {"answer": "no"},
        "json",
    ),
    (
        "registration attendance not a boolean",
        "officer",
        "post",
        R + "{registration}/attendance/",
        lambda w: {"attended": "oui"},
        "json",
    ),
    # --- invitations ---
    (
        "invite bad email",
        "officer",
        "post",
        M + "{meeting}/invite/",
        lambda w: {"emails": ["ok@example.org", "pas-une-adresse"]},
        "json",
    ),
    ("invite email too long", "officer", "post", M + "{meeting}/invite/", lambda w: {"emails": ["a" * 255]}, "json"),
    ("invite emails not a list", "officer", "post", M + "{meeting}/invite/", lambda w: {"emails": "a@b.fr"}, "json"),
    (
        "invite unknown organization",
        "officer",
        "post",
        M + "{meeting}/invite/",
        lambda w: {"organizations": [999_999]},
        "json",
    ),
    (
        "invite organization outside the territory",
        "officer",
        "post",
        M + "{meeting}/invite/",
        lambda w: {"organizations": [w["outsider"]]},
        "json",
    ),
    ("invite by a farmer", "farmer", "post", M + "{meeting}/invite/", lambda w: {"emails": ["a@b.fr"]}, "json"),
    # --- attendance ---
    ("attendance missing", "officer", "post", M + "{today}/attendance/", lambda w: {}, "json"),
    ("attendance not a list", "officer", "post", M + "{today}/attendance/", lambda w: {"present": 3}, "json"),
    (
        "attendance not numbers",
        "officer",
        "post",
        M + "{today}/attendance/",
        lambda w: {"present": ["un"]},
        "json",
    ),
    (
        "attendance unknown registrations",
        "officer",
        "post",
        M + "{today}/attendance/",
        lambda w: {"present": [999_998, 999_999]},
        "json",
    ),
    # --- minutes and decisions ---
    (
        "minutes published not a boolean",
        "officer",
        "put",
        M + "{meeting}/minutes/",
        lambda w: {"body": "CR", "is_published": "bientôt"},
        "json",
    ),
    ("minutes body an object", "officer", "put", M + "{meeting}/minutes/", lambda w: {"body": {"a": 1}}, "json"),
    ("decision blank text", "officer", "post", D, lambda w: {"meeting": w["meeting"], "text": "  "}, "json"),
    ("decision text missing", "officer", "post", D, lambda w: {"meeting": w["meeting"]}, "json"),
    ("decision unknown meeting", "officer", "post", D, lambda w: {"meeting": 999_999, "text": "Oui"}, "json"),
    (
        "decision planned action of another plan",
        "officer",
        "post",
        D,
        lambda w: {"meeting": w["meeting"], "text": "Oui", "planned_action": w["foreign_planned"]},
        "json",
    ),
    (
        "decision unknown initiative",
        "officer",
        "post",
        D,
        lambda w: {"meeting": w["meeting"], "text": "Oui", "initiative": 999_999},
        "json",
    ),
    ("decision by a farmer", "farmer", "post", D, lambda w: {"meeting": w["meeting"], "text": "Oui"}, "json"),
    ("decision update blank text", "officer", "patch", D + "{decision}/", lambda w: {"text": ""}, "json"),
    # --- follow-up actions ---
    ("action blank title", "officer", "post", A, lambda w: _action(w, title="  "), "json"),
    ("action title too long", "officer", "post", A, lambda w: _action(w, title="T" * 301), "json"),
    ("action without owner", "officer", "post", A, lambda w: _action(w, owner_organization=...), "json"),
    ("action with two owners", "officer", "post", A, lambda w: _action(w, owner_user=w["farmer_id"]), "json"),
    ("action owner outside", "officer", "post", A, lambda w: _action(w, owner_organization=w["outsider"]), "json"),
    ("action unknown status", "officer", "post", A, lambda w: _action(w, status="later"), "json"),
    ("action due date not a date", "officer", "post", A, lambda w: _action(w, due_date="lundi"), "json"),
    ("action due date a number", "officer", "post", A, lambda w: _action(w, due_date=20261201), "json"),
    (
        "action decision of another meeting",
        "officer",
        "post",
        A,
        lambda w: _action(w, decision=w["other_decision"]),
        "json",
    ),
    ("action unknown meeting", "officer", "post", A, lambda w: _action(w, meeting=999_999), "json"),
    ("action update unknown status", "officer", "patch", A + "{action}/", lambda w: {"status": "later"}, "json"),
    ("action update blank title", "officer", "patch", A + "{action}/", lambda w: {"title": ""}, "json"),
    ("action update owner title", "farmer", "patch", A + "{action}/", lambda w: {"title": "Autre"}, "json"),
    ("action note blank", "farmer", "post", A + "{action}/notes/", lambda w: {"text": " "}, "json"),
    ("action note missing", "farmer", "post", A + "{action}/notes/", lambda w: {}, "json"),
    (
        "action note unknown status",
        "farmer",
        "post",
        A + "{action}/notes/",
        lambda w: {"text": "Fait", "status": "later"},
        "json",
    ),
    # --- diagnostic interviews ---
    (
        "interview no answer",
        "officer",
        "post",
        I,
        lambda w: _interview(w, links_other_world=...),
        "json",
    ),
    ("interview date not a date", "officer", "post", I, lambda w: _interview(w, held_on="hier"), "json"),
    ("interview date missing", "officer", "post", I, lambda w: _interview(w, held_on=...), "json"),
    ("interview unknown organization", "officer", "post", I, lambda w: _interview(w, organization=999_999), "json"),
    ("interview outside", "officer", "post", I, lambda w: _interview(w, organization=w["outsider"]), "json"),
    ("interview unknown territory", "officer", "post", I, lambda w: _interview(w, territory="atlantide"), "json"),
    ("interview by a farmer", "farmer", "post", I, lambda w: _interview(w), "json"),
    (
        "interview update emptied",
        "officer",
        "patch",
        I + "{interview}/",
        lambda w: {"links_other_world": ""},
        "json",
    ),
    # --- action plans ---
    ("plan unknown territory", "officer", "post", "/api/v1/action-plans/", lambda w: {"territory": "x"}, "json"),
    ("plan by a farmer", "farmer", "post", "/api/v1/action-plans/", lambda w: {"territory": "pat-c"}, "json"),
    (
        "plan update unknown status",
        "officer",
        "patch",
        "/api/v1/action-plans/{plan}/",
        lambda w: {"status": "x"},
        "json",
    ),
    ("plan update blank title", "officer", "patch", "/api/v1/action-plans/{plan}/", lambda w: {"title": " "}, "json"),
    (
        "plan update title too long",
        "officer",
        "patch",
        "/api/v1/action-plans/{plan}/",
        lambda w: {"title": "T" * 201},
        "json",
    ),
    ("plan action without title", "officer", "post", P, lambda w: {"plan": w["plan"]}, "json"),
    ("plan action unknown initiative", "officer", "post", P, lambda w: {"plan": w["plan"], "initiative": "x"}, "json"),
    ("plan action unknown plan", "officer", "post", P, lambda w: {"plan": 999_999, "title": "Glaner"}, "json"),
    (
        "plan action already on the plan",
        "officer",
        "post",
        P,
        lambda w: {"plan": w["plan"], "initiative": w["initiative"]},
        "json",
    ),
    ("plan action title too long", "officer", "post", P, lambda w: {"plan": w["plan"], "title": "T" * 301}, "json"),
    ("plan action negative budget", "officer", "patch", P + "{planned}/", lambda w: {"budget_eur": "-5"}, "json"),
    ("plan action budget not a number", "officer", "patch", P + "{planned}/", lambda w: {"budget_eur": "cher"}, "json"),
    ("plan action budget too big", "officer", "patch", P + "{planned}/", lambda w: {"budget_eur": "1e15"}, "json"),
    (
        "plan action ends before it starts",
        "officer",
        "patch",
        P + "{planned}/",
        lambda w: {"start_date": "2026-05-01", "end_date": "2026-04-01"},
        "json",
    ),
    ("plan action unknown status", "officer", "patch", P + "{planned}/", lambda w: {"status": "x"}, "json"),
    ("plan action date not a date", "officer", "patch", P + "{planned}/", lambda w: {"start_date": "mai"}, "json"),
    ("plan action blank title", "officer", "patch", P + "{planned}/", lambda w: {"title": ""}, "json"),
    (
        "plan action unknown partner",
        "officer",
        "patch",
        P + "{planned}/",
        lambda w: {"partner_organizations": [999_999]},
        "json",
    ),
    ("plan action update by a farmer", "farmer", "patch", P + "{planned}/", lambda w: {"title": "X"}, "json"),
    ("plan select priority too far", "officer", "post", P + "{planned}/select/", lambda w: {"priority": 9}, "json"),
    ("plan select priority zero", "officer", "post", P + "{planned}/select/", lambda w: {"priority": 0}, "json"),
    (
        "plan select priority not a number",
        "officer",
        "post",
        P + "{planned}/select/",
        lambda w: {"priority": "a"},
        "json",
    ),
    ("plan select twice", "officer", "post", P + "{selected}/select/", lambda w: {}, "json"),
    ("plan unselect not selected", "officer", "post", P + "{planned}/unselect/", lambda w: {}, "json"),
    (
        "plan reorder incomplete",
        "officer",
        "post",
        "/api/v1/action-plans/{plan}/reorder/",
        lambda w: {"ordered_ids": []},
        "json",
    ),
    (
        "plan reorder not numbers",
        "officer",
        "post",
        "/api/v1/action-plans/{plan}/reorder/",
        lambda w: {"ordered_ids": ["a"]},
        "json",
    ),
    ("plan step title missing", "officer", "post", P + "{planned}/steps/", lambda w: {}, "json"),
    ("plan step blank title", "officer", "post", P + "{planned}/steps/", lambda w: {"title": "  "}, "json"),
    (
        "plan step due date not a date",
        "officer",
        "post",
        P + "{planned}/steps/",
        lambda w: {"title": "Appeler", "due_date": "jeudi"},
        "json",
    ),
    (
        "plan indicator without unit",
        "officer",
        "post",
        "/api/v1/action-indicators/",
        lambda w: {"action": w["planned"], "name": "Kilos glanés"},
        "json",
    ),
    (
        "plan indicator without name",
        "officer",
        "post",
        "/api/v1/action-indicators/",
        lambda w: {"action": w["planned"], "unit": "kg"},
        "json",
    ),
    (
        "plan indicator twice",
        "officer",
        "post",
        "/api/v1/action-indicators/",
        lambda w: {"action": w["planned"], "name": "Kilos", "unit": "kg"},
        "json",
    ),
    (
        "plan indicator target not a number",
        "officer",
        "post",
        "/api/v1/action-indicators/",
        lambda w: {"action": w["planned"], "name": "Paniers", "unit": "paniers", "target_value": "beaucoup"},
        "json",
    ),
    (
        "plan value unknown period",
        "officer",
        "post",
        "/api/v1/indicator-values/",
        lambda w: {"indicator": w["indicator"], "period_label": "printemps", "value": "3"},
        "json",
    ),
    (
        "plan value future year",
        "officer",
        "post",
        "/api/v1/indicator-values/",
        lambda w: {"indicator": w["indicator"], "period_label": "2999", "value": "3"},
        "json",
    ),
    (
        "plan value not a number",
        "officer",
        "post",
        "/api/v1/indicator-values/",
        lambda w: {"indicator": w["indicator"], "period_label": "2024", "value": "trois"},
        "json",
    ),
    (
        "plan value missing",
        "officer",
        "post",
        "/api/v1/indicator-values/",
        lambda w: {"indicator": w["indicator"], "period_label": "2024"},
        "json",
    ),
    (
        "plan value blank period",
        "officer",
        "post",
        "/api/v1/indicator-values/",
        lambda w: {"indicator": w["indicator"], "period_label": " ", "value": "3"},
        "json",
    ),
]


def _world() -> dict:
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    other = TerritoryFactory(name="PAT B", slug="pat-b")
    TerritoryFactory(name="PAT C", slug="pat-c")
    officer = make_officer(territory)
    farm, structure = FarmFactory(name="Ferme du Moulin"), StructureFactory(name="Épicerie de Cluny")
    outsider = OrganizationFactory(name="Association de Pontarlier", commune=commune("25462"))
    farmer, volunteer = make_member(farm), make_member(structure)
    meeting = MeetingFactory(territory=territory, title="Se connaître")
    meeting.organizers.add(officer)
    other_meeting = MeetingFactory(territory=territory, title="Autre réunion")
    cancelled = MeetingFactory(territory=territory, cancelled_at=NOW)
    start = NOW - dt.timedelta(hours=1)
    today = MeetingFactory(territory=territory, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    registration = Registration.objects.create(
        meeting=meeting, organization=farm, answer="yes", status="confirmed", actor_kind="farm", registered_by=farmer
    )
    decision = Decision.objects.create(meeting=meeting, text="On glane en juin.")
    other_decision = Decision.objects.create(meeting=other_meeting, text="Autre décision.")
    action = Action.objects.create(meeting=meeting, title="Appeler la mairie", owner_organization=farm)
    interview = DiagnosticInterview.objects.create(
        territory=territory, organization=farm, held_on=NOW.date(), links_other_world="Oui."
    )
    plan = ActionPlanFactory(territory=territory)
    initiative = InitiativeFactory(name="Glanage solidaire")
    planned = PlannedAction.objects.create(plan=plan, initiative=initiative, title="Glanage")
    selected = PlannedAction.objects.create(plan=plan, title="Épicerie mobile", state="selected", priority=1)
    foreign_plan = ActionPlanFactory(territory=other)
    foreign_planned = PlannedAction.objects.create(plan=foreign_plan, title="Ailleurs")
    indicator = ActionIndicator.objects.create(action=planned, name="Kilos", unit="kg")
    return {
        "meeting": meeting.pk,
        "cancelled": cancelled.pk,
        "today": today.pk,
        "registration": registration.pk,
        "decision": decision.pk,
        "other_decision": other_decision.pk,
        "action": action.pk,
        "interview": interview.pk,
        "farm": farm.pk,
        "structure": structure.pk,
        "outsider": outsider.pk,
        "farmer_id": farmer.pk,
        "plan": plan.pk,
        "initiative": initiative.slug,
        "planned": planned.pk,
        "selected": selected.pk,
        "foreign_planned": foreign_planned.pk,
        "indicator": indicator.pk,
        "users": {"officer": officer, "farmer": farmer, "volunteer": volunteer},
    }


WATCHED = (
    Meeting,
    MeetingInvitation,
    Registration,
    Decision,
    Action,
    ActionNote,
    DiagnosticInterview,
    ActionPlan,
    PlannedAction,
    ActionStep,
    ActionIndicator,
    IndicatorValue,
)


def _state() -> list:
    """What a write could change: every row of the watched tables."""
    return [sorted(model.objects.values_list(flat=False)) for model in WATCHED]


@pytest.fixture
def world(geo):
    from django.core.cache import cache

    cache.clear()
    return _world()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_bad_meeting_or_plan_input_answers_the_same_body_as_before_and_writes_nothing(world, case):
    before = _state()
    got = body_of(case, world)
    assert _state() == before
    golden = json.loads(GOLDEN.read_text())
    if os.environ.get("MIAM_WRITE_ERROR_BODIES") == "1":  # on purpose only: then review the diff
        golden[case[0]] = got
        GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        return
    assert got == golden[case[0]]
