"""Forms of the logistics pages: the inputs of ``logistics.inputs`` dressed for a page (labels,
widgets, the organizations one may choose). The fields, and so the parsing, stay the inputs';
the services check the rest, as for the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actors import permissions
from actors.forms import CommuneInput
from actors.models import Membership, Organization, User
from logistics import inputs
from miam.forms import Dressed
from miam.inputs import ClockField, CountField, FieldErrors
from offers.models import Logistics, Offer

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
#: Slot rows a gleaning day's page offers (the API takes any number).
SLOT_ROWS = 3


def _organization_choices(principal, kinds=None) -> list[tuple]:
    qs = permissions.editable_organizations(principal).filter(is_active=True).select_related("commune")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return [("", "—")] + [(o.pk, f"{o.name} ({o.commune.name})") for o in qs.order_by("name")[:500]]


def _people_choices(principal) -> list[tuple]:
    """The people of one's organizations: the driver pool is made of them."""
    org_ids = permissions.editable_organizations(principal).values("pk")
    user_ids = Membership.objects.filter(organization_id__in=org_ids).values("user_id")
    return [(u.pk, str(u)) for u in User.objects.filter(pk__in=user_ids).order_by("last_name", "first_name")[:300]]


class _ServiceData:
    data_class = None

    def data_for_service(self):
        names = set(type(self).input_class.base_fields)
        values = {k: v for k, v in self.cleaned_data.items() if k in names}
        return self.data_class(**values, given=frozenset(values), errors=FieldErrors())


class VehicleForm(_ServiceData, Dressed, inputs.VehicleInput):
    input_class = inputs.VehicleInput
    data_class = inputs.VehicleData
    labels = {
        "organization": _("Organisation propriétaire"),
        "name": _("Nom du véhicule"),
        "kind": _("Type de véhicule"),
        "capacity_kg": _("Charge utile (kg)"),
        "is_refrigerated": _("Véhicule réfrigéré"),
        "days_available": _("Jours de disponibilité"),
        "available_from": _("Disponible à partir de"),
        "available_until": _("Disponible jusqu'à"),
        "max_duration_min": _("Durée maximale d'une tournée (minutes)"),
        "drivers": _("Chauffeur·es (employé·es ou bénévoles)"),
    }
    help_texts = {
        "drivers": _("Personnes de l'organisation. Sans personne cochée, tout membre peut conduire."),
        "max_duration_min": _("Par exemple 240 pour quatre heures."),
        "kind": _("Il fixe le facteur CO₂e des kilomètres de ses tournées."),
    }
    widgets = {"available_from": TIME, "available_until": TIME, "drivers": forms.CheckboxSelectMultiple()}
    initials = {"available_from": "08:00", "available_until": "18:00", "max_duration_min": 480}
    people_numbers = True

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].widget = forms.Select(choices=_organization_choices(principal))
        self.fields["drivers"].widget.choices = _people_choices(principal)

    @staticmethod
    def initial_from(vehicle) -> dict:
        return {
            "organization": vehicle.organization_id,
            "name": vehicle.name,
            "kind": vehicle.kind,
            "capacity_kg": vehicle.capacity_kg,
            "is_refrigerated": vehicle.is_refrigerated,
            "days_available": vehicle.days_available,
            "available_from": vehicle.available_from,
            "available_until": vehicle.available_until,
            "max_duration_min": vehicle.max_duration_min,
            "drivers": [u.pk for u in vehicle.drivers.all()],
        }


class HubForm(_ServiceData, Dressed, inputs.HubInput):
    input_class = inputs.HubInput
    data_class = inputs.HubData
    labels = {
        "organization": _("Organisation gestionnaire"),
        "name": _("Nom (hub, chambre froide)"),
        "commune": _("Commune"),
        "chilled_capacity_kg": _("Capacité réfrigérée (kg)"),
        "frozen_capacity_kg": _("Capacité congelée (kg)"),
        "dry_capacity_kg": _("Capacité sèche (kg)"),
        "opening_days": _("Jours d'ouverture"),
        "opens_at": _("Ouvre à"),
        "closes_at": _("Ferme à"),
    }
    help_texts = {"commune": _("Tapez le début du nom : les communes s'affichent.")}
    widgets = {"commune": CommuneInput(), "opens_at": TIME, "closes_at": TIME}
    initials = {"opens_at": "08:00", "closes_at": "18:00"}

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].widget = forms.Select(choices=_organization_choices(principal))

    @staticmethod
    def initial_from(hub) -> dict:
        return {
            "organization": hub.organization_id,
            "name": hub.name,
            "commune": hub.commune.insee_code,
            "chilled_capacity_kg": hub.chilled_capacity_kg,
            "frozen_capacity_kg": hub.frozen_capacity_kg,
            "dry_capacity_kg": hub.dry_capacity_kg,
            "opening_days": hub.opening_days,
            "opens_at": hub.opens_at,
            "closes_at": hub.closes_at,
        }


