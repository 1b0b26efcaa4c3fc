"""Forms of the meeting pages. They only shape input; rules are checked by the services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actors.forms import CommuneField
from actors.models import Organization, Territory, User
from initiatives.models import PlannedAction
from meetings.models import Action, Meeting, Registration


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def territory_organizations(territory: Territory | None):
    qs = Organization.objects.filter(is_active=True).select_related("commune").order_by("kind", "name")
    if territory is not None:
        qs = qs.filter(commune__territories=territory)
    return qs


def territory_people(territory: Territory):
    return (
        User.objects.filter(
            Q(territory_roles__territory=territory) | Q(memberships__organization__commune__territories=territory),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()}, {obj.commune.name})"


class OrganizationMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()}, {obj.commune.name})"


class MeetingForm(forms.Form):
    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=Territory.objects.none())
    title = forms.CharField(label=_("Titre"), max_length=200)
    kind = forms.ChoiceField(label=_("Type de réunion"), choices=Meeting.Kind.choices, initial=Meeting.Kind.COLLECTIVE)
    starts_at = forms.DateTimeField(label=_("Début"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Fin"), widget=DateTimeLocalInput())
    host_organization = OrganizationChoiceField(
        label=_("Chez une organisation (ferme, structure…)"), queryset=Organization.objects.none(), required=False
    )
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    commune = CommuneField(
        label=_("Commune"), required=False, help_text=_("Tapez le début du nom : les communes s'affichent.")
    )
    online_url = forms.URLField(label=_("Lien de visioconférence"), required=False, assume_scheme="https")
    agenda = forms.CharField(label=_("Ordre du jour"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    capacity = forms.IntegerField(
        label=_("Nombre de places"), required=False, min_value=1, help_text=_("Vide : sans limite.")
    )
    visibility = forms.ChoiceField(
        label=_("Qui voit la réunion et peut s'inscrire"),
        choices=Meeting.Visibility.choices,
        initial=Meeting.Visibility.TERRITORY,
    )

    def __init__(self, *args, territories=None, territory=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].territory = territory
        if territory is not None:
            del self.fields["territory"]
            self.fields["host_organization"].queryset = territory_organizations(territory)
            return
        territories = territories if territories is not None else Territory.objects.none()
        self.fields["territory"].queryset = territories
        if len(territories) == 1:
            self.fields["territory"].initial = territories[0].pk
        # Organizations of every territory the officer manages; the service checks the rest.
        self.fields["host_organization"].queryset = (
            territory_organizations(None).filter(commune__territories__in=territories).distinct()
        )

    @classmethod
    def initial_from(cls, meeting: Meeting) -> dict:
        return {
            "title": meeting.title,
            "kind": meeting.kind,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "host_organization": meeting.host_organization_id,
            "address": meeting.address,
            "commune": meeting.commune.insee_code if meeting.commune_id else "",
            "online_url": meeting.online_url,
            "agenda": meeting.agenda,
            "capacity": meeting.capacity,
            "visibility": meeting.visibility,
        }


class RegistrationForm(forms.Form):
    participant = forms.ChoiceField(label=_("Qui s'inscrit ?"), widget=forms.RadioSelect)
    answer = forms.ChoiceField(
        label=_("Réponse"), choices=Registration.Answer.choices, initial="yes", widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Remarque"),
        max_length=500,
        required=False,
        help_text=_("Accessibilité, régime alimentaire, covoiturage…"),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = choices
        if choices:
            self.fields["participant"].initial = choices[0][0]


class GuestRegistrationForm(forms.Form):
    guest_name = forms.CharField(label=_("Nom et prénom"), max_length=150)
    guest_email = forms.EmailField(
        label=_("E-mail (facultatif)"), required=False, help_text=_("Pour recevoir le rappel deux jours avant.")
    )
    answer = forms.ChoiceField(
        label=_("Réponse"), choices=Registration.Answer.choices, initial="yes", widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Remarque (accessibilité, besoins…)"), max_length=500, required=False)
    guest_consent = forms.BooleanField(
        label=_("J'accepte que mon nom soit enregistré pour cette réunion"),
        required=False,
        help_text=_("Il n'est visible que de l'équipe qui organise la réunion."),
    )


class InvitationAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Réponse"), choices=Registration.Answer.choices, initial="yes", widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Remarque (accessibilité, besoins…)"), max_length=500, required=False)


class InvitationGuestAnswerForm(InvitationAnswerForm):
    guest_name = forms.CharField(label=_("Nom et prénom"), max_length=150, required=False)
    guest_consent = forms.BooleanField(
        label=_("J'accepte que mon nom soit enregistré pour cette réunion"), required=False
    )


class InviteForm(forms.Form):
    organizations = OrganizationMultipleChoiceField(
        label=_("Organisations du territoire"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    emails = forms.CharField(
        label=_("Autres personnes, par e-mail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Une adresse par ligne (ou séparées par des virgules)."),
    )

    def __init__(self, *args, territory: Territory, already=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = territory_organizations(territory).exclude(pk__in=already)

    def email_list(self) -> list[str]:
        raw = self.cleaned_data.get("emails", "")
        return [part.strip() for part in raw.replace(",", "\n").replace(";", "\n").splitlines() if part.strip()]


class WalkInForm(forms.Form):
    organization = OrganizationChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), required=False
    )
    guest_name = forms.CharField(label=_("ou nom d'une personne sans compte"), max_length=150, required=False)
    guest_consent = forms.BooleanField(label=_("La personne accepte que son nom soit enregistré"), required=False)

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = territory_organizations(territory)


class MinutesForm(forms.Form):
    body = forms.CharField(
        label=_("Compte rendu"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "data-minutes-editor": ""}),
        help_text=_(
            "Les boutons au-dessus du texte mettent en forme (gras, titre, liste) ; « Aperçu » montre le résultat."
        ),
    )
    is_published = forms.BooleanField(
        label=_("Publier le compte rendu (visible de tous les participants)"), required=False
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Décision"), widget=forms.Textarea(attrs={"rows": 3}))

    planned_action = forms.ModelChoiceField(
        label=_("Action du plan d'action liée (facultatif)"), queryset=PlannedAction.objects.none(), required=False
    )

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned_action"].queryset = (
            PlannedAction.objects.filter(plan__territory=territory).select_related("plan").order_by("title")
        )


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    description = forms.CharField(label=_("Précisions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner_organization = OrganizationChoiceField(
        label=_("Porteur : une organisation"), queryset=Organization.objects.none(), required=False
    )
    owner_user = forms.ModelChoiceField(label=_("ou une personne"), queryset=User.objects.none(), required=False)
    due_date = forms.DateField(label=_("Échéance"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Statut"), choices=Action.Status.choices, initial=Action.Status.TODO)

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the territory's actors are offered; the service refuses anyone else anyway.
        self.fields["owner_organization"].queryset = territory_organizations(territory)
        self.fields["owner_user"].queryset = territory_people(territory)


class ActionNoteForm(forms.Form):
    text = forms.CharField(label=_("Où en est l'action ?"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Statut"), choices=Action.Status.choices)


class InterviewForm(forms.Form):
    organization = OrganizationChoiceField(label=_("Organisation interrogée"), queryset=Organization.objects.none())
    held_on = forms.DateField(label=_("Date de l'entretien"), widget=DateInput())
    links_other_world = forms.CharField(
        label=_("1. Liens avec l'autre monde"),
        help_text=_("Avez-vous des liens avec des agriculteur·rices / des structures sociales ? Lesquels ?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    possible_commitment = forms.CharField(
        label=_("2. Engagement possible"),
        help_text=_("Comment pourriez-vous vous engager dans une action ?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    current_actions = forms.CharField(
        label=_("3. Actions en cours"),
        help_text=_("Que faites-vous déjà pour une alimentation locale et accessible ?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    needs_expectations = forms.CharField(
        label=_("4. Besoins, attentes et enjeux"),
        help_text=_("Quels sont vos besoins, vos attentes, les enjeux pour vous ?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = territory_organizations(territory)


class DiscussedActionsForm(forms.Form):
    discussed_actions = forms.ModelMultipleChoiceField(
        label=_("Actions du plan d'action discutées pendant la réunion"),
        queryset=PlannedAction.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discussed_actions"].queryset = (
            PlannedAction.objects.filter(plan__territory=territory).select_related("plan").order_by("title")
        )
