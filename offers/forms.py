"""Forms of the offers pages: the inputs of ``offers.inputs`` dressed for a page (labels,
widgets, the organization chooser); the services check the rules.

Every form is prefilled from the organization's profile so that posting takes less than a
minute on a phone: what is rarely changed sits in a « plus de détails » section.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Organization
from miam.formatting import quantity_text
from miam.forms import Dressed
from offers.inputs import (
    DeliveryInput,
    NeedData,
    NeedInput,
    OfferData,
    OfferInput,
    ProposeInput,
    RequestInput,
    ScheduleInput,
)
from offers.models import MEANS_FIELDS, Logistics, Match, Need, Pricing, Recurrence
from products.models import ProductCategory, Unit


def category_choices(*, blank: bool = True) -> list:
    """Categories grouped by family, for a <select> with <optgroup> (one query)."""
    categories = list(ProductCategory.objects.select_related("parent").order_by("sort_order", "name"))
    parents = [c for c in categories if c.parent_id is None]
    children: dict[int, list[ProductCategory]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    groups: list = [("", _("Choisissez une catégorie"))] if blank else []
    for parent in parents:
        options = [(str(parent.pk), _("%(name)s (tout)") % {"name": parent.label})]
        options += [(str(child.pk), child.label) for child in children.get(parent.pk, [])]
        groups.append((parent.label, options))
    return groups


def family_choices() -> list:
    return [(str(c.pk), c.label) for c in ProductCategory.objects.filter(parent__isnull=True).order_by("sort_order")]


class OrganizationChoiceMixin:
    """The organization field: hidden when the person acts for only one."""

    def _set_organizations(self, organizations) -> None:
        organizations = list(organizations)
        self.organizations = organizations
        field = self.fields["organization"]
        field.choices = [(str(o.pk), o.name) for o in organizations]
        if len(organizations) == 1:
            field.widget = forms.HiddenInput()
            self.initial.setdefault("organization", str(organizations[0].pk))

    def clean_organization(self) -> Organization:
        value = self.cleaned_data["organization"]
        for organization in self.organizations:
            if str(organization.pk) == str(value):
                return organization
        raise forms.ValidationError(_("Choisissez une de vos organisations."))


class ListingFormMixin(OrganizationChoiceMixin, Dressed):
    """What the offer and need forms share: default dates, prefilling from the profile (new
    listing) or from the instance (edit), and the essential / folded split of the fields; the
    page's labels, help, widgets and choices on the input's fields (``miam.forms.Dressed``)."""

    window_days: int
    essential_fields: tuple[str, ...]
    people_numbers = True  # quantities and prices as people type them (« 1,5 »)

    def __init__(self, *args, organizations, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self._set_category_choices()
        self._set_organizations(organizations)
        today = timezone.localdate()
        self.initial.setdefault("window_start", today)
        self.initial.setdefault("window_end", today + dt.timedelta(days=self.window_days))
        if instance is None and self.organizations:
            self._prefill_from_profile(self._profile_organization())
        if instance is not None:
            self._prefill_from_instance(instance)

    def _filled(self, input_class) -> dict:
        """What was filled in, as typed values of the input (empty fields left out)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in input_class.base_fields and value is not None and value != ""
        }

    def _given(self, input_class, values: dict) -> frozenset[str]:
        """A new listing is given every field (defaults for the empty ones); an edit only those
        filled in."""
        return frozenset(input_class.base_fields) if self.instance is None else frozenset(values)

    def _set_category_choices(self) -> None:
        raise NotImplementedError

    def _prefill_from_profile(self, organization: Organization) -> None:
        raise NotImplementedError

    def _prefill_from_instance(self, instance) -> None:
        self.fields["organization"].widget = forms.HiddenInput()
        for name, field in self.fields.items():
            if name == "organization":
                self.initial[name] = str(instance.organization_id)
            elif not isinstance(field, forms.FileField):  # a file input is never prefilled
                self.initial[name] = self._instance_initial(instance, name)

    def _instance_initial(self, instance, name: str):
        return getattr(instance, name)

    def _profile_organization(self) -> Organization:
        wanted = self.data.get("organization") or self.initial.get("organization")
        for organization in self.organizations:
            if str(organization.pk) == str(wanted):
                return organization
        return self.organizations[0]

    def essential(self):
        return [self[name] for name in self.essential_fields if not self[name].is_hidden]

    def more(self):
        return [self[name] for name in self.fields if name not in self.essential_fields]


