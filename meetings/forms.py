"""Forms of the meeting pages: each is its use case's input (``meetings/inputs.py``) dressed for
a page (labels, widgets, the territory's choosers); rules are checked by the services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actors.forms import CommuneField
from actors.models import Organization, Territory, User
from initiatives.models import PlannedAction
from meetings import inputs
from meetings.models import Action, Meeting, Registration
from miam.forms import Dressed


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


class MeetingForm(Dressed, inputs.MeetingInput):
    """A meeting's input; the page chooses the territory, the host and the commune among the
    officer's, and reads a link typed without ``https://``."""

    labels = {
        "title": _("Titre"),
        "kind": _("Type de réunion"),
        "starts_at": _("Début"),
        "ends_at": _("Fin"),
        "address": _("Adresse"),
        "agenda": _("Ordre du jour"),
        "capacity": _("Nombre de places"),
        "visibility": _("Qui voit la réunion et peut s'inscrire"),
    }
    help_texts = {"capacity": _("Vide : sans limite.")}
    widgets = {
        "kind": forms.Select(choices=Meeting.Kind.choices),
        "starts_at": DateTimeLocalInput(),
        "ends_at": DateTimeLocalInput(),
        "agenda": forms.Textarea(attrs={"rows": 6}),
        "capacity": forms.NumberInput(attrs={"min": 1}),
        "visibility": forms.Select(choices=Meeting.Visibility.choices),
    }
    initials = {"kind": Meeting.Kind.COLLECTIVE, "visibility": Meeting.Visibility.TERRITORY}

    territory = forms.ModelChoiceField(label=_("Territoire"), queryset=Territory.objects.none())
    host_organization = OrganizationChoiceField(
        label=_("Chez une organisation (ferme, structure…)"), queryset=Organization.objects.none(), required=False
    )
    commune = CommuneField(
        label=_("Commune"), required=False, help_text=_("Tapez le début du nom : les communes s'affichent.")
    )
    online_url = forms.URLField(label=_("Lien de visioconférence"), required=False, assume_scheme="https")
    organizers = None  # the page sets neither: the officer who creates it organizes it
    discussed_actions = None  # set on the follow-up page

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


_ANSWER = forms.RadioSelect(choices=Registration.Answer.choices)


class RegistrationForm(Dressed, inputs.InvitationAnswerInput):
    """The answer and note of a registration; the page asks who registers (oneself or one of
    one's organizations)."""

    labels = {"answer": _("Réponse"), "note": _("Remarque")}
    help_texts = {"note": _("Accessibilité, régime alimentaire, covoiturage…")}
    widgets = {"answer": _ANSWER}
    initials = {"answer": Registration.Answer.YES}

    participant = forms.ChoiceField(label=_("Qui s'inscrit ?"), widget=forms.RadioSelect)

    field_order = ["participant", "answer", "note"]

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = choices
        if choices:
            self.fields["participant"].initial = choices[0][0]


class GuestRegistrationForm(Dressed, inputs.RegisterInput):
    """A resident without an account registers to a public meeting: name, consent, an address."""

    labels = {
        "guest_name": _("Nom et prénom"),
        "guest_email": _("E-mail (facultatif)"),
        "answer": _("Réponse"),
        "note": _("Remarque (accessibilité, besoins…)"),
        "guest_consent": _("J'accepte que mon nom soit enregistré pour cette réunion"),
    }
    help_texts = {
        "guest_email": _("Pour recevoir le rappel deux jours avant."),
        "guest_consent": _("Il n'est visible que de l'équipe qui organise la réunion."),
    }
    widgets = {"guest_email": forms.EmailInput(), "answer": _ANSWER, "guest_consent": forms.CheckboxInput()}
    initials = {"answer": Registration.Answer.YES}
    shown_required = ("guest_name",)  # the service asks for it (« Indiquez le nom… »)

    organization = None
    walk_in = None
    field_order = ["guest_name", "guest_email", "answer", "note", "guest_consent"]


class InvitationAnswerForm(Dressed, inputs.InvitationAnswerInput):
    labels = {"answer": _("Réponse"), "note": _("Remarque (accessibilité, besoins…)")}
    widgets = {"answer": _ANSWER}
    initials = {"answer": Registration.Answer.YES}


class InvitationGuestAnswerForm(Dressed, inputs.InvitationGuestAnswerInput):
    labels = {
        **InvitationAnswerForm.labels,
        "guest_name": _("Nom et prénom"),
        "guest_consent": _("J'accepte que mon nom soit enregistré pour cette réunion"),
    }
    widgets = {"answer": _ANSWER, "guest_consent": forms.CheckboxInput()}
    initials = {"answer": Registration.Answer.YES}


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