class GleaningForm(Dressed, inputs.GleaningInput):
    """A gleaning day with up to ``SLOT_ROWS`` slots (rows left empty are not slots); each slot
    row is read by the input's ``SlotInput``, as the API's ``slots`` list is."""

    labels = {
        "offer": _("Offre de glanage"),
        "place": _("Lieu (parcelle, lieu-dit)"),
        "commune": _("Commune"),
        "date": _("Date"),
        "starts_at": _("Début"),
        "ends_at": _("Fin"),
        "agreement_reference": _("Convention de glanage (référence)"),
        "insurance_reference": _("Assurance responsabilité civile (référence)"),
    }
    help_texts = {
        "commune": _("Tapez le début du nom : les communes s'affichent."),
        "agreement_reference": _("Obligatoire pour confirmer la journée."),
        "insurance_reference": _("Obligatoire pour confirmer la journée."),
    }
    widgets = {"commune": CommuneInput(), "starts_at": TIME, "ends_at": TIME}
    slots = None  # the rows below

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        # Filtered here, not in SQL: the embedded SQLite has no JSON "contains".
        offers = [
            o
            for o in Offer.objects.filter(organization__in=permissions.editable_organizations(principal))
            .select_related("organization")
            .order_by("-id")[:500]
            if Logistics.GLEANING in (o.logistics or [])
        ]
        self.fields["offer"].widget = forms.Select(
            choices=[("", "—")] + [(o.pk, f"{o.product_name} ({o.organization.name})") for o in offers]
        )
        for row in range(SLOT_ROWS):
            first = row == 0
            self.fields[f"slot_{row}_starts_at"] = ClockField(
                label=_("Créneau %(n)s : début") % {"n": row + 1}, required=False, widget=TIME
            )
            self.fields[f"slot_{row}_ends_at"] = ClockField(
                label=_("Créneau %(n)s : fin") % {"n": row + 1}, required=False, widget=TIME
            )
            self.fields[f"slot_{row}_volunteer_capacity"] = CountField(
                label=_("Créneau %(n)s : bénévoles attendu·es") % {"n": row + 1}, required=False
            )
            self.fields[f"slot_{row}_starts_at"].shown_required = first

    def data_for_service(self) -> inputs.GleaningData:
        names = set(inputs.GleaningInput.base_fields) - {"slots"}
        values = {k: v for k, v in self.cleaned_data.items() if k in names}
        errors = FieldErrors()
        rows = []
        for row in range(SLOT_ROWS):
            slot = {
                key: self.cleaned_data.get(f"slot_{row}_{key}")
                for key in ("starts_at", "ends_at", "volunteer_capacity")
            }
            if any(v not in (None, "") for v in slot.values()):
                rows.append({k: v for k, v in slot.items() if v is not None})
        slots = inputs.slots_parse(rows, errors)
        return inputs.GleaningData(**values, slots=slots, given=frozenset(values) | {"slots"}, errors=errors)

    @staticmethod
    def field_of(name: str) -> str:
        """``slots.1.ends_at`` (the service's name) → ``slot_1_ends_at`` (this page's field)."""
        parts = name.split(".")
        if parts[0] == "slots" and len(parts) == 3:
            return f"slot_{parts[1]}_{parts[2]}"
        if parts[0] == "slots":
            return "slot_0_starts_at"
        return name


class MoveForm(Dressed, inputs.MoveInput):
    labels = {"date": _("Nouvelle date"), "starts_at": _("Début"), "ends_at": _("Fin")}
    widgets = {"starts_at": TIME, "ends_at": TIME}


class PapersForm(Dressed, inputs.PapersInput):
    labels = {
        **GleaningForm.labels,
        "agreement_document": _("Convention de glanage (PDF)"),
        "insurance_document": _("Attestation d'assurance (PDF)"),
    }
    help_texts = {
        "agreement_document": _("Une référence ou le document suffit."),
        "insurance_document": _("5 Mo au plus."),
    }


