"""Minutes and decisions of a meeting (a decision may link an initiative or a planned action)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from actors.permissions import (
    as_user,
)
from meetings.models import (
    Decision,
    Meeting,
    Minutes,
)
from meetings.services.shared import require_manage_meeting
from miam.errors import refused


@transaction.atomic
def minutes_save(*, by, meeting: Meeting, body: str, is_published: bool | None = None) -> Minutes:
    require_manage_meeting(by, meeting)
    minutes, _created = Minutes.objects.select_for_update().get_or_create(meeting=meeting)
    minutes.body = body or ""
    if is_published is not None:
        minutes.is_published = is_published
    minutes.updated_by = as_user(by)
    minutes.save()
    return minutes


def _check_decision_links(meeting: Meeting, initiative, planned_action) -> None:
    if planned_action is not None and planned_action.plan.territory_id != meeting.territory_id:
        raise refused(
            "planned_action",
            _("Cette action appartient au plan d'action d'un autre territoire."),
            "outside_territory",
        )


@transaction.atomic
def decision_create(*, by, meeting: Meeting, text: str, initiative=None, planned_action=None) -> Decision:
    require_manage_meeting(by, meeting)
    if not text:
        raise refused("text", _("Écrivez la décision."), "empty_decision")
    _check_decision_links(meeting, initiative, planned_action)
    decision = Decision(meeting=meeting, text=text, created_by=as_user(by))
    _set_decision_links(decision, initiative, planned_action)
    decision.save()
    return decision


def _set_decision_links(decision: Decision, initiative, planned_action) -> None:
    decision.initiative = initiative
    decision.planned_action = planned_action
    if planned_action is not None and initiative is None and planned_action.initiative_id:
        decision.initiative_id = planned_action.initiative_id


_UNSET = object()


@transaction.atomic
def decision_update(
    *, by, decision: Decision, text: str | None = None, initiative=_UNSET, planned_action=_UNSET
) -> Decision:
    require_manage_meeting(by, decision.meeting)
    if text is not None:
        if not text:
            raise refused("text", _("Écrivez la décision."), "empty_decision")
        decision.text = text
    initiative = decision.initiative if initiative is _UNSET else initiative
    planned_action = decision.planned_action if planned_action is _UNSET else planned_action
    _check_decision_links(decision.meeting, initiative, planned_action)
    _set_decision_links(decision, initiative, planned_action)
    decision.save()
    return decision


@transaction.atomic
def decision_delete(*, by, decision: Decision) -> None:
    require_manage_meeting(by, decision.meeting)
    decision.delete()
