import copy

from django import forms
from django.contrib.auth import forms as auth_forms
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from actors import inputs
from actors.inputs import FarmProfileInput, OrganizationData, OrganizationInput, StructureProfileInput
from actors.models import User
from miam import mail
from miam.forms import Dressed, typed_by_people
from miam.inputs import FlagField, NumberField


class InvitationAcceptForm(Dressed, inputs.InvitationAcceptInput):
    """The account an invitation creates (``actors.inputs``; the service checks the password)."""

    labels = {"first_name": _("Prénom"), "last_name": _("Nom"), "password": _("Mot de passe")}
    widgets = {"password": forms.PasswordInput()}


class ProfileForm(Dressed, inputs.ProfileInput):
    """One's own profile (``actors.inputs.ProfileInput``), shown with what it holds."""

    def __init__(self, *args, instance: User, **kwargs):
        kwargs.setdefault("initial", {name: getattr(instance, name) for name in inputs.ProfileInput.base_fields})
        super().__init__(*args, **kwargs)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou commune"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type d'acteur"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from actors.models import Organization

        self.fields["kind"].choices = [("", _("Tous"))] + list(Organization.Kind.choices)


def _dressed(form_class, name: str, label, *, required: bool | None = None, **attrs):
    """A field of an input (``actors.inputs``) dressed for a page: its label, its widget's
    attributes; the validation stays the input's."""
    field = copy.deepcopy(form_class.base_fields[name])
    field.label = label
    if required is not None:
        field.required = required
    if isinstance(field, NumberField):
        typed_by_people(field)
    field.widget.attrs.update(attrs)
    return field


