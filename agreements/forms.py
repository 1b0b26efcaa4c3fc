"""Forms of the agreements pages: the inputs of ``agreements.inputs`` dressed for a page
(``miam.forms.Dressed``: labels, widgets, numbers read as people type them; here, the
organizations one may choose); the services check the rules.

The days (``agreements.inputs.Day``) keep their field's own widget: a date input in ISO form,
the only one a browser's date input reads (the edit page starts from values)."""

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
from miam.forms import Dressed
from miam.inputs import FieldErrors
from offers.forms import category_choices

#: A month input reads and writes « 2026-10 » (``MonthField`` takes a day of the month too).
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


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


class AgreementForm(Dressed, AgreementInput):
    """« Nouvelle convention » : the agreement's input with the page's choices."""

    labels = {
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
    }
    help_texts = {
        "recurrence": _("Par exemple « chaque mardi », « un jeudi sur deux », « le premier lundi du mois »."),
    }
    widgets = {"recurrence": forms.TextInput(attrs={"list": "recurrence-presets"})}
    initials = {"unit": "kg"}
    people_numbers = True

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = list(reachable_organizations(principal))
        farms = [(o.pk, o.name) for o in orgs if o.kind in PRODUCER_KINDS]
        structures = [(o.pk, o.name) for o in orgs if o.kind in RECIPIENT_KINDS]
        everyone = [(o.pk, o.name) for o in orgs]
        self.fields["farm"].widget = forms.Select(choices=[("", _("Choisissez"))] + farms)
        self.fields["structures"].widget = forms.SelectMultiple(choices=structures)
        self.fields["carrier"].widget = forms.Select(choices=[("", _("Choisissez"))] + everyone)
        self.fields["transport_payer"].widget = forms.Select(choices=[("", _("Choisissez"))] + everyone)
        self.fields["category"].widget = forms.Select(choices=category_choices())
        self.recurrence_presets = [str(label) for label in PRESETS.values()]
        lines = (
            FundingLine.objects.filter(funder__territory__communes__in={o.commune_id for o in orgs})
            .select_related("funder")
            .distinct()
        )
        self.fields["funding_line"].widget = forms.Select(
            choices=[("", _("Aucun"))] + [(line.pk, str(line)) for line in lines]
        )

    def data_for_service(self) -> AgreementData:
        values = {k: v for k, v in self.cleaned_data.items() if k in AgreementInput.base_fields}
        return AgreementData(**values, given=frozenset(values), errors=FieldErrors())


class FundingLineForm(Dressed, FundingLineInput):
    labels = {
        "funder": _("Financeur"),
        "name": _("Intitulé"),
        "amount_eur": _("Montant (€)"),
        "period_start": _("Du"),
        "period_end": _("Au"),
        "share_per_kg_eur": _("Prise en charge par kg (€)"),
        "categories": _("Catégories éligibles (aucune : toutes)"),
        "structures": _("Structures éligibles (aucune : toutes)"),
        "alert_percent": _("Alerte quand il reste moins de (%)"),
    }
    people_numbers = True

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        funders = Funder.objects.filter(territory_id__in=permissions.officer_territory_ids(principal))
        self.fields["funder"].widget = forms.Select(choices=[("", _("Choisissez"))] + [(f.pk, f.name) for f in funders])
        self.fields["categories"].widget = forms.SelectMultiple(choices=category_choices(blank=False))
        self.fields["structures"].widget = forms.SelectMultiple(
            choices=[(o.pk, o.name) for o in reachable_organizations(principal) if o.kind in RECIPIENT_KINDS]
        )

    def data_for_service(self) -> FundingLineData:
        values = {k: v for k, v in self.cleaned_data.items() if k in FundingLineInput.base_fields and v is not None}
        return FundingLineData(**values, given=frozenset(values), errors=FieldErrors())


class FunderForm(forms.Form):
    name = forms.CharField(label=_("Nom du financeur"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Funder.Kind.choices)


class OccurrenceForm(Dressed, OccurrenceChangeInput):
    labels = {
        "date": _("Nouvelle date"),
        "quantity": _("Nouvelle quantité"),
        "household_price_per_unit": _("Prix payé par le ménage (€ par unité)"),
    }
    people_numbers = True


class EndForm(Dressed, EndInput):
    labels = {"on": _("Terminer le")}


class ReceiptForm(Dressed, ReceiptInput):
    labels = {"structure": _("Structure"), "donor": _("Donateur"), "period_start": _("Dons du"), "period_end": _("Au")}

    def __init__(self, *args, structures, donors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
        self.fields["donor"].widget = forms.Select(choices=[("", _("Choisissez"))] + [(o.pk, o.name) for o in donors])


class DemandForm(Dressed, DemandInput):
    labels = {
        "structure": _("Structure"),
        "category": _("Catégorie"),
        "month": _("Mois"),
        "quantity_kg": _("Quantité attendue (kg)"),
    }
    widgets = {"month": MONTH}
    people_numbers = True

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
        self.fields["category"].widget = forms.Select(choices=category_choices())


class CommitmentForm(Dressed, CommitmentInput):
    labels = {
        "farm": _("Ferme"),
        "structure": _("Pour la structure"),
        "category": _("Catégorie"),
        "kg_per_month": _("Kilos par mois"),
        "first_month": _("De (mois)"),
        "last_month": _("À (mois)"),
        "fair_price_per_kg": _("Prix juste (€/kg)"),
        "price_paid_per_kg": _("Prix payé par la structure (€/kg)"),
    }
    widgets = {"first_month": MONTH, "last_month": MONTH}
    people_numbers = True

    def __init__(self, *args, farms, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["farm"].widget = forms.Select(choices=[(o.pk, o.name) for o in farms])
        self.fields["structure"].widget = forms.Select(
            choices=[("", _("Choisissez"))] + [(o.pk, o.name) for o in structures]
        )
        self.fields["category"].widget = forms.Select(choices=category_choices())


class PreorderForm(Dressed, PreorderInput):
    """« Pré-commander une production » : the planned harvests one may pre-order."""

    labels = {
        "offer": _("Production planifiée"),
        "structure": _("Pour la structure"),
        "quantity_per_month": _("Quantité par mois"),
        "first_month": _("De (mois)"),
        "last_month": _("À (mois)"),
    }
    widgets = {"first_month": MONTH, "last_month": MONTH}
    people_numbers = True

    def __init__(self, *args, offers, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].widget = forms.Select(
            choices=[("", _("Choisissez"))]
            + [
                (o.pk, f"{o.product_name} – {o.organization.name} ({o.window_start:%m/%Y}–{o.window_end:%m/%Y})")
                for o in offers
            ]
        )
        self.fields["structure"].widget = forms.Select(choices=[(o.pk, o.name) for o in structures])
