"""The input of each meetings use case, declared once: the API validates through it, pages dress it.

Each ``…Input`` form names the fields of a use case and how each is parsed: by the Django REST
framework field the API has always parsed it with (``miam.inputs.SerializerField``), so that its
error bodies stay what partner apps know (``tests/api/error_bodies.json``). The API's write
serializers validate through these (``miam.inputs.ValidatedByInput``) and stay the schema of the
request bodies; pages subclass them (``meetings/forms.py``: labels, widgets, the territory's
choosers). Services receive typed values: aware datetimes, instances, choices that exist, texts
trimmed and within their lengths; they check who acts and the rules that need the database.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from rest_framework import fields as api
from rest_framework import relations

from actors.models import Commune, Organization, Territory, User
from initiatives.models import Initiative, PlannedAction
from meetings.models import Action, Decision, Meeting, Registration
from miam.errors import refused
from miam.inputs import SerializerField, input_values


def _organization(**kwargs) -> SerializerField:
    return SerializerField(relations.PrimaryKeyRelatedField(queryset=Organization.objects.all(), **kwargs))


def _person(**kwargs) -> SerializerField:
    return SerializerField(relations.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), **kwargs))


def _territory() -> SerializerField:
    return SerializerField(relations.SlugRelatedField(slug_field="slug", queryset=Territory.objects.all()))


def _meeting() -> SerializerField:
    return SerializerField(relations.PrimaryKeyRelatedField(queryset=Meeting.objects.all()))


def _text(**kwargs) -> SerializerField:
    return SerializerField(api.CharField(**kwargs))


def _optional_text(**kwargs) -> SerializerField:
    return SerializerField(api.CharField(allow_blank=True, required=False, **kwargs))


# --- Meetings -------------------------------------------------------------------------------


class MeetingInput(forms.Form):
    """A meeting: what, when, where, for whom. The order of the fields is the order of their errors."""

    territory = _territory()
    title = _text(max_length=200)
    kind = SerializerField(api.ChoiceField(choices=Meeting.Kind.choices, required=False))
    starts_at = SerializerField(api.DateTimeField())
    ends_at = SerializerField(api.DateTimeField())
    host_organization = _organization(required=False, allow_null=True)
    address = _optional_text(max_length=300)
    commune = SerializerField(
        relations.SlugRelatedField(
            slug_field="insee_code", queryset=Commune.objects.all(), required=False, allow_null=True
        )
    )
    online_url = SerializerField(api.URLField(allow_blank=True, max_length=200, required=False))
    agenda = _optional_text()
    organizers = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    )
    capacity = SerializerField(api.IntegerField(allow_null=True, max_value=2_147_483_647, min_value=0, required=False))
    visibility = SerializerField(api.ChoiceField(choices=Meeting.Visibility.choices, required=False))
    discussed_actions = SerializerField(
        relations.PrimaryKeyRelatedField(
            queryset=PlannedAction.objects.select_related("plan"), many=True, required=False
        )
    )


# --- Registrations and invitations ----------------------------------------------------------


class RegisterInput(forms.Form):
    """Register an organization (``organization``), oneself, or a resident without an account."""

    organization = _organization(required=False, allow_null=True)
    guest_name = _optional_text(max_length=150)
    guest_email = SerializerField(api.EmailField(required=False, allow_blank=True))
    guest_consent = SerializerField(api.BooleanField(required=False, default=False))
    answer = SerializerField(api.ChoiceField(choices=Registration.Answer.choices, default=Registration.Answer.YES))
    note = _optional_text(max_length=500)
    walk_in = SerializerField(api.BooleanField(required=False, default=False))


class RegistrationUpdateInput(forms.Form):
    answer = SerializerField(api.ChoiceField(choices=Registration.Answer.choices, required=False))
    note = _optional_text(max_length=500)


class InvitationAnswerInput(forms.Form):
    """The answer given through an invitation's link (a guest also gives a name and consent)."""

    answer = SerializerField(api.ChoiceField(choices=Registration.Answer.choices, default=Registration.Answer.YES))
    note = _optional_text(max_length=500)


