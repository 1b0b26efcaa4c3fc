"""Diagnostic interviews held with the territory's actors."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from actors.models import Organization, Territory
from actors.permissions import (
    as_user,
    require_manage_territory,
)
from meetings.models import (
    DiagnosticInterview,
)
from meetings.services.shared import organization_in_territory
from miam.errors import DomainError, refused, validate_model

INTERVIEW_FIELDS = ("held_on", "interviewer", "meeting", *DiagnosticInterview.QUESTION_FIELDS)


def _check_interview(interview: DiagnosticInterview) -> None:
    if not organization_in_territory(interview.organization, interview.territory):
        raise refused(
            "organization",
            _("%(org)s n'est pas sur le territoire %(t)s.") % {"org": interview.organization, "t": interview.territory},
            "outside_territory",
        )
    if interview.meeting_id and interview.meeting.territory_id != interview.territory_id:
        raise refused("meeting", _("Ce rendez-vous est sur un autre territoire."), "outside_territory")
    if not any(getattr(interview, f) for f in DiagnosticInterview.QUESTION_FIELDS):
        raise DomainError(
            "empty_interview",
            _("Renseignez au moins une des quatre questions de l'entretien."),
            fields={"links_other_world": [_("Renseignez au moins une des quatre questions.")]},
        )
    validate_model(interview, exclude=["territory", "organization", "interviewer", "meeting"], constraints=False)


@transaction.atomic
def interview_create(
    *, by, territory: Territory, organization: Organization, held_on: date, **fields
) -> DiagnosticInterview:
    """Record a diagnostic interview (the team of the territory)."""
    require_manage_territory(by, territory)
    unknown = set(fields) - set(INTERVIEW_FIELDS)
    if unknown:
        raise refused(sorted(unknown)[0], _("Champ inconnu."))
    fields.setdefault("interviewer", as_user(by))
    interview = DiagnosticInterview(
        territory=territory, organization=organization, held_on=held_on, created_by=as_user(by), **fields
    )
    _check_interview(interview)
    interview.save()
    return interview


@transaction.atomic
def interview_update(*, by, interview: DiagnosticInterview, **fields) -> DiagnosticInterview:
    require_manage_territory(by, interview.territory)
    unknown = set(fields) - set(INTERVIEW_FIELDS) - {"organization"}
    if unknown:
        raise refused(sorted(unknown)[0], _("Champ inconnu."))
    for name, value in fields.items():
        setattr(interview, name, value)
    _check_interview(interview)
    interview.save()
    return interview


@transaction.atomic
def interview_delete(*, by, interview: DiagnosticInterview) -> None:
    require_manage_territory(by, interview.territory)
    interview.delete()
