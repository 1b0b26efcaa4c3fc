from django import forms
from django.utils.choices import CallableChoiceIterator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from initiatives import inputs, typology
from initiatives.models import ActionPlan, Initiative, PlannedAction
from miam.forms import DecimalCommaField, Dressed


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("glanage, épicerie solidaire…")}),
    )
    domain = forms.ChoiceField(label=_("Domaine"), required=False)
    type = forms.ChoiceField(label=_("Type d'initiative"), required=False)
    region = forms.ChoiceField(label=_("Région"), required=False)
    departement = forms.ChoiceField(label=_("Département"), required=False)
    beneficiary = forms.ChoiceField(label=_("Public bénéficiaire"), required=False)

    def __init__(self, *args, facets: dict, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("Tous"))]
        self.fields["domain"].choices = every + facets["domains"]
        self.fields["type"].choices = every + [
            (typology.DOMAIN_LABELS[d], [(code, label) for code, dom, label in facets["types"] if dom == d])
            for d in typology.DOMAIN_CODES
        ]
        self.fields["region"].choices = every + [(r, r) for r in facets["regions"]]
        self.fields["departement"].choices = every + [
            (c, f"{c} – {n}" if n != c else c) for c, n in facets["departements"]
        ]
        self.fields["beneficiary"].choices = every + facets["beneficiaries"]


class ShortlistForm(Dressed, inputs.ShortlistInput):
    """Add a candidate action to the plan: from the catalog or written from scratch (the
    input's fields, as the API's create parses them)."""

    labels = {
        "initiative": _("Initiative du catalogue"),
        "title": _("Ou une action nouvelle : titre"),
        "description": _("Description"),
    }
    widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The catalog, read only when the form is shown (never when a post is parsed).
        self.fields["initiative"].widget = forms.Select(choices=CallableChoiceIterator(_catalog_choices))


def _catalog_choices():
    yield "", "---------"
    for initiative in Initiative.objects.filter(is_published=True):
        yield initiative.slug, str(initiative)


def _model_labels(model, *names) -> dict:
    """The labels a model form would give these fields: their verbose names."""
    return {name: capfirst(model._meta.get_field(name).verbose_name) for name in names}


class PlanForm(Dressed, inputs.ActionPlanInput):
    """A plan's title, status and presentation (its territory is the page's)."""

    labels = _model_labels(ActionPlan, "title", "status", "description")
    widgets = {
        "status": forms.Select(choices=ActionPlan.Status.choices),
        "description": forms.Textarea(attrs={"rows": 3}),
    }
    shown_required = ("title",)  # the service asks for it

    territory = None

    def __init__(self, *args, instance: ActionPlan | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", {n: getattr(instance, n) for n in ("title", "status", "description")})
        super().__init__(*args, **kwargs)


#: What the follow-up page edits: the action's input but its plan and its initiative.
ACTION_FOLLOW_UP = tuple(name for name in inputs.PlannedActionInput.base_fields if name not in ("plan", "initiative"))


class PlannedActionForm(Dressed, inputs.PlannedActionInput):
    """An action's follow-up: the input's fields (as the API's update parses them); the page
    offers the territory's organizations as owner and partners."""

    labels = _model_labels(PlannedAction, *ACTION_FOLLOW_UP)
    widgets = {
        "description": forms.Textarea(attrs={"rows": 4}),
        "status": forms.Select(choices=PlannedAction.Status.choices),
        "owner_organization": forms.Select(),
        "partner_organizations": forms.SelectMultiple(attrs={"size": 6}),
        "budget_eur": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    }
    shown_required = ("title",)  # the service asks for it

    plan = None  # the page's
    initiative = None  # chosen when shortlisted

    def __init__(self, *args, instance: PlannedAction | None = None, organizations=None, **kwargs):
        if instance is not None:
            initial = {name: getattr(instance, name) for name in ACTION_FOLLOW_UP if name != "partner_organizations"}
            initial["owner_organization"] = instance.owner_organization_id
            initial["partner_organizations"] = [o.pk for o in instance.partner_organizations.all()]
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        choices = [(o.pk, o.name) for o in (organizations if organizations is not None else ())]
        self.fields["owner_organization"].widget.choices = [("", "---------"), *choices]
        self.fields["partner_organizations"].widget.choices = choices


class StepForm(Dressed, inputs.StepInput):
    labels = {"title": _("Nouvelle étape"), "due_date": _("Échéance")}
    widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    is_done = None  # a new step is to do


class IndicatorForm(Dressed, inputs.IndicatorInput):
    """An indicator of this action; the page reads its numbers the way people type them."""

    # The unit is required by the service (clear domain error), optional in the input so that error is the one shown.
    labels = {"name": _("Indicateur"), "unit": _("Unité (kg, paniers, foyers, €…)")}

    action = None  # the page's
    baseline_value = DecimalCommaField(label=_("Valeur de départ"), required=False, max_digits=14, decimal_places=2)
    target_value = DecimalCommaField(label=_("Valeur cible"), required=False, max_digits=14, decimal_places=2)


class IndicatorValuesForm(forms.Form):
    """One period, one field per indicator of the action."""

    period_label = forms.CharField(label=_("Période (2024, 2025-T1, 2025-S2, 2025-03)"), max_length=40)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[f"indicator_{indicator.pk}"] = DecimalCommaField(
                label=f"{indicator.name} ({indicator.unit})", required=False, max_digits=14, decimal_places=2
            )

    def values(self) -> dict[int, object]:
        return {i.pk: self.cleaned_data.get(f"indicator_{i.pk}") for i in self.indicators}
