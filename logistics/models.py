"""Pooled logistics: vehicles, hubs and cold rooms, the opening hours of the places a round
stops at, rounds (tournées) and their stops, the planning jobs that make them, gleaning days."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from actors.models import Organization, Territory, TimeStamped
from miam.fields import JSONField
from offers.models import Match, Offer
from products.models import Storage

KG = {"max_digits": 10, "decimal_places": 1}


class Vehicle(TimeStamped):
    """A vehicle an organization lends to the rounds, with the people who may drive it."""

    class Kind(models.TextChoices):
        # What CO₂e factor its kilometres take in the indicators (ADEME Base Carbone).
        VAN = "van", _("véhicule utilitaire")
        CAR = "car", _("voiture")

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="vehicles", verbose_name=_("organisation propriétaire")
    )
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type de véhicule"), max_length=5, choices=Kind.choices, default=Kind.VAN)
    capacity_kg = models.DecimalField(_("charge utile (kg)"), **KG, validators=[MinValueValidator(1)])
    is_refrigerated = models.BooleanField(_("réfrigéré"), default=False)
    days_available = JSONField(_("jours de disponibilité (0 = lundi)"), default=list, blank=True)
    available_from = models.TimeField(_("disponible à partir de"), default=dt.time(8, 0))
    available_until = models.TimeField(_("disponible jusqu'à"), default=dt.time(18, 0))
    max_duration_min = models.PositiveIntegerField(
        _("durée maximale d'une tournée (min)"), default=480, validators=[MinValueValidator(1)]
    )
    hub = models.ForeignKey(
        "Hub", models.SET_NULL, null=True, blank=True, related_name="vehicles", verbose_name=_("basé au hub")
    )
    drivers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="vehicles_driven", verbose_name=_("chauffeur·es")
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("véhicule")
        verbose_name_plural = _("véhicules")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity_kg__gt=0), name="vehicle_capacity_positive"),
            models.CheckConstraint(condition=Q(available_until__gt=F("available_from")), name="vehicle_hours_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


class Hub(TimeStamped):
    """A hub or cold room where lots wait between two rounds (cross-docking)."""

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="hubs", verbose_name=_("organisation gestionnaire")
    )
    name = models.CharField(_("nom"), max_length=120)
    commune = models.ForeignKey("actors.Commune", models.PROTECT, related_name="+", verbose_name=_("commune"))
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    chilled_capacity_kg = models.PositiveIntegerField(_("capacité réfrigérée (kg)"), default=0)
    frozen_capacity_kg = models.PositiveIntegerField(_("capacité congelée (kg)"), default=0)
    dry_capacity_kg = models.PositiveIntegerField(_("capacité sèche (kg)"), default=0)
    opening_days = JSONField(_("jours d'ouverture (0 = lundi)"), default=list, blank=True)
    opens_at = models.TimeField(_("ouvre à"), default=dt.time(8, 0))
    closes_at = models.TimeField(_("ferme à"), default=dt.time(18, 0))
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("hub ou chambre froide")
        verbose_name_plural = _("hubs et chambres froides")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="hub_hours_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(TimeStamped):
    """When a round may stop at a farm (pick-up) or a structure (reception), on a weekday."""

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="opening_hours", verbose_name=_("organisation")
    )
    weekday = models.PositiveSmallIntegerField(
        _("jour (0 = lundi)"), validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    opens_at = models.TimeField(_("de"))
    closes_at = models.TimeField(_("à"))

    class Meta:
        verbose_name = _("créneau d'accueil")
        verbose_name_plural = _("créneaux d'accueil")
        ordering = ["organization", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="opening_hours_ordered"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.weekday} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class RoundPlan(models.Model):
    """One planning job: the confirmed matches of a day and a territory (or a hub) made into rounds."""

    class PlanStatus(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        SUCCESS = "success", _("terminé")
        FAILED = "failed", _("échec")

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="round_plans", verbose_name=_("territoire"))
    hub = models.ForeignKey(Hub, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("hub"))
    day = models.DateField(_("jour"))
    cross_dock = models.BooleanField(
        _("groupage au hub"),
        default=False,
        help_text=_("Les enlèvements vont au hub, puis une seconde tournée livre les structures depuis le hub."),
    )
    status = models.CharField(_("statut"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progression (%)"), default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(_("étape"), max_length=40, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    task_id = models.CharField(_("identifiant de la tâche"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    counts = JSONField(_("compteurs"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("calcul de tournées")
        verbose_name_plural = _("calculs de tournées")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.territory} – {self.day}"


class Round(TimeStamped):
    """A vehicle's tour of a day: ordered stops, the load at each, km, duration, driver."""

    class RoundStatus(models.TextChoices):
        PLANNED = "planned", _("planifiée")
        CLAIMED = "claimed", _("chauffeur·e trouvé·e")
        DONE = "done", _("effectuée")
        CANCELLED = "cancelled", _("annulée")

    class Leg(models.TextChoices):
        DIRECT = "direct", _("directe (fermes → structures)")
        TO_HUB = "to_hub", _("vers le hub (fermes → hub)")
        FROM_HUB = "from_hub", _("depuis le hub (hub → structures)")

    plan = models.ForeignKey(
        RoundPlan, models.SET_NULL, null=True, blank=True, related_name="rounds", verbose_name=_("calcul")
    )
    territory = models.ForeignKey(Territory, models.CASCADE, related_name="rounds", verbose_name=_("territoire"))
    hub = models.ForeignKey(Hub, models.SET_NULL, null=True, blank=True, related_name="rounds", verbose_name=_("hub"))
    day = models.DateField(_("jour"), db_index=True)
    vehicle = models.ForeignKey(Vehicle, models.PROTECT, related_name="rounds", verbose_name=_("véhicule"))
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="rounds_driven",
        verbose_name=_("chauffeur·e"),
    )
    status = models.CharField(_("statut"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.PLANNED)
    leg = models.CharField(_("étape du groupage"), max_length=10, choices=Leg.choices, default=Leg.DIRECT)
    # Cross-docking: a round from the hub carries lots that rounds to the hub brought there.
    after = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="before",
        verbose_name=_("après les tournées (groupage)"),
    )
    starts_at = models.TimeField(_("départ"))
    ends_at = models.TimeField(_("retour"))
    distance_km = models.DecimalField(_("distance (km)"), max_digits=8, decimal_places=1)
    duration_min = models.PositiveIntegerField(_("durée (min)"))
    max_load_kg = models.DecimalField(_("charge maximale (kg)"), **KG, default=0)
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    unassigned_alerted_at = models.DateTimeField(_("alerte « sans chauffeur » envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("tournée")
        verbose_name_plural = _("tournées")
        ordering = ["day", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(distance_km__gte=0), name="round_distance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle.name} – {self.day}"


class Stop(models.Model):
    """One stop of a round, in order: the start, a pick-up at a farm, a delivery to a structure, the end."""

    class Kind(models.TextChoices):
        START = "start", _("départ")
        PICKUP = "pickup", _("enlèvement")
        DELIVERY = "delivery", _("livraison")
        END = "end", _("retour")

    round = models.ForeignKey(Round, models.CASCADE, related_name="stops", verbose_name=_("tournée"))
    position = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type d'arrêt"), max_length=10, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    hub = models.ForeignKey(Hub, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("hub"))
    match = models.ForeignKey(
        Match, models.PROTECT, null=True, blank=True, related_name="round_stops", verbose_name=_("mise en relation")
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    arrives_at = models.TimeField(_("arrivée prévue"))
    window_start = models.TimeField(_("créneau : début"), null=True, blank=True)
    window_end = models.TimeField(_("créneau : fin"), null=True, blank=True)
    quantity_kg = models.DecimalField(_("quantité (kg)"), **KG, default=0)
    storage = models.CharField(_("conservation"), max_length=10, choices=Storage.choices, default=Storage.AMBIENT)
    load_kg = models.DecimalField(_("charge après l'arrêt (kg)"), **KG, default=0)
    distance_km = models.DecimalField(_("km depuis le départ"), max_digits=8, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("arrêt")
        verbose_name_plural = _("arrêts")
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "position"], name="stop_position_unique"),
            models.CheckConstraint(condition=Q(load_kg__gte=0), name="stop_load_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.position}"


# --- Gleaning days ----------------------------------------------------------------------------


class GleaningDay(TimeStamped):
    """A day of gleaning in a farm's field, linked to its gleaning offer; its date may move
    with the weather. It is confirmed only with the gleaning agreement and the insurance."""

    class GleaningStatus(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        POSTED = "posted", _("annoncée")
        CONFIRMED = "confirmed", _("confirmée")
        DONE = "done", _("effectuée")
        CANCELLED = "cancelled", _("annulée")

    offer = models.ForeignKey(Offer, models.PROTECT, related_name="gleaning_days", verbose_name=_("offre de glanage"))
    place = models.CharField(_("lieu (parcelle, lieu-dit)"), max_length=200)
    commune = models.ForeignKey("actors.Commune", models.PROTECT, related_name="+", verbose_name=_("commune"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("début"))
    ends_at = models.TimeField(_("fin"))
    status = models.CharField(
        _("statut"), max_length=10, choices=GleaningStatus.choices, default=GleaningStatus.DRAFT, db_index=True
    )
    agreement_reference = models.CharField(_("convention de glanage (référence)"), max_length=200, blank=True)
    agreement_document = models.FileField(
        _("convention de glanage (document)"), upload_to="gleaning/%Y/", null=True, blank=True
    )
    insurance_reference = models.CharField(_("assurance responsabilité civile (référence)"), max_length=200, blank=True)
    insurance_document = models.FileField(
        _("assurance responsabilité civile (document)"), upload_to="gleaning/%Y/", null=True, blank=True
    )
    posted_at = models.DateTimeField(_("annoncée le"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("alerte envoyée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créée par")
    )

    class Meta:
        verbose_name = _("journée de glanage")
        verbose_name_plural = _("journées de glanage")
        ordering = ["date", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="gleaning_hours_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.place} – {self.date}"

    @property
    def has_agreement(self) -> bool:
        return bool(self.agreement_reference or self.agreement_document)

    @property
    def has_insurance(self) -> bool:
        return bool(self.insurance_reference or self.insurance_document)


class GleaningSlot(models.Model):
    day = models.ForeignKey(GleaningDay, models.CASCADE, related_name="slots", verbose_name=_("journée"))
    starts_at = models.TimeField(_("début"))
    ends_at = models.TimeField(_("fin"))
    volunteer_capacity = models.PositiveIntegerField(_("bénévoles attendu·es"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("créneau de glanage")
        verbose_name_plural = _("créneaux de glanage")
        ordering = ["day", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="gleaning_slot_ordered"),
            models.CheckConstraint(condition=Q(volunteer_capacity__gt=0), name="gleaning_slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class GleaningSignup(models.Model):
    """A sign-up to a slot: a structure's volunteers, or a resident without an account (name
    and consent to be contacted about this day)."""

    slot = models.ForeignKey(GleaningSlot, models.CASCADE, related_name="signups", verbose_name=_("créneau"))
    structure = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("structure")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="gleaning_signups",
        verbose_name=_("personne"),
    )
    name = models.CharField(_("nom"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    volunteers = models.PositiveIntegerField(_("nombre de bénévoles"), default=1, validators=[MinValueValidator(1)])
    consent = models.BooleanField(_("accepte d'être contacté·e pour cette journée"), default=False)
    created_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)

    class Meta:
        verbose_name = _("inscription au glanage")
        verbose_name_plural = _("inscriptions au glanage")
        ordering = ["slot", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(volunteers__gt=0), name="gleaning_signup_volunteers")]

    def __str__(self) -> str:
        return f"{self.name} – {self.slot}"


class GleaningHarvest(models.Model):
    """The kilograms a structure took home from a gleaning day."""

    day = models.ForeignKey(GleaningDay, models.CASCADE, related_name="harvests", verbose_name=_("journée"))
    structure = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("structure"))
    quantity_kg = models.DecimalField(_("quantité glanée (kg)"), **KG, validators=[MinValueValidator(0)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("saisie par")
    )
    recorded_at = models.DateTimeField(_("saisie le"), auto_now=True)
    # The delivery it was recorded as (on the structure's need that accepts the product); none
    # when the structure had no such need: the indicators then count the harvest on its own.
    delivery = models.OneToOneField(
        "offers.Delivery",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="gleaning_harvest",
        verbose_name=_("livraison"),
    )
    # What the harvest took from the offer, in the offer's unit: what the structure's confirmed
    # match of the offer had already reserved, plus what the harvest holds itself on the offer's
    # reserved quantity (``offer_quantity_held``: its kilograms converted, beyond that match,
    # within what was left). Kept by the service under the offer's row lock.
    offer_quantity = models.DecimalField(_("quantité prise sur l'offre"), **KG, default=0, editable=False)
    offer_quantity_held = models.DecimalField(_("quantité réservée sur l'offre"), **KG, default=0, editable=False)

    class Meta:
        verbose_name = _("récolte de glanage")
        verbose_name_plural = _("récoltes de glanage")
        constraints = [
            models.UniqueConstraint(fields=["day", "structure"], name="gleaning_harvest_one_per_structure"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="gleaning_harvest_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} – {self.structure}: {self.quantity_kg} kg"