class OfferForm(ListingFormMixin, OfferInput):
    """« Je propose »: the offer's input (``offers.inputs.OfferInput``, its validation) with the
    page's labels, widgets and the organization chooser. Only presentation is set here."""

    organization = forms.ChoiceField(label=_("Pour"))

    field_order = (
        "organization",
        "category",
        "product_name",
        "quantity",
        "unit",
        "window_start",
        "window_end",
        "pricing",
        "price_per_unit",
        "usual_price_per_unit",
        "logistics",
        "delivery_radius_km",
        "recurrence",
        "min_quantity",
        "crate_kg",
        "pack_size",
        "labels",
        "lot_number",
        "use_by",
        "description",
        "photo",
    )
    essential_fields = field_order[:13]
    labels = {
        "category": _("Quoi ?"),
        "product_name": _("Nom du produit"),
        "quantity": _("Quantité"),
        "unit": _("Unité"),
        "window_start": _("Disponible à partir du"),
        "window_end": _("Jusqu'au"),
        "pricing": _("Conditions"),
        "price_per_unit": _("Prix demandé par unité (€)"),
        "usual_price_per_unit": _("Prix habituel par unité (€)"),
        "logistics": _("Qui transporte ?"),
        "delivery_radius_km": _("Je livre jusqu'à (km)"),
        "recurrence": _("Chaque semaine, chaque mois ?"),
        "min_quantity": _("Quantité minimale par enlèvement"),
        "crate_kg": _("Poids d'une cagette (kg)"),
        "pack_size": _("Taille d'un colis ou d'une portion"),
        "labels": _("Labels"),
        "lot_number": _("Numéro de lot"),
        "use_by": _("Date limite de consommation"),
        "description": _("Remarques"),
        "photo": _("Photo"),
    }
    help_texts = {
        "category": _("Choisissez la famille ou le produit précis."),
        "product_name": _("Par exemple « Pommes de terre Charlotte ». Vide : le nom de la catégorie."),
        "price_per_unit": _("Obligatoire pour une vente (prix solidaire ou prix du marché)."),
        "usual_price_per_unit": _("Obligatoire pour un prix solidaire : la remise apparaît aux structures."),
        "crate_kg": _("Si l'unité est la cagette."),
        "pack_size": _(
            "Dans l'unité choisie (colis de 500 g : 0,5 kg) ; les quantités proposées en seront des multiples."
        ),
    }
    choices = {
        "pricing": [
            (Pricing.DONATION, _("Don")),
            (Pricing.SOLIDARITY, _("Prix solidaire")),
            (Pricing.MARKET, _("Prix du marché")),
        ],
    }
    widgets = {
        "pricing": forms.RadioSelect(),
        "recurrence": forms.RadioSelect(),
        "description": forms.Textarea(attrs={"rows": 3}),
    }
    initials = {"unit": Unit.KG, "pricing": Pricing.DONATION, "recurrence": Recurrence.ONCE}
    window_days = 7
    shown_required = ("price_per_unit", "usual_price_per_unit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_name"].required = False  # the category's name when left empty

    def _set_category_choices(self) -> None:
        self.fields["category"].widget.choices = category_choices()

    def _instance_initial(self, instance, name: str):
        if name == "category":
            return str(instance.category_id)
        return super()._instance_initial(instance, name)

    def _prefill_from_profile(self, organization: Organization) -> None:
        profile = getattr(organization, "farm_profile", None)
        if profile is None:
            self.initial.setdefault("logistics", [Logistics.PICKUP])
            return
        self.initial.setdefault("labels", list(profile.labels or []))
        radius = profile.delivery_radius_km or 0
        self.initial.setdefault("delivery_radius_km", radius)
        self.initial.setdefault("logistics", [Logistics.DELIVERY, Logistics.PICKUP] if radius else [Logistics.PICKUP])
        if profile.accepts_donation:
            self.initial.setdefault("pricing", Pricing.DONATION)
        elif profile.accepts_solidarity_price:
            self.initial.setdefault("pricing", Pricing.SOLIDARITY)
        else:
            self.initial.setdefault("pricing", Pricing.MARKET)

    def data_for_service(self) -> OfferData:
        """The validated offer for ``listings.offer_create`` / ``offer_update``: on an edit,
        only what was filled in changes (an empty optional field is left as it was)."""
        values = self._filled(OfferInput)
        if not values.get("product_name") and values.get("category") is not None:
            values["product_name"] = values["category"].name
        return OfferData(**values, given=self._given(OfferInput, values))


