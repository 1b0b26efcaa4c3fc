"""Forms of the agreements pages: the inputs of ``agreements.inputs`` dressed for a page
(labels, widgets, the organizations one may choose); the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from actors import permissions
from actors.models import PRODUCER_KINDS, RECIPIENT_KINDS, Organization
from agreements.inputs import (
    AgreementData,
    AgreementInput,
    CommitmentInput,
    DemandInput,
    EndInput,
    FundingLineData,
    FundingLineInput,
    OccurrenceChangeInput,
    PreorderInput,
    ReceiptInput,
)
from agreements.models import Funder, FundingLine
from agreements.recurrence import PRESETS
from miam.forms import typed_by_people
from miam.inputs import FieldErrors, NumberField
from offers.forms import category_choices

DATE = {"type": "date"}


def _dress(form: forms.Form, labels: dict) -> None:
    for name, field in form.fields.items():
        if name in labels:
            field.label = labels[name]
        if isinstance(field, NumberField):
            typed_by_people(field)


def reachable_organizations(principal):
    """The organizations one may name in an agreement: those of one's territories (where one's
    organizations are, or that one manages), and one's own."""
    from django.db.models import Q

    own_ids = permissions.member_organization_ids(principal)
    territory_ids = set(permissions.officer_territory_ids(principal))
    for organization in Organization.objects.filter(pk__in=own_ids).select_related("commune"):
        territory_ids |= set(organization.commune.territories.values_list("id", flat=True))
    return (
        Organization.objects.filter(Q(pk__in=own_ids) | Q(commune__territories__in=territory_ids), is_active=True)
        .select_related("commune")
        .distinct()
        .order_by("name")
    )


class AgreementForm(AgreementInput):
    """« Nouvelle convention » : the agreement's input with the page's choices."""

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "farm": _("Ferme"),
                "structures": _("Structures qui reçoivent"),
                "category": _("Catégorie"),
                "product_name": _("Produit"),
                "unit": _("Unité"),
                "pack_size": _("Conditionnement (taille d'un colis)"),
                "quantity_per_delivery": _("Quantité par livraison et par structure"),
                "recurrence": _("Récurrence"),
                "start_date": _("Du"),
                "end_date": _("Au"),
                "fair_price_per_unit": _("Prix juste au producteur (€ par unité)"),
                "price_paid_per_unit": _("Prix payé par la structure (€ par unité)"),
                "usual_price_per_unit": _("Prix habituel (€ par unité)"),
                "household_price_per_unit": _("Prix payé par le ménage, si la structure revend (€ par unité)"),
                "carrier": _("Qui transporte ?"),
                "transport_payer": _("Qui paie le transport ?"),
                "transport_cost_eur": _("Coût du transport par livraison (€)"),
                "funding_line": _("Financement de l'écart"),
            },
        )
        orgs = list(reachable_organizations(principal))
        farms = [(o.pk, o.name) for o in orgs if o.kind in PRODUCER_KINDS]
        structures = [(o.pk, o.name) for o in orgs if o.kind in RECIPIENT_KINDS]
        everyone = [(o.pk, o.name) for o in orgs]
        self.fields["farm"].widget = forms.Select(choices=[("", _("Choisissez"))] + farms)
        self.fields["structures"].widget = forms.SelectMultiple(choices=structures)
        self.fields["carrier"].widget = forms.Select(choices=[("", _("Choisissez"))] + everyone)
        self.fields["transport_payer"].widget = forms.Select(choices=[("", _("Choisissez"))] + everyone)
        self.fields["category"].widget = forms.Select(choices=category_choices())
        self.fields["unit"].widget = forms.Select(choices=self.fields["unit"].choices)
        self.fields["recurrence"].help_text = _(
            "Par exemple « chaque mardi », « un jeudi sur deux », « le premier lundi du mois »."
        )
        self.fields["recurrence"].widget = forms.TextInput(attrs={"list": "recurrence-presets"})
        self.recurrence_presets = [str(label) for label in PRESETS.values()]
        lines = (
            FundingLine.objects.filter(funder__territory__communes__in={o.commune_id for o in orgs})
            .select_related("funder")
            .distinct()
        )
        self.fields["funding_line"].widget = forms.Select(
            choices=[("", _("Aucun"))] + [(line.pk, str(line)) for line in lines]
        )
        for name in ("start_date", "end_date"):
            # ISO: a browser's date input reads nothing else (the edit page starts from values).
            self.fields[name].widget = forms.DateInput(attrs=DATE, format="%Y-%m-%d")
        self.initial.setdefault("unit", "kg")

    def data_for_service(self) -> AgreementData:
        values = {k: v for k, v in self.cleaned_data.items() if k in AgreementInput.base_fields}
        return AgreementData(**values, given=frozenset(values), errors=FieldErrors())


