"""Forms of the offers pages: they only shape input; the services validate the rules.

Every form is prefilled from the organization's profile so that posting takes less than a
minute on a phone: what is rarely changed sits in a « plus de détails » section.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import Organization
from actors.services import FARM_LABELS
from miam.formatting import quantity_text
from miam.forms import DecimalCommaField
from offers.models import Logistics, Match, Need, Pricing, ProductCategory, Recurrence, Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECIMAL_ATTRS = {"inputmode": "decimal", "step": "any", "min": "0"}
LABEL_CHOICES = list(FARM_LABELS.items())


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
        options = [(str(parent.pk), _("%(name)s (tout)") % {"name": parent.name})]
        options += [(str(child.pk), child.name) for child in children.get(parent.pk, [])]
        groups.append((parent.name, options))
    return groups


def family_choices() -> list:
    return [(str(c.pk), c.name) for c in ProductCategory.objects.filter(parent__isnull=True).order_by("sort_order")]


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


class ListingFormMixin(OrganizationChoiceMixin):
    """What the offer and need forms share: default dates, prefilling from the profile (new
    listing) or from the instance (edit), and the essential / folded split of the fields."""

    window_days: int
    essential_fields: tuple[str, ...]
    # Required only for some choices (a sale, a purchase): marked « * », shown when they apply.
    required_when_shown: tuple[str, ...] = ()

    def __init__(self, *args, organizations, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self._set_category_choices()
        self._set_organizations(organizations)
        for name in self.required_when_shown:
            self.fields[name].shown_required = True
        today = timezone.localdate()
        self.initial.setdefault("window_start", today)
        self.initial.setdefault("window_end", today + dt.timedelta(days=self.window_days))
        if instance is None and self.organizations:
            self._prefill_from_profile(self._profile_organization())
        if instance is not None:
            self._prefill_from_instance(instance)

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


class OfferForm(ListingFormMixin, forms.Form):
    organization = forms.ChoiceField(label=_("Pour"))
    category = forms.ChoiceField(label=_("Quoi ?"), help_text=_("Choisissez la famille ou le produit précis."))
    product_name = forms.CharField(
        label=_("Nom du produit"),
        max_length=120,
        required=False,
        help_text=_("Par exemple « Pommes de terre Charlotte ». Vide : le nom de la catégorie."),
    )
    quantity = DecimalCommaField(
        max_digits=12, decimal_places=3, label=_("Quantité"), widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )
    unit = forms.ChoiceField(label=_("Unité"), choices=Unit.choices, initial=Unit.KG)
    window_start = forms.DateField(label=_("Disponible à partir du"), widget=DATE_WIDGET)
    window_end = forms.DateField(label=_("Jusqu'au"), widget=DATE_WIDGET)
    pricing = forms.ChoiceField(
        label=_("Conditions"),
        choices=[
            (Pricing.DONATION, _("Don")),
            (Pricing.SOLIDARITY, _("Prix solidaire")),
            (Pricing.MARKET, _("Prix du marché")),
        ],
        widget=forms.RadioSelect,
        initial=Pricing.DONATION,
    )
    price_per_unit = DecimalCommaField(
        max_digits=9,
        decimal_places=2,
        label=_("Prix demandé par unité (€)"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
        help_text=_("Obligatoire pour une vente (prix solidaire ou prix du marché)."),
    )
    usual_price_per_unit = DecimalCommaField(
        max_digits=9,
        decimal_places=2,
        label=_("Prix habituel par unité (€)"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
        help_text=_("Obligatoire pour un prix solidaire : la remise apparaît aux structures."),
    )
    logistics = forms.MultipleChoiceField(
        label=_("Qui transporte ?"), choices=Logistics.choices, widget=forms.CheckboxSelectMultiple
    )
    delivery_radius_km = DecimalCommaField(
        label=_("Je livre jusqu'à (km)"), required=False, widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )
    recurrence = forms.ChoiceField(
        label=_("Chaque semaine, chaque mois ?"),
        choices=Recurrence.choices,
        widget=forms.RadioSelect,
        initial=Recurrence.ONCE,
    )
    # --- more details (folded) ---
    min_quantity = DecimalCommaField(
        max_digits=12,
        decimal_places=3,
        label=_("Quantité minimale par enlèvement"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
    )
    crate_kg = DecimalCommaField(
        max_digits=12,
        decimal_places=3,
        label=_("Poids d'une cagette (kg)"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
        help_text=_("Si l'unité est la cagette."),
    )
    labels = forms.MultipleChoiceField(
        label=_("Labels"), choices=LABEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    lot_number = forms.CharField(label=_("Numéro de lot"), max_length=60, required=False)
    use_by = forms.DateField(label=_("Date limite de consommation"), required=False, widget=DATE_WIDGET)
    description = forms.CharField(label=_("Remarques"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.ImageField(label=_("Photo"), required=False)

    essential_fields = (
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
    )
    window_days = 7
    required_when_shown = ("price_per_unit", "usual_price_per_unit")

    def _set_category_choices(self) -> None:
        self.fields["category"].choices = category_choices()

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

    def service_kwargs(self) -> dict:
        """What the service needs, from the cleaned data (empty optional fields left out)."""
        data = dict(self.cleaned_data)
        category = ProductCategory.objects.filter(pk=data.pop("category")).first()
        kwargs = {"organization": data.pop("organization"), "category": category or data.get("category")}
        if not data.get("product_name") and category is not None:
            data["product_name"] = category.name
        for name, value in data.items():
            if value in (None, "") and name not in ("product_name",):
                continue
            if name == "photo" and not value:
                continue
            kwargs[name] = value
        return kwargs


class NeedForm(ListingFormMixin, forms.Form):
    organization = forms.ChoiceField(label=_("Pour"))
    categories = forms.MultipleChoiceField(
        label=_("De quoi avez-vous besoin ?"), widget=forms.CheckboxSelectMultiple, help_text=_("Une ou plusieurs.")
    )
    title = forms.CharField(
        label=_("En quelques mots"),
        max_length=120,
        required=False,
        help_text=_("Par exemple « Légumes pour la distribution du jeudi ». Vide : les catégories choisies."),
    )
    quantity = DecimalCommaField(
        max_digits=12, decimal_places=3, label=_("Quantité"), widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )
    unit = forms.ChoiceField(label=_("Unité"), choices=Unit.choices, initial=Unit.KG)
    window_start = forms.DateField(label=_("À partir du"), widget=DATE_WIDGET)
    window_end = forms.DateField(label=_("Jusqu'au"), widget=DATE_WIDGET)
    frequency = forms.ChoiceField(
        label=_("Chaque semaine, chaque mois ?"),
        choices=[
            (Recurrence.ONCE, _("une fois")),
            (Recurrence.WEEKLY, _("chaque semaine")),
            (Recurrence.MONTHLY, _("chaque mois")),
        ],
        widget=forms.RadioSelect,
        initial=Recurrence.ONCE,
    )
    accepted_pricing = forms.ChoiceField(
        label=_("Conditions"),
        choices=Need.AcceptedPricing.choices,
        widget=forms.RadioSelect,
        initial=Need.AcceptedPricing.DONATION_ONLY,
    )
    max_price_per_unit = DecimalCommaField(
        max_digits=9,
        decimal_places=2,
        label=_("Prix maximum par unité (€)"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
        help_text=_("Obligatoire si vous pouvez acheter."),
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgence"), choices=Need.Urgency.choices, coerce=int, widget=forms.RadioSelect, initial=2
    )
    has_fridge = forms.BooleanField(label=_("Nous avons un frigo ou une chambre froide"), required=False)
    # --- more details (folded) ---
    budget_eur = DecimalCommaField(
        max_digits=9,
        decimal_places=2,
        label=_("Budget (€)"),
        required=False,
        widget=forms.NumberInput(attrs=DECIMAL_ATTRS),
    )
    has_freezer = forms.BooleanField(label=_("Nous avons un congélateur"), required=False)
    has_vehicle = forms.BooleanField(label=_("Nous pouvons venir chercher"), required=False)
    pickup_radius_km = DecimalCommaField(
        label=_("Jusqu'à (km)"), required=False, widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )
    preferred_labels = forms.MultipleChoiceField(
        label=_("Labels souhaités"), choices=LABEL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=_("Remarques"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    essential_fields = (
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
    )
    window_days = 14
    required_when_shown = ("max_price_per_unit",)

    def _set_category_choices(self) -> None:
        self.fields["categories"].choices = family_choices()

    def _prefill_from_profile(self, organization: Organization) -> None:
        profile = getattr(organization, "structure_profile", None)
        if profile is not None:
            self.initial.setdefault("has_fridge", profile.has_fridge)
            self.initial.setdefault("has_freezer", profile.has_freezer)
            self.initial.setdefault("has_vehicle", profile.vehicle != "none")
            self.initial.setdefault("pickup_radius_km", profile.pickup_radius_km)
            if profile.monthly_budget_eur:
                self.initial.setdefault("accepted_pricing", Need.AcceptedPricing.PURCHASE)

    def _prefill_from_instance(self, instance) -> None:
        self.fields["categories"].choices = category_choices(blank=False)
        super()._prefill_from_instance(instance)

    def _instance_initial(self, instance, name: str):
        if name == "categories":
            return [str(c.pk) for c in instance.categories.all()]
        return super()._instance_initial(instance, name)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        kwargs = {"organization": data.pop("organization"), "categories": data.pop("categories")}
        if not data.get("title"):
            names = dict(self.fields["categories"].choices)
            data["title"] = ", ".join(str(names.get(c, c)) for c in kwargs["categories"])[:120]
        for name, value in data.items():
            if value in (None, ""):
                continue
            kwargs[name] = value
        return kwargs


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


class ScheduleForm(forms.Form):
    date = forms.DateField(label=_("Date prévue"), widget=DATE_WIDGET)
    mode = forms.ChoiceField(label=_("Acheminement"), choices=Logistics.choices)

    def __init__(self, *args, match: Match | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if match is not None:
            self.initial.setdefault("mode", match.mode)
            self.initial.setdefault("date", match.scheduled_for or timezone.localdate() + dt.timedelta(days=1))
            self.fields["date"].widget.attrs["id"] = f"id_date_{match.pk}"
            self.fields["mode"].widget.attrs["id"] = f"id_mode_{match.pk}"


class DeliveryConfirmForm(forms.Form):
    quantity_received = DecimalCommaField(
        max_digits=12, decimal_places=3, label=_("Quantité reçue"), widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )
    delivered_on = forms.DateField(label=_("Reçu le"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Remarque (facultatif)"), max_length=300, required=False)

    def __init__(self, *args, match: Match | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("delivered_on", timezone.localdate())
        if match is not None:
            self.initial.setdefault("quantity_received", match.quantity)
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"id_{name}_{match.pk}"


class ManualMatchForm(forms.Form):
    offer = forms.ChoiceField(label=_("Offre"))
    need = forms.ChoiceField(label=_("Besoin"))
    quantity = DecimalCommaField(
        max_digits=12, decimal_places=3, label=_("Quantité"), widget=forms.NumberInput(attrs=DECIMAL_ATTRS)
    )

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


class MapFilterForm(forms.Form):
    """Filters of the map and its table (GET)."""

    LAYERS = [
        ("farms", _("Fermes")),
        ("structures", _("Structures d'aide alimentaire")),
        ("offers", _("Offres ouvertes")),
        ("needs", _("Besoins ouverts")),
        ("initiatives", _("Initiatives")),
    ]
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