class InvitationGuestAnswerInput(InvitationAnswerInput):
    guest_name = _optional_text(max_length=150)
    guest_consent = SerializerField(api.BooleanField(required=False, default=False))


class InviteInput(forms.Form):
    organizations = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=Organization.objects.all(), many=True, required=False)
    )
    users = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True, required=False)
    )
    emails = SerializerField(api.ListField(child=api.CharField(max_length=254), required=False))


def email_addresses(raw: list[str]) -> list[str]:
    """Addresses to invite, trimmed and lower-cased, blanks left out; the first malformed one
    is refused with its own words (« Adresse e-mail invalide : « x ». »)."""
    addresses = []
    for item in raw:
        address = (item or "").strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise refused("emails", _("Adresse e-mail invalide : « %(e)s ».") % {"e": address}, "invalid_email")
        addresses.append(address)
    return addresses


def invite_input(values: Mapping) -> dict:
    """Whom to invite, typed: organizations, people, e-mail addresses (checked)."""
    data = input_values(InviteInput, values)
    if "emails" in data:
        data["emails"] = email_addresses(data["emails"])
    return data


# --- Attendance -----------------------------------------------------------------------------


class AttendanceInput(forms.Form):
    """The roll: the registrations that came."""

    present = SerializerField(api.ListField(child=api.IntegerField(), allow_empty=True))


class AttendedField(forms.Field):
    """Came (true), did not (false), not known (null); JSON or the words ``true`` / ``false``."""

    def to_python(self, value):
        if value in (True, False, None, "true", "false"):
            return {"true": True, "false": False}.get(value, value)
        raise ValidationError(_("Valeur attendue : true, false ou null."), code="invalid")

    def validate(self, value) -> None:
        return None


class AttendanceMarkInput(forms.Form):
    attended = AttendedField(required=False)


# --- Minutes, decisions, follow-up actions ---------------------------------------------------


class MinutesInput(forms.Form):
    body = _optional_text()
    is_published = SerializerField(api.BooleanField(required=False))


class DecisionInput(forms.Form):
    meeting = _meeting()
    text = _text()
    initiative = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=Initiative.objects.all(), required=False, allow_null=True)
    )
    planned_action = SerializerField(
        relations.PrimaryKeyRelatedField(
            queryset=PlannedAction.objects.select_related("plan"), required=False, allow_null=True
        )
    )


class DecisionUpdateInput(DecisionInput):
    """A decision stays in its meeting."""

    meeting = None


class ActionInput(forms.Form):
    """A follow-up action: what, who carries it (an organization or a person), by when."""

    meeting = _meeting()
    decision = SerializerField(
        relations.PrimaryKeyRelatedField(
            queryset=Decision.objects.all(),
            required=False,
            allow_null=True,
        )
    )
    title = _text(max_length=300)
    description = _optional_text()
    owner_organization = _organization(required=False, allow_null=True)
    owner_user = _person(required=False, allow_null=True)
    due_date = SerializerField(api.DateField(allow_null=True, required=False))
    status = SerializerField(api.ChoiceField(choices=Action.Status.choices, required=False))


class ActionUpdateInput(ActionInput):
    """An action stays in its meeting."""

    meeting = None


class ActionNoteInput(forms.Form):
    text = _text()
    status = SerializerField(api.ChoiceField(choices=Action.Status.choices, required=False))


# --- Diagnostic interviews ------------------------------------------------------------------


class InterviewInput(forms.Form):
    """A diagnostic interview: who was met, when, and the four questions' answers."""

    territory = _territory()
    organization = _organization()
    interviewer = _person(required=False, allow_null=True)
    held_on = SerializerField(api.DateField())
    meeting = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=Meeting.objects.all(), required=False, allow_null=True)
    )
    links_other_world = _optional_text()
    possible_commitment = _optional_text()
    current_actions = _optional_text()
    needs_expectations = _optional_text()


class InterviewUpdateInput(InterviewInput):
    """An interview stays in its territory."""

    territory = None