class FundingLineForm(FundingLineInput):
    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "funder": _("Financeur"),
                "name": _("Intitulé"),
                "amount_eur": _("Montant (€)"),
                "period_start": _("Du"),
                "period_end": _("Au"),
                "share_per_kg_eur": _("Prise en charge par kg (€)"),
                "categories": _("Catégories éligibles (aucune : toutes)"),
                "structures": _("Structures éligibles (aucune : toutes)"),
                "alert_percent": _("Alerte quand il reste moins de (%)"),
            },
        )
        funders = Funder.objects.filter(territory_id__in=permissions.officer_territory_ids(principal))
        self.fields["funder"].widget = forms.Select(choices=[("", _("Choisissez"))] + [(f.pk, f.name) for f in funders])
        self.fields["categories"].widget = forms.SelectMultiple(choices=category_choices(blank=False))
        self.fields["structures"].widget = forms.SelectMultiple(
            choices=[(o.pk, o.name) for o in reachable_organizations(principal) if o.kind in RECIPIENT_KINDS]
        )
        for name in ("period_start", "period_end"):
            self.fields[name].widget = forms.DateInput(attrs=DATE, format="%Y-%m-%d")

    def data_for_service(self) -> FundingLineData:
        values = {k: v for k, v in self.cleaned_data.items() if k in FundingLineInput.base_fields and v is not None}
        return FundingLineData(**values, given=frozenset(values), errors=FieldErrors())


class FunderForm(forms.Form):
    name = forms.CharField(label=_("Nom du financeur"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Funder.Kind.choices)


class OccurrenceForm(OccurrenceChangeInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "date": _("Nouvelle date"),
                "quantity": _("Nouvelle quantité"),
                "household_price_per_unit": _("Prix payé par le ménage (€ par unité)"),
            },
        )
        self.fields["date"].widget = forms.DateInput(attrs=DATE, format="%Y-%m-%d")


class EndForm(EndInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].label = _("Terminer le")
        self.fields["on"].widget = forms.DateInput(attrs=DATE, format="%Y-%m-%d")


class ReceiptForm(ReceiptInput):
    def __init__(self, *args, structures, donors, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {"structure": _("Structure"), "donor": _("Donateur"), "period_start": _("Dons du"), "period_end": _("Au")},
        )
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
        self.fields["donor"].widget = forms.Select(choices=[("", _("Choisissez"))] + [(o.pk, o.name) for o in donors])
        for name in ("period_start", "period_end"):
            self.fields[name].widget = forms.DateInput(attrs=DATE, format="%Y-%m-%d")


MONTH = {"type": "month"}


class DemandForm(DemandInput):
    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "structure": _("Structure"),
                "category": _("Catégorie"),
                "month": _("Mois"),
                "quantity_kg": _("Quantité attendue (kg)"),
            },
        )
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
        self.fields["category"].widget = forms.Select(choices=category_choices())
        self.fields["month"].widget = forms.DateInput(attrs=MONTH, format="%Y-%m")


class CommitmentForm(CommitmentInput):
    def __init__(self, *args, farms, structures, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "farm": _("Ferme"),
                "structure": _("Pour la structure"),
                "category": _("Catégorie"),
                "kg_per_month": _("Kilos par mois"),
                "first_month": _("De (mois)"),
                "last_month": _("À (mois)"),
                "fair_price_per_kg": _("Prix juste (€/kg)"),
                "price_paid_per_kg": _("Prix payé par la structure (€/kg)"),
            },
        )
        self.fields["farm"].widget = forms.Select(choices=[(o.pk, o.name) for o in farms])
        self.fields["structure"].widget = forms.Select(
            choices=[("", _("Choisissez"))] + [(o.pk, o.name) for o in structures]
        )
        self.fields["category"].widget = forms.Select(choices=category_choices())
        for name in ("first_month", "last_month"):
            self.fields[name].widget = forms.DateInput(attrs=MONTH, format="%Y-%m")


class PreorderForm(PreorderInput):
    """« Pré-commander une production » : the planned harvests one may pre-order."""

    def __init__(self, *args, offers, structures, **kwargs):
        super().__init__(*args, **kwargs)
        _dress(
            self,
            {
                "offer": _("Production planifiée"),
                "structure": _("Pour la structure"),
                "quantity_per_month": _("Quantité par mois"),
                "first_month": _("De (mois)"),
                "last_month": _("À (mois)"),
            },
        )
        self.fields["offer"].widget = forms.Select(
            choices=[("", _("Choisissez"))]
            + [
                (o.pk, f"{o.product_name} – {o.organization.name} ({o.window_start:%m/%Y}–{o.window_end:%m/%Y})")
                for o in offers
            ]
        )
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
        for name in ("first_month", "last_month"):
            self.fields[name].widget = forms.DateInput(attrs=MONTH, format="%Y-%m")