class SignupForm(Dressed, inputs.SignupInput):
    """A sign-up: a resident gives a name and consent; a structure's member may sign up its volunteers."""

    labels = {
        "name": _("Nom et prénom"),
        "email": _("E-mail (facultatif)"),
        "volunteers": _("Nombre de personnes"),
        "consent": _("J'accepte que l'organisateur me contacte pour cette journée"),
        "structure": _("Pour la structure (facultatif)"),
    }
    help_texts = {"email": _("Pour être prévenu·e si la date change.")}
    widgets = {"email": forms.EmailInput()}
    initials = {"volunteers": 1}

    slot = forms.ChoiceField(label=_("Créneau"), widget=forms.RadioSelect)
    field_order = ["slot", "name", "email", "volunteers", "structure", "consent"]

    def __init__(self, *args, slots=(), principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(s.pk, s.label) for s in slots]
        structures = (
            _organization_choices(principal, kinds=[Organization.Kind.FOOD_AID])
            if getattr(principal, "is_authenticated", False)
            else []
        )
        if len(structures) > 1:
            self.fields["structure"].widget = forms.Select(choices=structures)
        else:
            del self.fields["structure"]


class HarvestForm(Dressed, inputs.HarvestInput):
    labels = {"structure": _("Structure"), "quantity_kg": _("Quantité glanée (kg)")}
    people_numbers = True

    def __init__(self, *args, structures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].widget = forms.Select(choices=[("", "—")] + [(o.pk, o.name) for o in structures])


class RoundPlanForm(Dressed, inputs.RoundPlanInput):
    labels = {
        "territory": _("Territoire"),
        "day": _("Jour"),
        "hub": _("Par le hub (facultatif)"),
        "cross_dock": _("Groupage au hub : les enlèvements vont au hub, puis une seconde tournée livre les structures"),
    }

    def __init__(self, *args, principal, **kwargs):
        from actors.models import Territory
        from logistics.models import Hub

        super().__init__(*args, **kwargs)
        territories = Territory.objects.filter(pk__in=permissions.officer_territory_ids(principal)).order_by("name")
        self.fields["territory"].widget = forms.Select(choices=[(t.pk, t.name) for t in territories])
        hubs = Hub.objects.filter(is_active=True, commune__territories__in=territories).distinct().order_by("name")
        self.fields["hub"].widget = forms.Select(choices=[("", "—")] + [(h.pk, h.name) for h in hubs])

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in inputs.RoundPlanInput.base_fields}


class RoundForm(Dressed, inputs.RoundInput):
    """A round by hand: a territory and a day, a vehicle that serves it, matches among those of
    the day (``selectors.round_candidates``), each with the hours its farm and structure keep
    that weekday. A match outside the list still reaches the service, which says why not."""

    labels = {
        "territory": _("Territoire"),
        "day": _("Jour"),
        "vehicle": _("Véhicule"),
        "matches": _("Arrêts : mises en relation à transporter"),
    }
    help_texts = {
        "matches": _("Chaque mise en relation est un enlèvement à la ferme puis une livraison à la structure."),
    }
    widgets = {"matches": forms.CheckboxSelectMultiple()}

    def __init__(self, *args, territories, territory=None, day=None, editing=None, **kwargs):
        from logistics import selectors
        from logistics.services import rounds

        super().__init__(*args, **kwargs)
        self.fields["territory"].widget = forms.Select(choices=[(t.pk, t.name) for t in territories])
        vehicles = {}
        for t in territories:
            for v in selectors.territory_vehicles(t.pk).select_related("organization").order_by("name"):
                vehicles[v.pk] = v
        self.fields["vehicle"].widget = forms.Select(
            choices=[("", "—")] + [(v.pk, _vehicle_label(v)) for v in vehicles.values()]
        )
        self.candidates = []
        if territory is not None and day is not None:
            self.candidates = list(selectors.round_candidates(territory=territory, day=day, editing=editing))
        org_ids = {m.offer.organization_id for m in self.candidates} | {m.need.organization_id for m in self.candidates}
        hours = rounds.windows_for(org_ids, day.weekday()) if day is not None else {}
        self.fields["matches"].widget.choices = [(m.pk, _match_label(m, hours)) for m in self.candidates]

    #: The page's name of the ``matches`` field: a form control named « matches » would hide
    #: the form element's own ``matches()`` method from every script (DOM clobbering).
    HTML_NAMES = {"matches": "lots"}

    def add_prefix(self, field_name):
        return super().add_prefix(self.HTML_NAMES.get(field_name, field_name))

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in inputs.RoundInput.base_fields}


