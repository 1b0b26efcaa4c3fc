"""The catalog of inspiring initiatives, and each territory's action plan built from it.

The meetings app points at ``Initiative`` and ``PlannedAction`` (never the other way round).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.models import TimeStamped
from initiatives import typology
from miam.text import normalize


def search_normalize(text: str) -> str:
    """Kept as the catalog's name for ``miam.text.normalize`` (which spells out « œ »)."""
    return normalize(text)


def validate_not_future_year(value) -> None:
    from django.core.exceptions import ValidationError

    if value is not None and value > timezone.localdate().year:
        raise ValidationError(_("L'année %(year)s est dans le futur."), code="future_year", params={"year": value})


DOMAIN_CHOICES = [(code, fr) for code, fr, _en in typology.DOMAINS]
TYPE_CHOICES = [(code, fr) for code, _domain, fr, _en in typology.TYPES]
SCOPE_CHOICES = list(typology.SCOPES)
STATUS_CHOICES = list(typology.STATUSES)
COUNTRY_LABELS = {"FR": _("France"), "DZ": _("Algérie"), "HU": _("Hongrie"), "BE": _("Belgique"), "DE": _("Allemagne")}


# --- Catalog -------------------------------------------------------------------------


class Initiative(TimeStamped):
    class LocationPrecision(models.TextChoices):
        COMMUNE = "commune", _("commune")
        DEPARTEMENT = "departement", _("département")
        NONE = "none", _("non placée")

    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    name = models.CharField(_("nom"), max_length=300)
    tagline = models.CharField(_("accroche"), max_length=400, blank=True)
    summary = models.TextField(_("résumé"), blank=True)
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(_("domaine"), max_length=20, choices=DOMAIN_CHOICES, db_index=True)
    type = models.CharField(_("type d'initiative"), max_length=40, choices=TYPE_CHOICES, db_index=True)
    other_types = models.JSONField(_("autres typologies"), default=list, blank=True)
    # Who carries it: a name from the source, and the organization when it is on MIAM.
    carrier_name = models.CharField(_("structure porteuse"), max_length=300, blank=True)
    carrier_organization = models.ForeignKey(
        "actors.Organization",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_initiatives",
        verbose_name=_("organisation porteuse (sur MIAM)"),
    )
    # Where.
    commune_name = models.CharField(_("commune"), max_length=150, blank=True)
    commune_insee = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    commune = models.ForeignKey(
        "actors.Commune", models.SET_NULL, null=True, blank=True, related_name="initiatives", verbose_name=_("commune")
    )
    departement_code = models.CharField(_("code du département"), max_length=3, blank=True, db_index=True)
    departement = models.ForeignKey(
        "actors.Departement",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("département"),
    )
    region = models.CharField(_("région"), max_length=100, blank=True, db_index=True)
    country = models.CharField(_("pays (code ISO)"), max_length=2, default="FR")
    scope = models.CharField(_("échelle"), max_length=20, choices=SCOPE_CHOICES, default="local")
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    location_precision = models.CharField(
        _("précision de la localisation"),
        max_length=12,
        choices=LocationPrecision.choices,
        default=LocationPrecision.NONE,
    )
    # When, how it is going, for whom.
    start_year = models.PositiveSmallIntegerField(
        _("année de démarrage"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), validate_not_future_year],
    )
    status = models.CharField(_("statut"), max_length=10, choices=STATUS_CHOICES, default="active")
    beneficiaries = models.JSONField(_("publics bénéficiaires"), default=list, blank=True)
    # Money, people, lessons.
    budget_eur = models.DecimalField(
        _("budget (€)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    funding_sources = models.JSONField(_("origine des financements"), default=list, blank=True)
    partners = models.JSONField(_("partenaires"), default=list, blank=True)
    levers = models.JSONField(_("leviers"), default=list, blank=True)
    difficulties = models.JSONField(_("difficultés rencontrées"), default=list, blank=True)
    links = models.JSONField(_("liens"), default=list, blank=True)
    keywords = models.JSONField(_("mots-clés"), default=list, blank=True)
    # Where the facts come from.
    source_file = models.CharField(_("document source"), max_length=200, blank=True)
    source_section = models.CharField(_("section du document source"), max_length=300, blank=True)
    # Search: lower-case, accent-free text (miam.text.normalize), by weight.
    search_head = models.TextField(editable=False, blank=True, default="")
    search_summary = models.TextField(editable=False, blank=True, default="")
    search_text = models.TextField(editable=False, blank=True, default="")
    is_published = models.BooleanField(_("publiée"), default=True, db_index=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="initiative_latlon_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_eur__isnull=True) | Q(budget_eur__gte=0), name="initiative_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("initiatives:detail", args=[self.slug])

    @property
    def type_label(self) -> str:
        return str(typology.TYPE_LABELS.get(self.type, self.type))

    @property
    def domain_label(self) -> str:
        return str(typology.DOMAIN_LABELS.get(self.domain, self.domain))

    @property
    def place_label(self) -> str:
        parts = [self.commune_name or (self.commune.name if self.commune_id else "")]
        if self.departement_code:
            parts.append(f"({self.departement_code})")
        label = " ".join(p for p in parts if p)
        if not label:
            label = self.region
        elif self.region:
            label = f"{label}, {self.region}"
        country = COUNTRY_LABELS.get(self.country, self.country)
        if not label:
            return country
        if self.country and self.country != "FR":
            label = f"{label}, {country}"
        return label

    def refresh_search_fields(self) -> None:
        """Fill the normalised search columns (weights: name and keywords > tagline, summary, type > rest)."""
        self.search_head = search_normalize(" ".join([self.name, *[str(k) for k in self.keywords or []]]))
        self.search_summary = search_normalize(" ".join([self.tagline, self.summary, self.type_label]))
        body = [
            self.description,
            self.carrier_name,
            self.commune_name,
            self.region,
            self.domain_label,
            *[str(p) for p in self.partners or []],
            *[str(p) for p in self.levers or []],
        ]
        self.search_text = " ".join(
            filter(None, [self.search_head, self.search_summary, search_normalize(" ".join(body))])
        )


class KeyFigure(models.Model):
    """A figure of an initiative as a structured value: 22 (value) jardins (unit) cultivés (measures) en 2021."""

    initiative = models.ForeignKey(Initiative, models.CASCADE, related_name="key_figures")
    value = models.DecimalField(_("valeur"), max_digits=16, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=60)
    measures = models.CharField(_("ce que mesure ce chiffre"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("année"), null=True, blank=True, validators=[MinValueValidator(1900), validate_not_future_year]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("chiffre clé")
        verbose_name_plural = _("chiffres clés")
        ordering = ["initiative", "position", "id"]
        constraints = [models.CheckConstraint(condition=~Q(unit=""), name="keyfigure_unit_required")]

    def __str__(self) -> str:
        return f"{self.value} {self.unit} {self.measures}".strip()


# --- Action plan ---------------------------------------------------------------------


class ActionPlan(TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("en construction")
        ADOPTED = "adopted", _("adopté")
        CLOSED = "closed", _("clos")

    territory = models.OneToOneField(
        "actors.Territory", models.CASCADE, related_name="action_plan", verbose_name=_("territoire")
    )
    title = models.CharField(_("titre"), max_length=200)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(_("présentation"), blank=True)

    class Meta:
        verbose_name = _("plan d'action")
        verbose_name_plural = _("plans d'action")
        ordering = ["territory__name"]

    def __str__(self) -> str:
        return self.title


class PlannedAction(TimeStamped):
    """An action of a territory's plan: shortlisted, then selected (with a priority) or dropped."""

    class State(models.TextChoices):
        SHORTLISTED = "shortlisted", _("présélectionnée")
        SELECTED = "selected", _("retenue")
        DROPPED = "dropped", _("écartée")

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("pas commencée")
        IN_PROGRESS = "in_progress", _("en cours")
        DONE = "done", _("terminée")
        ABANDONED = "abandoned", _("abandonnée")

    plan = models.ForeignKey(ActionPlan, models.CASCADE, related_name="actions", verbose_name=_("plan d'action"))
    initiative = models.ForeignKey(
        Initiative,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="planned_actions",
        verbose_name=_("initiative inspirante"),
    )
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("étape de sélection"), max_length=12, choices=State.choices, default=State.SHORTLISTED, db_index=True
    )
    priority = models.PositiveSmallIntegerField(_("priorité"), null=True, blank=True)
    status = models.CharField(_("avancement"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    owner_organization = models.ForeignKey(
        "actors.Organization",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_planned_actions",
        verbose_name=_("structure pilote"),
    )
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_planned_actions",
        verbose_name=_("personne pilote"),
    )
    owner_name = models.CharField(_("pilote (nom, si sans compte)"), max_length=200, blank=True)
    partner_organizations = models.ManyToManyField(
        "actors.Organization", blank=True, related_name="partner_planned_actions", verbose_name=_("partenaires")
    )
    other_partners = models.CharField(_("autres partenaires"), max_length=500, blank=True)
    budget_eur = models.DecimalField(
        _("budget (€)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    funding = models.CharField(_("financements"), max_length=500, blank=True)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    shortlisted_at = models.DateTimeField(_("présélectionnée le"), default=timezone.now)
    selected_at = models.DateTimeField(_("retenue le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("action du plan")
        verbose_name_plural = _("actions du plan")
        ordering = ["plan", "priority", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "initiative"],
                condition=Q(initiative__isnull=False),
                name="planned_action_initiative_once_per_plan",
            ),
            models.UniqueConstraint(
                fields=["plan", "priority"],
                condition=Q(state="selected"),
                name="planned_action_priority_unique_among_selected",
            ),
            models.CheckConstraint(
                condition=Q(state="selected", priority__gte=1) | ~Q(state="selected"),
                name="planned_action_selected_has_priority",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="planned_action_dates_in_order",
                violation_error_message=_("La date de fin doit suivre la date de début."),
            ),
            models.CheckConstraint(
                condition=Q(budget_eur__isnull=True) | Q(budget_eur__gte=0), name="planned_action_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionStep(models.Model):
    action = models.ForeignKey(PlannedAction, models.CASCADE, related_name="steps")
    title = models.CharField(_("étape"), max_length=300)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    is_done = models.BooleanField(_("faite"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["action", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ActionIndicator(models.Model):
    """An evaluation indicator of an action; its unit is required (kg, paniers, foyers…)."""

    action = models.ForeignKey(PlannedAction, models.CASCADE, related_name="indicators")
    name = models.CharField(_("indicateur"), max_length=200)
    unit = models.CharField(_("unité"), max_length=60)
    target_value = models.DecimalField(_("valeur cible"), max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_value = models.DecimalField(_("valeur de départ"), max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicateur d'évaluation")
        verbose_name_plural = _("indicateurs d'évaluation")
        ordering = ["action", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(unit=""), name="action_indicator_unit_required"),
            models.UniqueConstraint(fields=["action", "name"], name="action_indicator_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class IndicatorValue(models.Model):
    """The achieved value of an indicator for one period (« 2024 », « 2025-T1 »…)."""

    indicator = models.ForeignKey(ActionIndicator, models.CASCADE, related_name="values")
    period_label = models.CharField(_("période"), max_length=40)
    period_date = models.DateField(_("date de la mesure"))
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=2)
    note = models.CharField(_("commentaire"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("saisie le"), auto_now=True)

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateur")
        ordering = ["indicator", "period_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period_label"], name="indicator_value_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.period_label})"