class NeedForm(ListingFormMixin, NeedInput):
    """« J'ai besoin »: the need's input (``offers.inputs.NeedInput``) with the page's labels,
    widgets and the organization chooser."""

    organization = forms.ChoiceField(label=_("Pour"))

    field_order = (
        "organization",
        "categories",
        "title",
        "quantity",
        "unit",
        "window_start",
        "window_end",
        "frequency",
        "accepted_pricing",
        "max_price_per_unit",
        "urgency",
        "has_fridge",
        "budget_eur",
        "has_freezer",
        "has_vehicle",
        "pickup_radius_km",
        "distribution_days",
        "preferred_labels",
        "description",
    )
    essential_fields = field_order[:12]
    labels = {
        "categories": _("De quoi avez-vous besoin ?"),
        "title": _("En quelques mots"),
        "quantity": _("Quantité"),
        "unit": _("Unité"),
        "window_start": _("À partir du"),
        "window_end": _("Jusqu'au"),
        "frequency": _("Chaque semaine, chaque mois ?"),
        "accepted_pricing": _("Conditions"),
        "max_price_per_unit": _("Prix maximum par unité (€)"),
        "urgency": _("Urgence"),
        "has_fridge": _("Nous avons un frigo ou une chambre froide"),
        "budget_eur": _("Budget (€)"),
        "has_freezer": _("Nous avons un congélateur"),
        "has_vehicle": _("Nous pouvons venir chercher"),
        "pickup_radius_km": _("Jusqu'à (km)"),
        "distribution_days": _("Jours où nous recevons les produits"),
        "preferred_labels": _("Labels souhaités"),
        "description": _("Remarques"),
    }
    help_texts = {
        "categories": _("Une ou plusieurs."),
        "title": _("Par exemple « Légumes pour la distribution du jeudi ». Vide : les catégories choisies."),
        "max_price_per_unit": _("Obligatoire si vous pouvez acheter."),
        "distribution_days": _("Aucun coché : ceux de votre structure."),
    }
    choices = {
        "frequency": [
            (Recurrence.ONCE, _("une fois")),
            (Recurrence.WEEKLY, _("chaque semaine")),
            (Recurrence.MONTHLY, _("chaque mois")),
        ],
    }
    widgets = {
        "frequency": forms.RadioSelect(),
        "accepted_pricing": forms.RadioSelect(),
        "urgency": forms.RadioSelect(),
        "description": forms.Textarea(attrs={"rows": 3}),
    }
    initials = {
        "unit": Unit.KG,
        "frequency": Recurrence.ONCE,
        "accepted_pricing": Need.AcceptedPricing.DONATION_ONLY,
        "urgency": 2,
    }
    window_days = 14
    shown_required = ("max_price_per_unit",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False  # the categories' names when left empty
        self.fields["unit"].choices = Unit.choices  # a crate is refused with a message, not hidden

    def _set_category_choices(self) -> None:
        self.fields["categories"].widget.choices = family_choices()

    def _prefill_from_profile(self, organization: Organization) -> None:
        profile = getattr(organization, "structure_profile", None)
        if profile is not None:
            self.initial.setdefault("has_fridge", profile.has_fridge)
            self.initial.setdefault("has_freezer", profile.has_freezer)
            self.initial.setdefault("has_vehicle", profile.vehicle != "none")
            self.initial.setdefault("pickup_radius_km", profile.pickup_radius_km)
            self.initial.setdefault("chilled_capacity_kg", profile.chilled_capacity_kg)
            self.initial.setdefault("frozen_capacity_kg", profile.frozen_capacity_kg)
            if profile.monthly_budget_eur:
                self.initial.setdefault("accepted_pricing", Need.AcceptedPricing.PURCHASE)

    def _prefill_from_instance(self, instance) -> None:
        self.fields["categories"].widget.choices = category_choices(blank=False)
        super()._prefill_from_instance(instance)

    def _instance_initial(self, instance, name: str):
        if name == "categories":
            return [str(c.pk) for c in instance.categories.all()]
        if name == "distribution_days":
            return [str(d) for d in instance.distribution_days or []]
        if name in MEANS_FIELDS:
            return instance.means[name]  # the profile's when the need has none of its own
        return super()._instance_initial(instance, name)

    def data_for_service(self) -> NeedData:
        """The validated need for ``listings.need_create`` / ``need_update``."""
        values = self._filled(NeedInput)
        if not values.get("title") and values.get("categories"):
            values["title"] = ", ".join(c.name for c in values["categories"])[:120]
        return NeedData(**values, given=self._given(NeedInput, values))


class DeclineForm(forms.Form):
    REASONS = [
        ("", _("Choisissez un motif")),
        ("quantité", _("La quantité ne convient pas")),
        ("dates", _("Les dates ne conviennent pas")),
        ("distance", _("Trop loin")),
        ("prix", _("Le prix ne convient pas")),
        ("déjà pourvu", _("Déjà pourvu ailleurs")),
        ("autre", _("Autre")),
    ]
    reason = forms.ChoiceField(label=_("Motif du refus"), choices=REASONS)
    detail = forms.CharField(label=_("Précision (facultatif)"), max_length=200, required=False)

    def reason_text(self) -> str:
        labels = dict(self.REASONS)
        text = str(labels.get(self.cleaned_data["reason"], self.cleaned_data["reason"]))
        if self.cleaned_data.get("detail"):
            text = f"{text} : {self.cleaned_data['detail']}"
        return text


class ScheduleForm(Dressed, ScheduleInput):
    labels = {"date": _("Date prévue"), "mode": _("Acheminement")}

    def __init__(self, *args, match: Match | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if match is not None:
            self.initial.setdefault("mode", match.mode)
            self.initial.setdefault("date", match.scheduled_for or timezone.localdate() + dt.timedelta(days=1))
            self.fields["date"].widget.attrs["id"] = f"id_date_{match.pk}"
            self.fields["mode"].widget.attrs["id"] = f"id_mode_{match.pk}"


class DeliveryConfirmForm(Dressed, DeliveryInput):
    labels = {
        "quantity_received": _("Quantité reçue"),
        "delivered_on": _("Reçu le"),
        "note": _("Remarque (facultatif)"),
    }
    people_numbers = True

    def __init__(self, *args, match: Match | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("delivered_on", timezone.localdate())
        if match is not None:
            self.initial.setdefault("quantity_received", match.quantity)
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"id_{name}_{match.pk}"


class ManualMatchForm(Dressed, ProposeInput):
    """The officer's pairing: the offer and the need chosen among the territory's open ones."""

    labels = {"quantity": _("Quantité")}
    people_numbers = True

    offer = forms.ChoiceField(label=_("Offre"))
    need = forms.ChoiceField(label=_("Besoin"))

    def __init__(self, *args, offers, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {str(o.pk): o for o in offers}
        self.needs = {str(n.pk): n for n in needs}
        self.fields["offer"].choices = [("", _("Choisissez une offre"))] + [
            (
                pk,
                f"{o.product_name} · {quantity_text(o.quantity_available, o.unit)} · "
                f"{o.organization.name} ({o.organization.commune.name})",
            )
            for pk, o in self.offers.items()
        ]
        self.fields["need"].choices = [("", _("Choisissez un besoin"))] + [
            (
                pk,
                f"{n.title} · {quantity_text(n.quantity_open, n.unit)} · "
                f"{n.organization.name} ({n.organization.commune.name})",
            )
            for pk, n in self.needs.items()
        ]

    def clean_offer(self):
        return self.offers[self.cleaned_data["offer"]]

    def clean_need(self):
        return self.needs[self.cleaned_data["need"]]


class StructureRequestForm(Dressed, RequestInput):
    """« Je suis intéressé·e » : the need (among the structure's open ones) and the quantity."""

    people_numbers = True

    need = forms.ChoiceField(label=_("Pour quel besoin ?"))

    def __init__(self, *args, offer, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.fields.pop("offer")
        self.fields["quantity"].label = _("Quantité demandée (%(unit)s)") % {"unit": offer.get_unit_display()}
        self.needs = {str(n.pk): n for n in needs}
        self.fields["need"].choices = [
            (pk, f"{n.title} · {quantity_text(n.quantity_open, n.unit)} · {n.organization.name}")
            for pk, n in self.needs.items()
        ]

    def clean_need(self):
        return self.needs[self.cleaned_data["need"]]


class MapFilterForm(forms.Form):
    """Filters of the map and its table (GET)."""

    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[
            ("", _("Ouvertes (publiées ou en partie pourvues)")),
            ("published", _("Publiées")),
            ("partly_matched", _("En partie pourvues")),
            ("fully_matched", _("Entièrement pourvues")),
        ],
    )
    pricing = forms.ChoiceField(
        label=_("Conditions"), required=False, choices=[("", _("Toutes"))] + list(Pricing.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + category_choices(blank=False)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