def _vehicle_label(vehicle) -> str:
    cold = gettext("réfrigéré") if vehicle.is_refrigerated else gettext("non réfrigéré")
    return f"{vehicle.name} ({vehicle.organization.name}) · {_number(vehicle.capacity_kg)} kg · {cold}"


def _number(value) -> str:
    """1000.0 → « 1000 », 12.5 → « 12,5 » (the page's language)."""
    from django.utils.formats import number_format

    value = value.normalize() if hasattr(value, "normalize") else value
    return number_format(value, use_l10n=True)


def _hours(windows) -> str:
    return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in windows or [])


def _match_label(match, hours) -> str:
    from products.models import Storage

    farm, structure = match.offer.organization, match.need.organization
    kg = match.quantity_kg or match.quantity
    cold = f" · {Storage(match.offer.storage).label}" if match.offer.storage != Storage.AMBIENT else ""
    return gettext(
        "n° %(id)s · %(product)s, %(kg)s kg%(cold)s · %(farm)s (%(farm_commune)s, %(farm_hours)s) → "
        "%(structure)s (%(structure_commune)s, %(structure_hours)s)"
    ) % {
        "id": match.pk,
        "product": match.offer.product_name,
        "kg": _number(kg),
        "cold": cold,
        "farm": farm.name,
        "farm_commune": farm.commune.name,
        "farm_hours": _hours(hours.get(farm.pk)),
        "structure": structure.name,
        "structure_commune": structure.commune.name,
        "structure_hours": _hours(hours.get(structure.pk)),
    }


#: Windows per weekday the page offers (the API takes up to ``inputs.MAX_WINDOWS_PER_DAY``).
HOURS_ROWS = 2


class WeekHoursForm(forms.Form):
    """A week of opening hours, one fieldset per day with ``HOURS_ROWS`` windows (more when
    more are recorded); a row left empty is no window. The rows are read by
    ``inputs.week_hours_data``, as the API's list is."""

    def __init__(self, *args, recorded=(), **kwargs):
        from django.utils.dates import WEEKDAYS

        super().__init__(*args, **kwargs)
        per_day: dict[int, list] = {}
        for row in recorded:
            per_day.setdefault(row.weekday, []).append(row)
        self.days = []
        for weekday in range(7):
            rows = []
            for n in range(max(HOURS_ROWS, len(per_day.get(weekday, [])))):
                names = (f"d{weekday}_{n}_opens_at", f"d{weekday}_{n}_closes_at")
                for name, label in zip(names, (_("De"), _("À")), strict=True):
                    self.fields[name] = ClockField(label=label, required=False, widget=TIME)
                known = per_day.get(weekday, [])
                if n < len(known):
                    self.initial[names[0]], self.initial[names[1]] = known[n].opens_at, known[n].closes_at
                rows.append(names)
            self.days.append({"weekday": weekday, "label": WEEKDAYS[weekday], "rows": rows})
        self._rows: list[tuple[int, int]] = []

    def rows_of_days(self):
        """Each day with its rows of bound fields, for the template."""
        return [
            {"label": day["label"], "rows": [[self[name] for name in row] for row in day["rows"]]} for day in self.days
        ]

    def data_for_service(self) -> inputs.WeekHoursData:
        rows, self._rows = [], []
        for day in self.days:
            for n, (opens, closes) in enumerate(day["rows"]):
                values = {"opens_at": self.cleaned_data.get(opens), "closes_at": self.cleaned_data.get(closes)}
                if any(v is not None for v in values.values()):
                    rows.append({"weekday": day["weekday"], **{k: v for k, v in values.items() if v is not None}})
                    self._rows.append((day["weekday"], n))
        return inputs.week_hours_data({"hours": rows})

    def field_of(self, name: str) -> str:
        """``hours.3.closes_at`` (the input's name) → ``d1_0_closes_at`` (this page's field)."""
        parts = name.split(".")
        if parts[0] == "hours" and len(parts) == 3 and parts[1].isdecimal() and int(parts[1]) < len(self._rows):
            weekday, n = self._rows[int(parts[1])]
            return f"d{weekday}_{n}_{parts[2]}"
        return name
