"""Season agreements and the money of planned supply: funders, funding lines, donation receipts.

A ``SupplyAgreement`` (convention d'approvisionnement) binds a farm and one or several food-aid
structures (``AgreementParty``) to regular deliveries over a period; once active, each of its
``Occurrence`` rows is an ordinary match of ``offers`` (``offers.services.planned``). A
``FundingLine`` of a ``Funder`` pays part of the gap between the fair producer price and the
price the structure pays; each delivery consumes it (``FundingUse``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from actors.models import Organization, Territory, TimeStamped
from miam.fields import JSONField
from offers.models import Delivery, Match, Offer
from products.models import ProductCategory, Unit

QTY = {"max_digits": 12, "decimal_places": 3}
PRICE = {"max_digits": 9, "decimal_places": 2}
AMOUNT = {"max_digits": 12, "decimal_places": 2}


class Funder(TimeStamped):
    """Who pays part of the gap: a PAT, a département, a CCAS, a foundation…"""

    class Kind(models.TextChoices):
        PAT = "pat", _("projet alimentaire territorial")
        DEPARTEMENT = "departement", _("département")
        REGION = "region", _("région")
        CCAS = "ccas", _("CCAS ou commune")
        STATE = "state", _("État")
        FOUNDATION = "foundation", _("fondation ou mécène")
        OTHER = "other", _("autre")

    territory = models.ForeignKey(Territory, models.CASCADE, related_name="funders", verbose_name=_("territoire"))
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type de financeur"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("financeur")
        verbose_name_plural = _("financeurs")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FundingLine(TimeStamped):
    """An amount a funder gives over a period, paid per kilogram delivered, within its rules."""

    funder = models.ForeignKey(Funder, models.PROTECT, related_name="lines", verbose_name=_("financeur"))
    name = models.CharField(_("intitulé"), max_length=200)
    amount_eur = models.DecimalField(_("montant (€)"), **AMOUNT, validators=[MinValueValidator(0)])
    # Sum of the deliveries paid, kept by services under the line's row lock; never typed.
    consumed_eur = models.DecimalField(_("montant consommé (€)"), **AMOUNT, default=0, editable=False)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    share_per_kg_eur = models.DecimalField(
        _("prise en charge par kg (€)"),
        **PRICE,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Au plus l'écart entre le prix juste et le prix payé par la structure."),
    )
    categories = models.ManyToManyField(
        ProductCategory, blank=True, related_name="+", verbose_name=_("catégories éligibles (vide : toutes)")
    )
    structures = models.ManyToManyField(
        Organization, blank=True, related_name="+", verbose_name=_("structures éligibles (vide : toutes)")
    )
    alert_percent = models.PositiveSmallIntegerField(
        _("alerte quand il reste moins de (%)"), default=20, validators=[MaxValueValidator(100)]
    )
    alerted_at = models.DateTimeField(_("alerte envoyée le"), null=True, blank=True, editable=False)
    # What signed agreements will draw from the line (their planned gap), under its row lock:
    # a line is never promised twice. Each delivery moves its share from reserved to consumed.
    reserved_eur = models.DecimalField(_("montant réservé (€)"), **AMOUNT, default=0, editable=False)

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(consumed_eur__gte=0), name="funding_consumed_not_negative"),
            models.CheckConstraint(condition=Q(consumed_eur__lte=F("amount_eur")), name="funding_within_amount"),
            models.CheckConstraint(condition=Q(reserved_eur__gte=0), name="funding_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved_eur__lte=F("amount_eur") - F("consumed_eur")), name="funding_reserved_within_left"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="funding_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.funder} – {self.name}"

    @property
    def remaining_eur(self) -> Decimal:
        return self.amount_eur - self.consumed_eur

    @property
    def available_eur(self) -> Decimal:
        """What is neither consumed nor promised to a signed agreement."""
        return self.amount_eur - self.consumed_eur - self.reserved_eur


class SupplyAgreement(TimeStamped):
    """A convention d'approvisionnement: regular deliveries at a fair price over a period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PROPOSED = "proposed", _("proposée à la signature")
        SIGNED = "signed", _("signée par toutes les parties")
        ACTIVE = "active", _("en cours")
        SUSPENDED = "suspended", _("suspendue")
        ENDED = "ended", _("terminée")

    farm = models.ForeignKey(Organization, models.PROTECT, related_name="supply_agreements", verbose_name=_("ferme"))
    structures = models.ManyToManyField(
        Organization, through="AgreementParty", related_name="supply_agreements_received", verbose_name=_("structures")
    )
    category = models.ForeignKey(ProductCategory, models.PROTECT, related_name="+", verbose_name=_("catégorie"))
    product_name = models.CharField(_("produit"), max_length=120)
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices, default=Unit.KG)
    pack_size = models.DecimalField(_("conditionnement"), **QTY, null=True, blank=True)
    quantity_per_delivery = models.DecimalField(
        _("quantité par livraison et par structure"), **QTY, validators=[MinValueValidator(Decimal("0.001"))]
    )
    recurrence = models.CharField(_("récurrence (RRULE)"), max_length=200)
    recurrence_label = models.CharField(_("récurrence"), max_length=120, blank=True)
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    fair_price_per_unit = models.DecimalField(_("prix juste au producteur (€ par unité)"), **PRICE)
    price_paid_per_unit = models.DecimalField(_("prix payé par la structure (€ par unité)"), **PRICE)
    usual_price_per_unit = models.DecimalField(_("prix habituel (€ par unité)"), **PRICE, null=True, blank=True)
    household_price_per_unit = models.DecimalField(
        _("prix au ménage (€ par unité)"),
        **PRICE,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Quand la structure revend (épicerie solidaire) : le prix payé par le ménage."),
    )
    carrier = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("transport assuré par"))
    transport_payer = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name=_("transport payé par")
    )
    transport_cost_eur = models.DecimalField(_("coût du transport par livraison (€)"), **PRICE, default=0)
    funding_line = models.ForeignKey(
        FundingLine,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("financement de l'écart"),
    )
    # The part of the line's reservation this agreement holds (its planned gap not yet delivered).
    funding_reserved_eur = models.DecimalField(_("financement réservé (€)"), **AMOUNT, default=0, editable=False)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    farm_signed_at = models.DateTimeField(_("signée par la ferme le"), null=True, blank=True)
    farm_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("signée par")
    )
    offer = models.ForeignKey(
        Offer, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("production planifiée")
    )
    ended_on = models.DateField(_("terminée le"), null=True, blank=True)
    # A pre-order of a farm's published harvest (``services.demand``): the offer, and how much of
    # it the agreement holds on the offer's reserved quantity until it starts (its deliveries
    # then carry it) or ends before; kept by the services under the offer's row lock.
    preorder_offer = models.ForeignKey(
        Offer, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("production pré-commandée")
    )
    preorder_quantity_held = models.DecimalField(_("quantité pré-commandée réservée"), **QTY, default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créée par")
    )

    class Meta:
        verbose_name = _("convention d'approvisionnement")
        verbose_name_plural = _("conventions d'approvisionnement")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="agreement_period_ordered"),
            models.CheckConstraint(
                condition=Q(price_paid_per_unit__lte=F("fair_price_per_unit")), name="agreement_paid_within_fair"
            ),
            models.CheckConstraint(condition=Q(quantity_per_delivery__gt=0), name="agreement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(household_price_per_unit__isnull=True) | Q(household_price_per_unit__gte=0),
                name="agreement_household_price_not_negative",
            ),
            models.CheckConstraint(condition=Q(funding_reserved_eur__gte=0), name="agreement_reserved_not_negative"),
            models.CheckConstraint(condition=Q(preorder_quantity_held__gte=0), name="agreement_preorder_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} – {self.farm}"

    @property
    def gap_per_unit(self) -> Decimal:
        return self.fair_price_per_unit - self.price_paid_per_unit


class AgreementParty(models.Model):
    """A structure of an agreement, its signature, and what a public buyer's invoice needs."""

    agreement = models.ForeignKey(SupplyAgreement, models.CASCADE, related_name="parties", verbose_name=_("convention"))
    structure = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("structure"))
    signed_at = models.DateTimeField(_("signée le"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("signée par")
    )
    # Chorus Pro (public buyers, a CCAS): the service code and the commitment number.
    service_code = models.CharField(_("code service (Chorus Pro)"), max_length=100, blank=True)
    commitment_number = models.CharField(_("numéro d'engagement"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("structure signataire")
        verbose_name_plural = _("structures signataires")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["agreement", "structure"], name="agreement_party_once")]

    def __str__(self) -> str:
        return f"{self.structure} ({self.agreement})"


class AgreementEvent(models.Model):
    """The history of an agreement: who did what, from which status to which."""

    agreement = models.ForeignKey(SupplyAgreement, models.CASCADE, related_name="events", verbose_name=_("convention"))
    at = models.DateTimeField(_("le"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("statut avant"), max_length=10, blank=True)
    to_status = models.CharField(_("statut après"), max_length=10, blank=True)
    note = models.CharField(_("détail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("événement d'une convention")
        verbose_name_plural = _("historique des conventions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.agreement} – {self.action}"


class Occurrence(models.Model):
    """One delivery of the series to one structure; ``planned_for`` is its date in the
    recurrence, ``date`` where it actually falls (moved)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("prévue")
        SKIPPED = "skipped", _("sautée")

    agreement = models.ForeignKey(
        SupplyAgreement, models.CASCADE, related_name="occurrences", verbose_name=_("convention")
    )
    structure = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("structure"))
    planned_for = models.DateField(_("date dans la récurrence"))
    date = models.DateField(_("date de livraison"))
    quantity = models.DecimalField(_("quantité"), **QTY, validators=[MinValueValidator(Decimal("0.001"))])
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    match = models.OneToOneField(
        Match, models.SET_NULL, null=True, blank=True, related_name="occurrence", verbose_name=_("mise en relation")
    )
    household_price_per_unit = models.DecimalField(
        _("prix au ménage (€ par unité)"),
        **PRICE,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Vide : celui de la convention."),
    )
    # The share of the agreement's funding line reserved for this delivery when it was planned.
    funding_reserved_eur = models.DecimalField(_("financement réservé (€)"), **PRICE, default=0, editable=False)
    # The beat job claims the reminder (``reminded_at``) and hands it to the outbox in one
    # transaction; the task writes it once (``reminder_sent_at``), however often it runs.
    reminded_at = models.DateTimeField(_("rappel programmé le"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("livraison d'une convention")
        verbose_name_plural = _("livraisons des conventions")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "structure", "planned_for"], name="occurrence_once"),
            models.CheckConstraint(
                condition=Q(household_price_per_unit__isnull=True) | Q(household_price_per_unit__gte=0),
                name="occurrence_household_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} – {self.date}"

    @property
    def household_price(self) -> Decimal | None:
        """The price the household pays for this delivery: its own, else the agreement's."""
        if self.household_price_per_unit is not None:
            return self.household_price_per_unit
        return self.agreement.household_price_per_unit


class FundingUse(models.Model):
    """What a funding line paid for one delivery."""

    line = models.ForeignKey(FundingLine, models.PROTECT, related_name="uses", verbose_name=_("ligne de financement"))
    delivery = models.OneToOneField(Delivery, models.PROTECT, related_name="funding_use", verbose_name=_("livraison"))
    quantity_kg = models.DecimalField(_("kg pris en charge"), **QTY)
    amount_eur = models.DecimalField(_("montant (€)"), **PRICE)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("financement d'une livraison")
        verbose_name_plural = _("financements des livraisons")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.line} – {self.amount_eur} €"


class DonationReceipt(models.Model):
    """A receipt for a company's gifts in kind (the fields of the cerfa 2041-MEC), issued by the
    receiving structure, numbered per structure and year. Never changed once issued: it is
    cancelled, and a new one issued in its place (``replaces``)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("délivré")
        CANCELLED = "cancelled", _("annulé")

    structure = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("bénéficiaire"))
    donor = models.ForeignKey(Organization, models.PROTECT, related_name="+", verbose_name=_("donateur"))
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("numéro d'ordre"))
    period_start = models.DateField(_("dons du"))
    period_end = models.DateField(_("au"))
    total_value_eur = models.DecimalField(_("valeur des dons (€)"), **AMOUNT)
    # What the receipt says, frozen when issued: the parties as they were, the entitlement.
    structure_snapshot = JSONField(_("bénéficiaire (tel que délivré)"), default=dict)
    donor_snapshot = JSONField(_("donateur (tel que délivré)"), default=dict)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField(_("délivré le"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("délivré par"),
    )
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancel_reason = models.CharField(_("motif de l'annulation"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="replaced_by", verbose_name=_("remplace le reçu")
    )

    class Meta:
        verbose_name = _("reçu de dons en nature")
        verbose_name_plural = _("reçus de dons en nature")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "year", "sequence"], name="receipt_number_once"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.year}-{self.sequence:04d}"

    FROZEN = (
        "structure_id",
        "donor_id",
        "year",
        "sequence",
        "period_start",
        "period_end",
        "total_value_eur",
        "structure_snapshot",
        "donor_snapshot",
    )

    def save(self, *args, **kwargs):
        """An issued receipt is never changed: only its cancellation is written, once."""
        if self.pk:
            before = type(self).objects.filter(pk=self.pk).values(*self.FROZEN, "status").first()
            if before is not None and (
                before["status"] == self.Status.CANCELLED or any(before[f] != getattr(self, f) for f in self.FROZEN)
            ):
                from miam.errors import DomainError

                raise DomainError(
                    "receipt_immutable",
                    _("Un reçu délivré ne se modifie pas : annulez-le et délivrez-en un nouveau."),
                )
        super().save(*args, **kwargs)


class DonationReceiptItem(models.Model):
    """One delivered donation on a receipt; a delivery is on one valid receipt at most."""

    receipt = models.ForeignKey(DonationReceipt, models.CASCADE, related_name="items", verbose_name=_("reçu"))
    delivery = models.ForeignKey(Delivery, models.PROTECT, related_name="+", verbose_name=_("livraison"))
    cancelled = models.BooleanField(_("annulé"), default=False)
    delivered_on = models.DateField(_("livré le"))
    product = models.CharField(_("produit"), max_length=120)
    quantity = models.DecimalField(_("quantité"), **QTY)
    unit = models.CharField(_("unité"), max_length=10)
    quantity_kg = models.DecimalField(_("équivalent kg"), **QTY, null=True, blank=True)
    lot_number = models.CharField(_("numéro de lot"), max_length=60, blank=True)
    use_by = models.DateField(_("date limite de consommation"), null=True, blank=True)
    unit_value_eur = models.DecimalField(_("valeur unitaire (prix habituel, €)"), **PRICE)
    value_eur = models.DecimalField(_("valeur (€)"), **AMOUNT)

    class Meta:
        verbose_name = _("don d'un reçu")
        verbose_name_plural = _("dons des reçus")
        ordering = ["delivered_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery"], condition=Q(cancelled=False), name="receipt_item_delivery_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} – {self.product}"


class DemandForecast(TimeStamped):
    """What a structure expects to need of a category in a month (the demand calendar)."""

    structure = models.ForeignKey(Organization, models.CASCADE, related_name="+", verbose_name=_("structure"))
    category = models.ForeignKey(ProductCategory, models.PROTECT, related_name="+", verbose_name=_("catégorie"))
    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois."))
    quantity_kg = models.DecimalField(_("quantité attendue (kg)"), **QTY, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("besoin prévu")
        verbose_name_plural = _("calendrier des besoins")
        ordering = ["month", "category", "structure"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "category", "month"], name="forecast_once"),
            models.CheckConstraint(condition=Q(quantity_kg__gte=0), name="forecast_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.structure} – {self.category} – {self.month:%Y-%m}"
