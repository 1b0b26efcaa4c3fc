"""What: offers, needs, matches and deliveries, and matching runs (categories and units: ``products``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from actors.models import PRODUCER_KINDS, RECIPIENT_KINDS, Organization, Territory, TimeStamped
from miam.fields import JSONField
from products.models import ProductCategory, Storage, Unit


class Pricing(models.TextChoices):
    DONATION = "donation", _("don")
    SOLIDARITY = "solidarity", _("prix solidaire")
    MARKET = "market", _("prix du marché")


class Recurrence(models.TextChoices):
    ONCE = "once", _("ponctuelle")
    WEEKLY = "weekly", _("chaque semaine")
    MONTHLY = "monthly", _("chaque mois")
    SEASON = "season", _("toute la saison")


class Logistics(models.TextChoices):
    DELIVERY = "delivery", _("la ferme livre")
    PICKUP = "pickup", _("enlèvement à la ferme")
    GLEANING = "gleaning", _("récolte ou glanage sur place par des bénévoles")
    PARTNER = "partner", _("via un partenaire logistique")


class Status(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    PUBLISHED = "published", _("publiée")
    PARTLY_MATCHED = "partly_matched", _("en partie pourvue")
    FULLY_MATCHED = "fully_matched", _("entièrement pourvue")
    EXPIRED = "expired", _("expirée")
    WITHDRAWN = "withdrawn", _("retirée")


OPEN_STATUSES = (Status.PUBLISHED, Status.PARTLY_MATCHED)
#: Who may post: offers come from farms and processors, needs from food-aid structures.
OFFER_KINDS = PRODUCER_KINDS
NEED_KINDS = RECIPIENT_KINDS
# Needs are counted in plain units (no crates) and recur at most monthly.
NEED_UNIT_CHOICES = [c for c in Unit.choices if c[0] != Unit.CRATE]
NEED_FREQUENCY_CHOICES = [c for c in Recurrence.choices if c[0] != Recurrence.SEASON]

QTY = {"max_digits": 12, "decimal_places": 3}
PRICE = {"max_digits": 9, "decimal_places": 2}


class Offer(TimeStamped):
    """What a farm (or processor) can give or sell, over an availability window."""

    organization = models.ForeignKey(Organization, models.PROTECT, related_name="offers", verbose_name=_("producteur"))
    category = models.ForeignKey(ProductCategory, models.PROTECT, related_name="offers", verbose_name=_("catégorie"))
    product_name = models.CharField(_("produit"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(_("quantité"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.KG)
    crate_kg = models.DecimalField(_("poids d'une cagette (kg)"), **QTY, null=True, blank=True)
    # Colis or portion (« colis de 500 g et 1 kg » : 0.5): quantities proposed are multiples of it.
    pack_size = models.DecimalField(
        _("taille d'un colis ou d'une portion"),
        **QTY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Dans l'unité de l'offre ; les quantités proposées en sont des multiples."),
    )
    min_quantity = models.DecimalField(_("quantité minimale par enlèvement"), **QTY, default=0)
    # Sum of confirmed matches, kept by services under row locks; never typed.
    quantity_reserved = models.DecimalField(_("quantité réservée"), **QTY, default=0, editable=False)
    window_start = models.DateField(_("disponible à partir du"))
    window_end = models.DateField(_("disponible jusqu'au"))
    recurrence = models.CharField(_("récurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    pricing = models.CharField(_("conditions"), max_length=12, choices=Pricing.choices, default=Pricing.DONATION)
    price_per_unit = models.DecimalField(_("prix par unité (€)"), **PRICE, null=True, blank=True)
    usual_price_per_unit = models.DecimalField(_("prix habituel par unité (€)"), **PRICE, null=True, blank=True)
    labels = JSONField(_("labels"), default=list, blank=True)
    storage = models.CharField(_("conservation"), max_length=10, choices=Storage.choices, default=Storage.AMBIENT)
    logistics = JSONField(_("logistique"), default=list, blank=True)
    delivery_radius_km = models.DecimalField(
        _("livraison jusqu'à (km)"), max_digits=6, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    logistics_partner = models.ForeignKey(
        Organization,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_offers",
        verbose_name=_("partenaire logistique"),
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True)
    use_by = models.DateField(_("date limite de consommation"), null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to="offers/%Y/%m/", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créée par")
    )

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category"], name="offer_status_cat_idx"),
            models.Index(fields=["updated_at", "id"], name="offer_sync_idx"),
            models.Index(fields=["window_end"], name="offer_window_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="offer_quantity_positive"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="offer_min_quantity_not_negative"),
            models.CheckConstraint(condition=Q(quantity_reserved__gte=0), name="offer_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity_reserved__lte=F("quantity")), name="offer_reserved_within_quantity"
            ),
            models.CheckConstraint(condition=Q(window_end__gte=F("window_start")), name="offer_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} – {self.organization}"

    @property
    def quantity_available(self) -> Decimal:
        return self.quantity - self.quantity_reserved

    @property
    def effective_end(self):
        """A use-by date before the window's end shortens the window."""
        if self.use_by and self.use_by < self.window_end:
            return self.use_by
        return self.window_end

    @property
    def discount_percent(self) -> int | None:
        if self.pricing == Pricing.SOLIDARITY and self.price_per_unit and self.usual_price_per_unit:
            return round(100 * (1 - self.price_per_unit / self.usual_price_per_unit))
        return None


