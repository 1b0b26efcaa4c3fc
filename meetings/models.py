"""Collective meetings: invitations, registrations and attendance, minutes, decisions,
follow-up actions, diagnostic interviews and calendar feeds.

Times are aware datetimes stored in UTC and shown in Europe/Paris (settings.TIME_ZONE).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from actors.models import Organization, TimeStamped
from miam.fields import HttpsURLField


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@miam"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


def hash_calendar_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Meeting(TimeStamped):
    class Kind(models.TextChoices):
        DIAGNOSTIC_INTERVIEW = "diagnostic_interview", _("Entretien de diagnostic")
        COLLECTIVE = "collective", _("Réunion collective")
        WORKSHOP = "workshop", _("Atelier")
        STEERING_COMMITTEE = "steering_committee", _("Comité de pilotage")
        FARM_VISIT = "farm_visit", _("Visite de ferme")
        PUBLIC_EVENT = "public_event", _("Événement public")

    class Visibility(models.TextChoices):
        INVITED = "invited", _("Sur invitation uniquement")
        TERRITORY = "territory", _("Acteurs du territoire")
        PUBLIC = "public", _("Public")

    territory = models.ForeignKey(
        "actors.Territory", models.CASCADE, related_name="meetings", verbose_name=_("territoire")
    )
    title = models.CharField(_("titre"), max_length=200)
    kind = models.CharField(_("type de réunion"), max_length=30, choices=Kind.choices, default=Kind.COLLECTIVE)
    starts_at = models.DateTimeField(_("début"), db_index=True)
    ends_at = models.DateTimeField(_("fin"))
    host_organization = models.ForeignKey(
        "actors.Organization",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_meetings",
        verbose_name=_("lieu : chez une organisation"),
    )
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    commune = models.ForeignKey(
        "actors.Commune", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    online_url = HttpsURLField(_("lien de visioconférence"), blank=True)
    agenda = models.TextField(_("ordre du jour"), blank=True)
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organized_meetings", verbose_name=_("organisateur·rices")
    )
    capacity = models.PositiveIntegerField(
        _("nombre de places"), null=True, blank=True, help_text=_("Vide : sans limite.")
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.TERRITORY
    )
    ical_uid = models.CharField(
        max_length=100, unique=True, default=new_ical_uid, editable=False, verbose_name=_("identifiant iCalendar")
    )
    ical_sequence = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version iCalendar"))
    # Shortlisted actions of the territory's plan discussed here (meetings -> initiatives only).
    discussed_actions = models.ManyToManyField(
        "initiatives.PlannedAction",
        blank=True,
        related_name="discussed_in_meetings",
        verbose_name=_("actions du plan discutées"),
    )
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("créée par"),
    )

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"),
        ]
        indexes = [models.Index(fields=["territory", "starts_at"], name="meeting_territory_start_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def place_label(self) -> str:
        parts = []
        if self.host_organization_id:
            parts.append(self.host_organization.name)
        if self.address:
            parts.append(self.address)
        if self.commune_id:
            parts.append(self.commune.name)
        elif self.host_organization_id and not self.address:
            parts.append(self.host_organization.commune.name)
        if not parts and self.online_url:
            parts.append(str(_("En ligne")))
        return ", ".join(parts)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class MeetingInvitation(models.Model):
    """An invitation to a meeting: to an organization, a person with an account, or an e-mail."""

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="invitations", verbose_name=_("réunion"))
    organization = models.ForeignKey(
        "actors.Organization",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_invitations",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_invitations",
        verbose_name=_("personne"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    # The e-mailed link lets someone without an account answer; only its hash is kept.
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("empreinte du jeton"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("invité·e par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation à une réunion")
        verbose_name_plural = _("invitations à une réunion")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(user__isnull=True) & Q(email=""))
                | (Q(organization__isnull=True) & Q(user__isnull=False) & Q(email=""))
                | (Q(organization__isnull=True) & Q(user__isnull=True) & ~Q(email="")),
                name="meeting_invitation_one_target",
            ),
            models.UniqueConstraint(
                fields=["meeting", "organization"],
                condition=Q(organization__isnull=False),
                name="meeting_invitation_org_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="meeting_invitation_user_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "email"], condition=~Q(email=""), name="meeting_invitation_email_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.organization_id:
            return self.organization.name
        if self.user_id:
            return str(self.user)
        return self.email

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = secrets.token_urlsafe(24)
        return raw, _hash(raw)

    @staticmethod
    def hash_token(raw: str) -> str:
        return _hash(raw)


class Registration(TimeStamped):
    """Who comes: an organization, a person with an account, or a resident without one."""

    class Answer(models.TextChoices):
        YES = "yes", _("oui")
        MAYBE = "maybe", _("peut-être")
        NO = "no", _("non")

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmée")
        WAITLISTED = "waitlisted", _("en liste d'attente")
        CANCELLED = "cancelled", _("annulée")

    # The kinds of organization, plus people with and without an account: derived from
    # Organization.Kind so that a new kind of actor shows in attendance without a second list.
    ActorKind = models.TextChoices(
        "ActorKind",
        [(value.upper(), (value, label)) for value, label in Organization.Kind.choices]
        + [("PERSON", ("person", _("Personne"))), ("RESIDENT", ("resident", _("Habitant·e")))],
    )

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="registrations", verbose_name=_("réunion"))
    organization = models.ForeignKey(
        "actors.Organization",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_registrations",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_registrations",
        verbose_name=_("personne"),
    )
    guest_name = models.CharField(_("nom (sans compte)"), max_length=150, blank=True)
    guest_email = models.EmailField(_("e-mail (sans compte)"), blank=True)
    guest_consent = models.BooleanField(_("consentement"), default=False)
    answer = models.CharField(_("réponse"), max_length=5, choices=Answer.choices, default=Answer.YES)
    note = models.CharField(_("remarque (accessibilité, besoins…)"), max_length=500, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    waitlist_position = models.PositiveIntegerField(_("rang en liste d'attente"), null=True, blank=True)
    attended = models.BooleanField(_("présent·e"), null=True, blank=True)
    actor_kind = models.CharField(_("type d'acteur"), max_length=20, choices=ActorKind.choices)
    invitation = models.ForeignKey(
        MeetingInvitation,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("invitation"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("inscrit·e par"),
    )

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["meeting", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(user__isnull=False) | ~Q(guest_name=""),
                name="registration_has_participant",
            ),
            models.CheckConstraint(
                condition=Q(guest_name="") | Q(guest_consent=True), name="registration_guest_consented"
            ),
            models.UniqueConstraint(
                fields=["meeting", "organization"],
                condition=Q(organization__isnull=False),
                name="registration_org_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(organization__isnull=True, user__isnull=False),
                name="registration_person_once",
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_position__isnull=False)
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="registration_waitlist_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_label} – {self.meeting}"

    @property
    def participant_label(self) -> str:
        if self.organization_id:
            return self.organization.name
        if self.user_id:
            return str(self.user)
        return self.guest_name

    @property
    def holds_seat(self) -> bool:
        return self.status == self.Status.CONFIRMED and self.answer == self.Answer.YES


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, models.CASCADE, related_name="minutes", verbose_name=_("réunion"))
    body = models.TextField(_("compte rendu (Markdown)"), blank=True)
    is_published = models.BooleanField(_("publié"), default=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )

    class Meta:
        verbose_name = _("compte rendu")
        verbose_name_plural = _("comptes rendus")

    def __str__(self) -> str:
        return _("compte rendu : %(meeting)s") % {"meeting": self.meeting}


class Decision(TimeStamped):
    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="decisions", verbose_name=_("réunion"))
    text = models.TextField(_("décision"))
    initiative = models.ForeignKey(
        "initiatives.Initiative",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_decisions",
        verbose_name=_("initiative inspirante"),
    )
    planned_action = models.ForeignKey(
        "initiatives.PlannedAction",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_decisions",
        verbose_name=_("action du plan d'action"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("créée par"),
    )

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["meeting", "created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Action(TimeStamped):
    """A follow-up action decided in a meeting, owned by an organization or a person."""

    class Status(models.TextChoices):
        TODO = "todo", _("à faire")
        DOING = "doing", _("en cours")
        DONE = "done", _("terminée")
        DROPPED = "dropped", _("abandonnée")

    OPEN_STATUSES = (Status.TODO, Status.DOING)

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="actions", verbose_name=_("réunion"))
    decision = models.ForeignKey(
        Decision, models.SET_NULL, null=True, blank=True, related_name="actions", verbose_name=_("décision")
    )
    title = models.CharField(_("action"), max_length=300)
    description = models.TextField(_("précisions"), blank=True)
    owner_organization = models.ForeignKey(
        "actors.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_actions",
        verbose_name=_("porteur : organisation"),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_actions",
        verbose_name=_("porteur : personne"),
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True, db_index=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.TODO)
    last_reminded_at = models.DateTimeField(_("dernier rappel"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("créée par"),
    )

    class Meta:
        verbose_name = _("action de suivi")
        verbose_name_plural = _("actions de suivi")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_organization__isnull=False) & Q(owner_user__isnull=True))
                | (Q(owner_organization__isnull=True) & Q(owner_user__isnull=False)),
                name="action_exactly_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        return self.owner_organization.name if self.owner_organization_id else str(self.owner_user)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ActionNote(models.Model):
    action = models.ForeignKey(Action, models.CASCADE, related_name="notes", verbose_name=_("action"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur ou autrice"),
    )
    text = models.TextField(_("note d'avancement"))
    created_at = models.DateTimeField(_("écrite le"), auto_now_add=True)

    class Meta:
        verbose_name = _("note d'avancement")
        verbose_name_plural = _("notes d'avancement")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class DiagnosticInterview(TimeStamped):
    """One diagnostic interview with an organization, around the four MIAM questions."""

    territory = models.ForeignKey(
        "actors.Territory", models.CASCADE, related_name="diagnostic_interviews", verbose_name=_("territoire")
    )
    organization = models.ForeignKey(
        "actors.Organization", models.CASCADE, related_name="diagnostic_interviews", verbose_name=_("organisation")
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enquêteur·rice"),
    )
    held_on = models.DateField(_("date de l'entretien"))
    meeting = models.ForeignKey(
        Meeting, models.SET_NULL, null=True, blank=True, related_name="interviews", verbose_name=_("rendez-vous")
    )
    links_other_world = models.TextField(
        _("liens avec l'autre monde"),
        blank=True,
        help_text=_("Liens actuels avec des agriculteur·rices ou des structures sociales."),
    )
    possible_commitment = models.TextField(
        _("engagement possible"), blank=True, help_text=_("Comment la structure pourrait s'engager dans une action.")
    )
    current_actions = models.TextField(
        _("actions en cours"),
        blank=True,
        help_text=_("Ce qui se fait déjà pour une alimentation locale et accessible."),
    )
    needs_expectations = models.TextField(
        _("besoins, attentes et enjeux"), blank=True, help_text=_("Besoins, attentes et enjeux exprimés.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("créé par"),
    )

    QUESTION_FIELDS = ("links_other_world", "possible_commitment", "current_actions", "needs_expectations")

    class Meta:
        verbose_name = _("entretien de diagnostic")
        verbose_name_plural = _("entretiens de diagnostic")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.organization} ({self.held_on})"


class CalendarToken(models.Model):
    """A secret iCalendar feed URL: a person's meetings, or a whole territory for its team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="calendar_tokens", verbose_name=_("personne")
    )
    territory = models.ForeignKey(
        "actors.Territory",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_tokens",
        verbose_name=_("territoire"),
    )
    # SHA-256 of the secret in the feed's address, like API keys: the address is shown once.
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("empreinte du jeton"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("créé le"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dernière utilisation"))

    class Meta:
        verbose_name = _("agenda partagé")
        verbose_name_plural = _("agendas partagés")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(territory__isnull=True), name="calendar_token_one_personal"
            ),
            models.UniqueConstraint(
                fields=["user", "territory"],
                condition=Q(territory__isnull=False),
                name="calendar_token_one_per_territory",
            ),
        ]

    def __str__(self) -> str:
        return _("agenda de %(who)s") % {"who": " ".join(str(x) for x in (self.user, self.territory) if x)}