class OrganizationForm(forms.Form):
    """The organization's profile, with the fields of ``actors.inputs`` (their validation);
    farm and structure profile fields appear for those kinds only."""

    ORG_FIELDS = ("name", "address", "email", "phone", "website", "siret", "description")
    FARM_FIELDS = (
        "delivery_radius_km",
        "vehicle",
        "labels",
        "accepts_donation",
        "accepts_solidarity_price",
        "accepts_market_price",
    )
    STRUCTURE_FIELDS = (
        "structure_type",
        "people_served_per_week",
        "distribution_hours",
        "has_fridge",
        "chilled_capacity_kg",
        "has_freezer",
        "frozen_capacity_kg",
        "vehicle",
        "pickup_radius_km",
        "monthly_budget_eur",
        "gleaning_volunteers",
        "issues_donation_receipts",
        "donation_receipt_reference",
    )

    def __init__(self, *args, organization, communes, **kwargs):
        super().__init__(*args, **kwargs)
        from actors.models import FarmProfile, Organization, StructureProfile

        self.organization = organization
        org = OrganizationInput
        self.fields["name"] = _dressed(org, "name", _("Nom"))
        self.fields["commune"] = forms.ChoiceField(
            label=_("Commune"), choices=[(c.insee_code, f"{c.name} ({c.insee_code})") for c in communes]
        )
        self.fields["address"] = _dressed(org, "address", _("Adresse"))
        self.fields["address"].help_text = _("Jamais publiée.")
        self.fields["email"] = _dressed(org, "email", _("E-mail de contact"))
        self.fields["email"].widget = forms.EmailInput()
        self.fields["email"].help_text = _("Visible par l'équipe du PAT.")
        self.fields["phone"] = _dressed(org, "phone", _("Téléphone"))
        self.fields["website"] = _dressed(org, "website", _("Site web"))
        self.fields["siret"] = _dressed(org, "siret", _("SIRET"))
        self.fields["description"] = _dressed(org, "description", _("Présentation"))
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 3})
        for name in self.ORG_FIELDS:
            self.initial.setdefault(name, getattr(organization, name))
        self.initial.setdefault("commune", organization.commune.insee_code)
        self.profile_kind = ""
        if organization.kind == Organization.Kind.FARM:
            self.profile_kind = "farm"
            profile = getattr(organization, "farm_profile", None) or FarmProfile(organization=organization)
            farm = FarmProfileInput
            self.fields["delivery_radius_km"] = _dressed(
                farm, "delivery_radius_km", _("Je livre jusqu'à (km)"), required=True
            )
            self.fields["vehicle"] = _dressed(farm, "vehicle", _("Véhicule"), required=True)
            self.fields["labels"] = _dressed(farm, "labels", _("Labels"))
            self.fields["accepts_donation"] = _dressed(farm, "accepts_donation", _("Ouvert au don"))
            self.fields["accepts_solidarity_price"] = _dressed(
                farm, "accepts_solidarity_price", _("Ouvert au prix solidaire")
            )
            self.fields["accepts_market_price"] = _dressed(farm, "accepts_market_price", _("Vend au prix du marché"))
            for name in self.FARM_FIELDS:
                self.initial.setdefault(name, getattr(profile, name))
        elif organization.kind == Organization.Kind.FOOD_AID:
            self.profile_kind = "structure"
            profile = getattr(organization, "structure_profile", None) or StructureProfile(
                organization=organization, structure_type="other"
            )
            aid = StructureProfileInput
            self.fields["structure_type"] = _dressed(aid, "structure_type", _("Type de structure"), required=True)
            self.fields["people_served_per_week"] = _dressed(
                aid, "people_served_per_week", _("Personnes accueillies par semaine"), required=True
            )
            self.fields["distribution_hours"] = _dressed(aid, "distribution_hours", _("Horaires de distribution"))
            self.fields["has_fridge"] = _dressed(aid, "has_fridge", _("Chambre froide ou frigo"))
            self.fields["chilled_capacity_kg"] = _dressed(
                aid, "chilled_capacity_kg", _("Capacité réfrigérée (kg)"), required=True
            )
            self.fields["has_freezer"] = _dressed(aid, "has_freezer", _("Congélateur"))
            self.fields["frozen_capacity_kg"] = _dressed(
                aid, "frozen_capacity_kg", _("Capacité congelée (kg)"), required=True
            )
            self.fields["vehicle"] = _dressed(aid, "vehicle", _("Véhicule"), required=True)
            self.fields["pickup_radius_km"] = _dressed(
                aid, "pickup_radius_km", _("Nous pouvons venir chercher jusqu'à (km)"), required=True
            )
            self.fields["monthly_budget_eur"] = _dressed(
                aid, "monthly_budget_eur", _("Budget d'achat mensuel (€, 0 = dons uniquement)"), required=True
            )
            self.fields["gleaning_volunteers"] = _dressed(
                aid, "gleaning_volunteers", _("Bénévoles pour le glanage"), required=True
            )
            self.fields["issues_donation_receipts"] = _dressed(
                aid, "issues_donation_receipts", _("Habilitée à délivrer des reçus fiscaux pour les dons en nature")
            )
            self.fields["donation_receipt_reference"] = _dressed(
                aid,
                "donation_receipt_reference",
                _("Référence de l'habilitation (rescrit fiscal, reconnaissance d'utilité publique…)"),
            )
            for name in self.STRUCTURE_FIELDS:
                self.initial.setdefault(name, getattr(profile, name))
        for field in self.fields.values():
            if isinstance(field, FlagField):
                field.widget = forms.CheckboxInput()

    def organization_data(self) -> OrganizationData:
        """The typed input the service takes, from the fields this page shows."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.ORG_FIELDS}
        values["commune"] = data["commune"]
        farm = structure = None
        if self.profile_kind == "farm":
            farm = {name: data.get(name) for name in self.FARM_FIELDS}
            farm["labels"] = list(data.get("labels") or [])
        elif self.profile_kind == "structure":
            structure = {name: data.get(name) for name in self.STRUCTURE_FIELDS}
        return inputs.organization_data({**values, "farm_profile": farm, "structure_profile": structure}, partial=True)


class RegisterAndInviteForm(forms.Form):
    """An officer registers a farm or a structure of the territory and invites its contact at
    once: the organization's fields (``OrganizationInput``) and the invitation's address
    (``InvitationInput``); the page offers the territory's communes."""

    kind = _dressed(OrganizationInput, "kind", _("Type d'acteur"))
    name = _dressed(OrganizationInput, "name", _("Nom de l'organisation"))
    commune = _dressed(OrganizationInput, "commune", _("Commune"))
    email = _dressed(inputs.InvitationInput, "email", _("E-mail de la personne à inviter"))

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Choisissez")), *self.fields["kind"].choices]
        self.fields["commune"].widget = forms.Select(
            choices=[("", _("Choisissez une commune du territoire"))]
            + [(c.insee_code, f"{c.name} ({c.insee_code})") for c in communes]
        )