class Need(TimeStamped):
    """What a food-aid structure needs, over a window."""

    class Urgency(models.IntegerChoices):
        LOW = 1, _("peu urgent")
        NORMAL = 2, _("normal")
        HIGH = 3, _("urgent")

    class AcceptedPricing(models.TextChoices):
        DONATION_ONLY = "donation_only", _("dons uniquement")
        PURCHASE = "purchase", _("achat possible")

    organization = models.ForeignKey(Organization, models.PROTECT, related_name="needs", verbose_name=_("structure"))
    categories = models.ManyToManyField(ProductCategory, related_name="needs", verbose_name=_("catégories"))
    title = models.CharField(_("intitulé"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(_("quantité"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.KG)
    # Sum of confirmed matches, kept by services; never typed.
    quantity_covered = models.DecimalField(_("quantité pourvue"), **QTY, default=0, editable=False)
    frequency = models.CharField(_("fréquence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    window_start = models.DateField(_("à partir du"))
    window_end = models.DateField(_("jusqu'au"))
    accepted_pricing = models.CharField(
        _("conditions acceptées"), max_length=15, choices=AcceptedPricing.choices, default=AcceptedPricing.DONATION_ONLY
    )
    max_price_per_unit = models.DecimalField(_("prix maximum par unité (€)"), **PRICE, null=True, blank=True)
    budget_eur = models.DecimalField(_("budget (€)"), **PRICE, null=True, blank=True)
    # The structure's means (cold storage, collecting, distribution days): empty means "as in
    # the structure's profile", read at each run; a value overrides it for this need (``means``).
    has_fridge = models.BooleanField(_("froid positif disponible"), null=True, blank=True, default=None)
    chilled_capacity_kg = models.PositiveIntegerField(
        _("capacité réfrigérée (kg)"), null=True, blank=True, default=None
    )
    has_freezer = models.BooleanField(_("congélateur disponible"), null=True, blank=True, default=None)
    frozen_capacity_kg = models.PositiveIntegerField(_("capacité congelée (kg)"), null=True, blank=True, default=None)
    pickup_radius_km = models.DecimalField(
        _("rayon d'enlèvement (km)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(0)],
    )
    has_vehicle = models.BooleanField(_("véhicule disponible"), null=True, blank=True, default=None)
    distribution_days = JSONField(
        _("jours de réception (0 = lundi)"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Vide : ceux de la structure."),
    )
    preferred_labels = JSONField(_("labels souhaités"), default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgence"), choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créé par")
    )

    class Meta:
        verbose_name = _("besoin")
        verbose_name_plural = _("besoins")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="need_sync_idx"),
            models.Index(fields=["window_end"], name="need_window_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="need_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_covered__gte=0), name="need_covered_not_negative"),
            models.CheckConstraint(condition=Q(window_end__gte=F("window_start")), name="need_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.title} – {self.organization}"

    @property
    def quantity_open(self) -> Decimal:
        return max(Decimal(0), self.quantity - self.quantity_covered)

    @property
    def means(self) -> dict:
        """The structure's means as this need sees them: its own overrides, else the profile's."""
        return need_means(self, getattr(self.organization, "structure_profile", None))


#: A need's fields that override its structure's profile (None: as in the profile).
MEANS_FIELDS = (
    "has_fridge",
    "chilled_capacity_kg",
    "has_freezer",
    "frozen_capacity_kg",
    "pickup_radius_km",
    "has_vehicle",
    "distribution_days",
)


def profile_means(profile) -> dict:
    """A structure profile's means, in the need's field names (nothing for no profile)."""
    if profile is None:
        return {
            "has_fridge": False,
            "chilled_capacity_kg": 0,
            "has_freezer": False,
            "frozen_capacity_kg": 0,
            "pickup_radius_km": Decimal(0),
            "has_vehicle": False,
            "distribution_days": [],
        }
    return {
        "has_fridge": profile.has_fridge,
        "chilled_capacity_kg": profile.chilled_capacity_kg,
        "has_freezer": profile.has_freezer,
        "frozen_capacity_kg": profile.frozen_capacity_kg,
        "pickup_radius_km": profile.pickup_radius_km,
        "has_vehicle": profile.vehicle != "none",
        "distribution_days": sorted(int(d) for d in profile.distribution_days or [] if str(d).isdecimal()),
    }


def need_means(need, profile) -> dict:
    base = profile_means(profile)
    return {name: (getattr(need, name) if getattr(need, name) is not None else base[name]) for name in MEANS_FIELDS}


class MatchingRun(models.Model):
    class Trigger(models.TextChoices):
        CHANGE = "change", _("modification d'une offre ou d'un besoin")
        NIGHTLY = "nightly", _("recalcul nocturne")
        MANUAL = "manual", _("demande manuelle")
        CASCADE = "cascade", _("remise en jeu d'une quantité")

    class RunStatus(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        SUCCESS = "success", _("terminé")
        FAILED = "failed", _("échec")

    class Stage(models.TextChoices):
        """Where a run is; shown beside its progress."""

        QUEUED = "queued", _("demandé")
        WAITING = "waiting", _("attend la fin d'un autre calcul")
        LOAD = "load", _("lecture des offres et besoins")
        COMPUTE = "compute", _("calcul des propositions")
        WRITE = "write", _("enregistrement des propositions")
        FINISH = "finish", _("finalisation")
        DONE = "done", _("terminé")
        ABANDONED = "abandoned", _("abandonné (sans nouvelles du calcul)")

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="matching_runs", verbose_name=_("territoire"))
    trigger = models.CharField(_("déclencheur"), max_length=10, choices=Trigger.choices)
    status = models.CharField(_("statut"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progression (%)"), default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(_("étape"), max_length=40, blank=True, choices=Stage.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    task_id = models.CharField(max_length=64, blank=True, verbose_name=_("identifiant de la tâche"))
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    duration_s = models.FloatField(_("durée (s)"), null=True, blank=True)
    counts = JSONField(_("compteurs"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("calcul de rapprochements")
        verbose_name_plural = _("calculs de rapprochements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["territory", "status"], name="matchingrun_territory_status")]

    def __str__(self) -> str:
        return f"{self.territory} – {self.get_trigger_display()} ({self.get_status_display()})"


class Match(TimeStamped):
    """A proposed pairing of an offer and a need, followed to delivery."""

    class MatchStatus(models.TextChoices):
        PROPOSED = "proposed", _("proposée")
        ACCEPTED_FARM = "accepted_farm", _("acceptée par le producteur")
        ACCEPTED_STRUCTURE = "accepted_structure", _("acceptée par la structure")
        CONFIRMED = "confirmed", _("confirmée")
        SCHEDULED = "scheduled", _("planifiée")
        DELIVERED = "delivered", _("livrée")
        CLOSED = "closed", _("clôturée")
        DECLINED = "declined", _("refusée")
        CANCELLED = "cancelled", _("annulée")
        EXPIRED = "expired", _("expirée")
        # An untouched proposal that a later run no longer proposes; a run may bring it back.
        WITHDRAWN = "withdrawn", _("retirée par le calcul")

    class Origin(models.TextChoices):
        ENGINE = "engine", _("calcul automatique")
        MANUAL = "manual", _("proposée par un·e chargé·e de mission")
        REQUEST = "request", _("demandée par la structure")
        # An occurrence of a season agreement (``agreements``): confirmed from the start, its
        # cost counted in the month of its date.
        AGREEMENT = "agreement", _("convention d'approvisionnement")
        # The kilograms a structure took home from a gleaning day (``logistics``), recorded after it.
        GLEANING = "gleaning", _("récolte d'une journée de glanage")

    offer = models.ForeignKey(Offer, models.PROTECT, related_name="matches", verbose_name=_("offre"))
    need = models.ForeignKey(Need, models.PROTECT, related_name="matches", verbose_name=_("besoin"))
    quantity = models.DecimalField(_("quantité"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.KG)
    score = models.PositiveSmallIntegerField(_("score"), default=0, validators=[MaxValueValidator(100)])
    distance_km = models.DecimalField(_("distance (km)"), max_digits=7, decimal_places=1, null=True, blank=True)
    mode = models.CharField(_("acheminement"), max_length=10, choices=Logistics.choices, default=Logistics.DELIVERY)
    # Why, as reason codes with their parameters (offers.matching.reasons); rendered in the
    # reader's language by offers.reasons (``explanation``).
    reasons = JSONField(_("pourquoi cette proposition"), default=list, blank=True)
    components = JSONField(default=dict, blank=True, verbose_name=_("détail du score"))
    quantity_kg = models.DecimalField(_("équivalent kg"), **QTY, null=True, blank=True)
    proposed_for = models.DateField(_("date de livraison proposée"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=MatchStatus.choices, default=MatchStatus.PROPOSED, db_index=True
    )
    origin = models.CharField(_("origine"), max_length=10, choices=Origin.choices, default=Origin.ENGINE)
    run = models.ForeignKey(
        MatchingRun, models.SET_NULL, null=True, blank=True, related_name="matches", verbose_name=_("calcul")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposée par"),
    )
    price_per_unit = models.DecimalField(_("prix par unité (€)"), **PRICE, null=True, blank=True)
    farm_accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acceptée par le producteur le"))
    structure_accepted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acceptée par la structure le"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmée le"))
    scheduled_for = models.DateField(_("date prévue"), null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("livrée le"))
    quantity_received = models.DecimalField(_("quantité reçue"), **QTY, null=True, blank=True)
    declined_reason = models.CharField(_("motif du refus ou de l'annulation"), max_length=300, blank=True)
    declined_by_side = models.CharField(max_length=10, blank=True, verbose_name=_("refusée par"))
    acted_by_person = models.BooleanField(
        default=False,
        help_text=_("Vrai dès qu'une personne a agi : aucun calcul ne la modifie ensuite."),
        verbose_name=_("dernière action par"),
    )
    reminded_at = models.DateTimeField(_("rappel de livraison envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mise en relation")
        verbose_name_plural = _("mises en relation")
        ordering = ["-score", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="match_sync_idx"),
            models.Index(fields=["status", "scheduled_for"], name="match_status_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["offer", "need"], name="match_one_per_pair"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="match_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.offer} → {self.need}"

    @property
    def explanation(self) -> str:
        """The reasons as one line, in the active language."""
        from offers.reasons import reasons_text

        return reasons_text(self.reasons)


class Delivery(TimeStamped):
    """What was actually received: the figures indicators are built on."""

    match = models.OneToOneField(Match, models.PROTECT, related_name="delivery", verbose_name=_("mise en relation"))
    delivered_on = models.DateField(_("livré le"))
    mode = models.CharField(_("acheminement"), max_length=10, choices=Logistics.choices)
    quantity_received = models.DecimalField(_("quantité reçue"), **QTY, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices)
    quantity_kg = models.DecimalField(_("équivalent kg"), **QTY, null=True, blank=True)
    amount_paid_eur = models.DecimalField(_("montant payé au producteur (€)"), **PRICE, default=0)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=7, decimal_places=1, null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reçue par")
    )
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    # Traceability of a donation (or any lot): copied from the offer when the delivery is recorded.
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True)
    use_by = models.DateField(_("date limite de consommation"), null=True, blank=True)

    class Meta:
        verbose_name = _("livraison")
        verbose_name_plural = _("livraisons")
        ordering = ["-delivered_on", "-id"]
