"""Webhook subscriptions of partner apps, the events sent to them, and the delivery log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actors.models import Organization, Territory, TimeStamped
from miam.fields import JSONField


class Subscription(TimeStamped):
    """A partner app's endpoint, owned by one organization or one territory: it hears of the
    events that concern its owner (an organization's own listings and matches; everything of
    a territory's organizations and its matching runs)."""

    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        verbose_name=_("organisation"),
    )
    territory = models.ForeignKey(
        Territory,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        verbose_name=_("territoire"),
    )
    url = models.CharField(_("adresse de réception"), max_length=500)
    events = JSONField(_("événements"), default=list)
    secret = models.CharField(_("secret de signature"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créée par")
    )
    failures = models.PositiveIntegerField(_("échecs consécutifs"), default=0)
    last_success_at = models.DateTimeField(_("dernier envoi réussi le"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("dernier échec le"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("abonnement webhook")
        verbose_name_plural = _("abonnements webhook")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(territory__isnull=True))
                | (Q(organization__isnull=True) & Q(territory__isnull=False)),
                name="webhook_subscription_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event as sent: its Standard Webhooks message id and its JSON body."""

    message_id = models.CharField(_("identifiant du message"), max_length=40, unique=True)
    type = models.CharField(_("type"), max_length=60, db_index=True)
    payload = JSONField(_("contenu"))
    occurred_at = models.DateTimeField(_("survenu le"))

    class Meta:
        verbose_name = _("événement envoyé")
        verbose_name_plural = _("événements envoyés")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class Delivery(models.Model):
    """An event to one subscription: retried with back-off until it succeeds or gives up."""

    class DeliveryStatus(models.TextChoices):
        PENDING = "pending", _("en attente")
        RETRYING = "retrying", _("nouvel essai prévu")
        SUCCEEDED = "succeeded", _("réussi")
        FAILED = "failed", _("abandonné")

    subscription = models.ForeignKey(
        Subscription, models.CASCADE, related_name="deliveries", verbose_name=_("abonnement")
    )
    event = models.ForeignKey(WebhookEvent, models.CASCADE, related_name="deliveries", verbose_name=_("événement"))
    status = models.CharField(
        _("statut"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai le"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True, blank=True)
    last_response = models.CharField(_("dernière réponse (extrait)"), max_length=500, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    delivered_at = models.DateTimeField(_("reçu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi de webhook")
        verbose_name_plural = _("envois de webhook")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class Attempt(models.Model):
    """One HTTP try of a delivery: what the receiver answered (or why it could not)."""

    delivery = models.ForeignKey(Delivery, models.CASCADE, related_name="attempt_log", verbose_name=_("envoi"))
    number = models.PositiveSmallIntegerField(_("numéro"))
    at = models.DateTimeField(_("le"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("code HTTP"), null=True, blank=True)
    response_excerpt = models.CharField(_("réponse (extrait)"), max_length=500, blank=True)
    error = models.CharField(_("erreur"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)
    succeeded = models.BooleanField(_("réussi"), default=False)

    class Meta:
        verbose_name = _("essai d'envoi")
        verbose_name_plural = _("essais d'envoi")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"


class DfcLink(TimeStamped):
    """The Data Food Consortium ``@id`` a partner platform gives an organization or an offer
    MIAM imported: a second import of the same catalog updates them instead of duplicating."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("organisation")
        OFFER = "offer", _("offre")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    iri = models.CharField(_("identifiant DFC (@id)"), max_length=500)
    organization = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="dfc_links", verbose_name=_("organisation")
    )
    offer = models.ForeignKey(
        "offers.Offer", models.CASCADE, null=True, blank=True, related_name="dfc_links", verbose_name=_("offre")
    )

    class Meta:
        verbose_name = _("identifiant DFC")
        verbose_name_plural = _("identifiants DFC")
        constraints = [models.UniqueConstraint(fields=["kind", "iri"], name="dfc_link_unique_iri")]

    def __str__(self) -> str:
        return self.iri
