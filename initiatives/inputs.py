"""The input of each action-plan use case, declared once: the API validates through it.

As in ``meetings/inputs.py``: each ``…Input`` names a use case's fields, each parsed by the
Django REST framework field the API has always parsed it with (``miam.inputs.SerializerField``),
so that its error bodies stay byte for byte what they were (``tests/api/error_bodies.json``).
The write serializers validate through these (``miam.inputs.ValidatedByInput``) and stay the
schema; the pages' model forms parse the same model fields the same way (types, choices,
lengths, the budget's minimum). Services receive typed values — numbers as ``Decimal``, dates,
instances, trimmed texts — and check the rules that need the database.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext as _
from rest_framework import fields as api
from rest_framework import relations

from actors.models import Organization, Territory
from initiatives.models import ActionIndicator, ActionPlan, Initiative, PlannedAction
from miam.errors import DomainError
from miam.inputs import SerializerField


def _optional_text(**kwargs) -> SerializerField:
    return SerializerField(api.CharField(allow_blank=True, required=False, **kwargs))


def _amount(**kwargs) -> SerializerField:
    return SerializerField(api.DecimalField(decimal_places=2, **kwargs))


class ActionPlanInput(forms.Form):
    """A territory's plan: created with a title (or the default one), then titled, followed, closed."""

    territory = SerializerField(relations.SlugRelatedField(slug_field="slug", queryset=Territory.objects.all()))
    title = SerializerField(api.CharField(max_length=200, required=False))
    status = SerializerField(api.ChoiceField(choices=ActionPlan.Status.choices, required=False))
    description = _optional_text()


def _initiative() -> SerializerField:
    return SerializerField(
        relations.SlugRelatedField(
            slug_field="slug", queryset=Initiative.objects.filter(is_published=True), required=False, allow_null=True
        )
    )


def _action_title() -> SerializerField:
    return SerializerField(api.CharField(max_length=300, required=False))


class ShortlistInput(forms.Form):
    """Put a candidate action on a plan (the page's, or ``plan`` in the API's body): a catalog
    initiative, or a title of one's own; the service asks for one of the two."""

    initiative = _initiative()
    title = _action_title()
    description = _optional_text()


class PlannedActionInput(forms.Form):
    """An action of the plan: shortlisted from the catalog or written (``ShortlistInput``'s
    fields, the API's create), then followed up (the rest; the page's follow-up form, the API's
    update)."""

    plan = SerializerField(relations.PrimaryKeyRelatedField(queryset=ActionPlan.objects.all()))
    initiative = _initiative()
    title = _action_title()
    description = _optional_text()
    status = SerializerField(api.ChoiceField(choices=PlannedAction.Status.choices, required=False))
    owner_organization = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False, allow_null=True)
    )
    partner_organizations = SerializerField(
        relations.PrimaryKeyRelatedField(queryset=Organization.objects.all(), many=True, required=False)
    )
    owner_name = _optional_text(max_length=200)
    other_partners = _optional_text(max_length=500)
    budget_eur = _amount(max_digits=12, min_value=0, allow_null=True, required=False)
    funding = _optional_text(max_length=500)
    start_date = SerializerField(api.DateField(allow_null=True, required=False))
    end_date = SerializerField(api.DateField(allow_null=True, required=False))


class SelectInput(forms.Form):
    """Retain an action, at a priority (the others shift) or last."""

    priority = SerializerField(api.IntegerField(required=False, min_value=1))


def reorder_input(values: Mapping) -> list[int]:
    """The selected actions' ids in their new order; anything but a list of whole numbers is
    refused at once (« L'ordre doit être une liste d'identifiants d'actions. »)."""
    raw = values.get("ordered_ids") or []
    try:
        return [int(item) for item in raw]
    except (TypeError, ValueError) as error:
        raise DomainError("invalid_order", _("L'ordre doit être une liste d'identifiants d'actions.")) from error


class StepInput(forms.Form):
    title = SerializerField(api.CharField(max_length=300))
    due_date = SerializerField(api.DateField(allow_null=True, required=False))
    is_done = SerializerField(api.BooleanField(required=False))


class IndicatorInput(forms.Form):
    """An evaluation indicator; its unit is a rule of the service (its own message)."""

    action = SerializerField(relations.PrimaryKeyRelatedField(queryset=PlannedAction.objects.all()))
    name = SerializerField(api.CharField(max_length=200))
    unit = SerializerField(api.CharField(allow_blank=True, max_length=60, required=False, default=""))
    baseline_value = _amount(max_digits=14, allow_null=True, required=False)
    target_value = _amount(max_digits=14, allow_null=True, required=False)


class IndicatorValueInput(forms.Form):
    """The value an indicator reached for a period (« 2024 », « 2025-T1 »…)."""

    indicator = SerializerField(relations.PrimaryKeyRelatedField(queryset=ActionIndicator.objects.all()))
    period_label = SerializerField(api.CharField(max_length=40))
    period_date = SerializerField(api.DateField(required=False))
    value = _amount(max_digits=14)
    note = _optional_text(max_length=500)