class WalkInForm(Dressed, inputs.RegisterInput):
    """Someone came without registering: an organization of the territory, or a resident."""

    labels = {
        "guest_name": _("ou nom d'une personne sans compte"),
        "guest_consent": _("La personne accepte que son nom soit enregistré"),
    }
    widgets = {"guest_consent": forms.CheckboxInput()}

    organization = OrganizationChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), required=False
    )
    guest_email = None
    answer = None
    note = None
    walk_in = None

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = territory_organizations(territory)


class MinutesForm(Dressed, inputs.MinutesInput):
    labels = {
        "body": _("Compte rendu"),
        "is_published": _("Publier le compte rendu (visible de tous les participants)"),
    }
    help_texts = {
        "body": _(
            "Les boutons au-dessus du texte mettent en forme (gras, titre, liste) ; « Aperçu » montre le résultat."
        )
    }
    widgets = {
        "body": forms.Textarea(attrs={"rows": 14, "data-minutes-editor": ""}),
        "is_published": forms.CheckboxInput(),
    }


class DecisionForm(Dressed, inputs.DecisionInput):
    """A decision of this meeting; the page offers the actions of the territory's plan."""

    labels = {"text": _("Décision")}
    widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    meeting = None  # the page's
    initiative = None  # follows the planned action's
    planned_action = forms.ModelChoiceField(
        label=_("Action du plan d'action liée (facultatif)"), queryset=PlannedAction.objects.none(), required=False
    )

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned_action"].queryset = (
            PlannedAction.objects.filter(plan__territory=territory).select_related("plan").order_by("title")
        )


class ActionForm(Dressed, inputs.ActionInput):
    """A follow-up action of this meeting; the page offers the territory's actors as owners."""

    labels = {"title": _("Action"), "description": _("Précisions"), "due_date": _("Échéance"), "status": _("Statut")}
    widgets = {
        "description": forms.Textarea(attrs={"rows": 2}),
        "due_date": DateInput(),
        "status": forms.Select(choices=Action.Status.choices),
    }
    initials = {"status": Action.Status.TODO}

    meeting = None  # the page's
    decision = None
    owner_organization = OrganizationChoiceField(
        label=_("Porteur : une organisation"), queryset=Organization.objects.none(), required=False
    )
    owner_user = forms.ModelChoiceField(label=_("ou une personne"), queryset=User.objects.none(), required=False)
    field_order = ["title", "description", "owner_organization", "owner_user", "due_date", "status"]

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the territory's actors are offered; the service refuses anyone else anyway.
        self.fields["owner_organization"].queryset = territory_organizations(territory)
        self.fields["owner_user"].queryset = territory_people(territory)


class ActionNoteForm(Dressed, inputs.ActionNoteInput):
    labels = {"text": _("Où en est l'action ?"), "status": _("Statut")}
    widgets = {"text": forms.Textarea(attrs={"rows": 3}), "status": forms.Select(choices=Action.Status.choices)}


_ANSWER_BOX = forms.Textarea(attrs={"rows": 4})


class InterviewForm(Dressed, inputs.InterviewInput):
    """A diagnostic interview on this territory; the page offers its organizations."""

    labels = {
        "held_on": _("Date de l'entretien"),
        "links_other_world": _("1. Liens avec l'autre monde"),
        "possible_commitment": _("2. Engagement possible"),
        "current_actions": _("3. Actions en cours"),
        "needs_expectations": _("4. Besoins, attentes et enjeux"),
    }
    help_texts = {
        "links_other_world": _("Avez-vous des liens avec des agriculteur·rices / des structures sociales ? Lesquels ?"),
        "possible_commitment": _("Comment pourriez-vous vous engager dans une action ?"),
        "current_actions": _("Que faites-vous déjà pour une alimentation locale et accessible ?"),
        "needs_expectations": _("Quels sont vos besoins, vos attentes, les enjeux pour vous ?"),
    }
    widgets = {
        "held_on": DateInput(),
        "links_other_world": _ANSWER_BOX,
        "possible_commitment": _ANSWER_BOX,
        "current_actions": _ANSWER_BOX,
        "needs_expectations": _ANSWER_BOX,
    }

    territory = None  # the page's
    interviewer = None  # who records it
    meeting = None
    organization = OrganizationChoiceField(label=_("Organisation interrogée"), queryset=Organization.objects.none())
    field_order = ["organization", "held_on"]

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