class InviteToOrganizationForm(Dressed, inputs.InvitationInput):
    """Invite someone to one of the organizations one edits (``InvitationInput``)."""

    labels = {"email": _("E-mail de la personne à inviter"), "organization_role": _("Rôle")}

    organization = forms.ChoiceField(label=_("Organisation"))
    territory_role = None
    field_order = ["organization", "email", "organization_role"]

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["organization"].choices = [("", _("Choisissez"))] + [
            (pk, f"{o.name} ({o.commune.name})") for pk, o in self.organizations.items()
        ]

    def clean_organization(self):
        return self.organizations[self.cleaned_data["organization"]]


class InviteToTerritoryForm(Dressed, inputs.InvitationInput):
    """Invite someone to a role on the page's territory (``InvitationInput``)."""

    labels = {"email": _("E-mail de la personne à inviter"), "territory_role": _("Rôle sur le territoire")}

    organization_role = None


class CommuneInput(forms.TextInput):
    """A text input whose suggestions come from the commune search (static/miam/communes.js fills
    the datalist as the person types); without JavaScript the server still understands a name."""

    template_name = "actors/widgets/commune_input.html"

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        attrs = {**(attrs or {}), "autocomplete": "off", "data-commune-search": reverse("commune-list")}
        attrs["list"] = f"{attrs.get('id') or 'id_' + name}-suggestions"
        return super().get_context(name, value, attrs)

    def format_value(self, value):
        from actors.models import Commune

        if isinstance(value, Commune):
            return commune_label(value)
        return super().format_value(value)


def commune_label(commune) -> str:
    """« Cluny (71) », what the suggestions show and the field reads back."""
    return f"{commune.name} ({commune.departement.code})"


class CommuneField(forms.CharField):
    """A commune by its name (« Cluny », « Cluny (71) »), its INSEE code or a postal code.

    A name shared by several communes is an error that lists them, never a silent guess; the
    communes of ``territory`` (when the form sets it) win over their namesakes elsewhere."""

    widget = CommuneInput

    def __init__(self, *args, territory=None, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(*args, **kwargs)
        self.territory = territory

    def prepare_value(self, value):
        from actors.models import Commune

        if isinstance(value, str) and len(value) == 5 and value[:2].isalnum():
            commune = Commune.objects.filter(insee_code=value).select_related("departement").first()
            if commune is not None:
                return commune_label(commune)
        return value

    def clean(self, value):
        import re

        from actors.models import Commune
        from actors.selectors import commune_search
        from miam.text import normalize

        text = (super().clean(value) or "").strip()
        if not text:
            return None
        if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", text):
            commune = Commune.objects.filter(insee_code=text).first()
            if commune is not None:
                return commune
        match = re.fullmatch(r"(.+?)\s*\((\w{2,3})\)", text)
        name, departement = (match.group(1), match.group(2)) if match else (text, "")
        candidates = list(commune_search(q=name, limit=20))
        if departement:
            candidates = [c for c in candidates if c.departement.code == departement.upper()]
        exact = [c for c in candidates if normalize(c.name) == normalize(name)] if not name.isdecimal() else candidates
        if self.territory is not None and len(exact) > 1:
            mine = set(self.territory.communes.filter(pk__in=[c.pk for c in exact]).values_list("pk", flat=True))
            if len(mine) == 1:
                exact = [c for c in exact if c.pk in mine]
        if len(exact) == 1:
            return exact[0]
        if not exact:
            raise forms.ValidationError(
                _("Commune introuvable : « %(name)s ». Choisissez-la dans la liste proposée."),
                params={"name": text},
                code="unknown_commune",
            )
        choices = ", ".join(commune_label(c) for c in exact[:6])
        raise forms.ValidationError(
            _("Plusieurs communes s'appellent « %(name)s » : %(choices)s. Précisez le département."),
            params={"name": name, "choices": choices},
            code="ambiguous_commune",
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, its e-mail through the outgoing-mail outbox (``miam.mail``): an SMTP
    server that refuses never fails the request, and the link goes out once it answers."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        html = render_to_string(html_email_template_name, context) if html_email_template_name else ""
        mail.email_queue(to=to_email, subject=subject, body=render_to_string(email_template_name, context), html=html)
