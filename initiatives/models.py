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
from miam.fields import JSONField
from miam.text import normalize


def search_normalize(text: str) -> str:
    """Kept as the catalog's name for ``miam.text.normalize`` (which spells out « œ »)."""
    return normalize(text)


def validate_not_future_year(value) -> None:
    from django.core.exceptions import ValidationError

    if value is not None and value > timezone.localdate().year:
        raise ValidationError(_("L'année %(year)s est dans le futur."), code="future_year", params={"year": value})


DOMAIN_CHOICES = list(typology.DOMAINS)
TYPE_CHOICES = [(code, label) for code, _domain, label in typology.TYPES]
SCOPE_CHOICES = list(typology.SCOPES)
STATUS_CHOICES = list(typology.STATUSES)
QUALIFIER_CHOICES = list(typology.FIGURE_QUALIFIERS)
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
    # Other catalog types the source supports (typology.TYPE_CODES), the primary one excluded.
    secondary_types = JSONField(_("autres types"), default=list, blank=True)
    # The source's own classification ("resolis:farm_sales", "cocolupa:production"...).
    other_types = JSONField(_("classement de la source"), default=list, blank=True)
    # Who carries it: a name from the source, and the organization when it is on MIAM.
    carrier_name = models.CharField(_("structure porteuse"), max_length=300, blank=True)
    carrier_kinds = JSONField(_("type de structure porteuse"), default=list, blank=True)
    employees_count = models.PositiveIntegerField(_("salariés"), null=True, blank=True)
    volunteers_count = models.PositiveIntegerField(_("bénévoles"), null=True, blank=True)
    members_count = models.PositiveIntegerField(_("adhérents"), null=True, blank=True)
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
    # A place the source gives that does not fit the initiative's territory, said rather than carried.
    place_note = models.CharField(_("remarque sur le lieu"), max_length=400, blank=True)
    # When, how it is going, for whom.
    start_year = models.PositiveSmallIntegerField(
        _("année de démarrage"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), validate_not_future_year],
    )
    status = models.CharField(_("statut"), max_length=10, choices=STATUS_CHOICES, default="active")
    beneficiaries = JSONField(_("publics bénéficiaires"), default=list, blank=True)
    beneficiaries_note = models.CharField(_("publics, selon la source"), max_length=400, blank=True)
    objectives = JSONField(_("objectifs"), default=list, blank=True)
    objective_kinds = JSONField(_("types d'objectifs"), default=list, blank=True)
    # Money, people, results, lessons.
    budget_eur = models.DecimalField(
        _("budget (€)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    funding_sources = JSONField(_("origine des financements"), default=list, blank=True)
    partners = JSONField(_("partenaires"), default=list, blank=True)
    results = JSONField(_("résultats et impacts"), default=list, blank=True)
    levers = JSONField(_("facteurs de réussite"), default=list, blank=True)
    difficulties = JSONField(_("difficultés rencontrées"), default=list, blank=True)
    solutions = JSONField(_("solutions adoptées"), default=list, blank=True)
    improvements = JSONField(_("améliorations envisagées"), default=list, blank=True)
    # The RESOLIS reading committee: its assessment and the date it read the sheet.
    committee_assessments = JSONField(_("appréciation du comité de lecture"), default=list, blank=True)
    committee_read_on = models.DateField(_("fiche lue par le comité le"), null=True, blank=True)
    links = JSONField(_("liens"), default=list, blank=True)
    keywords = JSONField(_("mots-clés"), default=list, blank=True)
    # Where the facts come from: [{"document": code, "title": ..., "section": ...}], the first one primary.
    sources = JSONField(_("sources"), default=list, blank=True)
    # What the source gets wrong or leaves unclear (two figures that disagree...), said to the reader.
    source_notes = JSONField(_("remarques sur la source"), default=list, blank=True)
    # Search: lower-case, accent-free text (miam.text.normalize), by weight.
    search_head = models.TextField(editable=False, blank=True, default="", verbose_name=_("texte de recherche (titre)"))
    search_summary = models.TextField(
        editable=False, blank=True, default="", verbose_name=_("texte de recherche (résumé)")
    )
    search_text = models.TextField(editable=False, blank=True, default="", verbose_name=_("texte de recherche"))
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
    def all_types(self) -> list[str]:
        """The primary type, then the secondary ones."""
        return [self.type, *[t for t in self.secondary_types or [] if t != self.type]]

    @property
    def type_labels(self) -> list[str]:
        return [str(typology.TYPE_LABELS.get(code, code)) for code in self.all_types]

    @property
    def secondary_type_labels(self) -> list[str]:
        return self.type_labels[1:]

    @property
    def other_type_labels(self) -> list[str]:
        """The source's own classification, « typology: label »."""
        labels = []
        for code in self.other_types or []:
            prefix = code.partition(":")[0]
            name = typology.OTHER_TYPOLOGY_NAMES.get(prefix, prefix)
            labels.append(f"{name} : {typology.OTHER_TYPE_LABELS.get(code, code)}")
        return labels

    @property
    def carrier_kind_labels(self) -> list[str]:
        labels = dict(typology.CARRIER_KINDS)
        return [str(labels.get(code, code)) for code in self.carrier_kinds or []]

    @property
    def objective_kind_labels(self) -> list[str]:
        labels = dict(typology.OBJECTIVE_KINDS)
        return [str(labels.get(code, code)) for code in self.objective_kinds or []]

    @property
    def committee_assessment_labels(self) -> list[str]:
        labels = dict(typology.COMMITTEE_ASSESSMENTS)
        return [str(labels.get(code, code)) for code in self.committee_assessments or []]

    @property
    def beneficiary_labels(self) -> list[str]:
        labels = dict(typology.BENEFICIARIES)
        return [str(labels.get(code, code)) for code in self.beneficiaries or []]

    @property
    def has_headcounts(self) -> bool:
        return any(n is not None for n in (self.employees_count, self.volunteers_count, self.members_count))

    @property
    def citations(self) -> list[str]:
        """Each source as « title, § section »."""
        return [
            f"{s.get('title')}, § {s['section']}" if s.get("section") else str(s.get("title")) for s in self.sources
        ]

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
            return str(country)
        if self.country and self.country != "FR":
            label = f"{label}, {country}"
        return label

    def refresh_search_fields(self) -> None:
        """Fill the normalised search columns (weights: name and keywords > tagline, summary, types > rest)."""
        self.search_head = search_normalize(" ".join([self.name, *[str(k) for k in self.keywords or []]]))
        self.search_summary = search_normalize(" ".join([self.tagline, self.summary, *self.type_labels]))
        body = [
            self.description,
            self.carrier_name,
            self.commune_name,
            self.region,
            self.domain_label,
            self.beneficiaries_note,
            *[str(p) for p in self.objectives or []],
            *[str(p) for p in self.results or []],
            *[str(p) for p in self.partners or []],
            *[str(p) for p in self.levers or []],
        ]
        self.search_text = " ".join(
            filter(None, [self.search_head, self.search_summary, search_normalize(" ".join(body))])
        )


class KeyFigure(models.Model):
    """A figure of an initiative as a structured value: 22 (value) jardins (unit) cultivés (measures) en 2021."""

    initiative = models.ForeignKey(Initiative, models.CASCADE, related_name="key_figures", verbose_name=_("initiative"))
    value = models.DecimalField(_("valeur"), max_digits=16, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=60)
    measures = models.CharField(_("ce que mesure ce chiffre"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("année"), null=True, blank=True, validators=[MinValueValidator(1900), validate_not_future_year]
    )
    qualifier = models.CharField(_("précision"), max_length=12, choices=QUALIFIER_CHOICES, default="", blank=True)
    # Which of the initiative's sources gives this figure (index in Initiative.sources).
    source_index = models.PositiveSmallIntegerField(_("source"), default=0)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("chiffre clé")
        verbose_name_plural = _("chiffres clés")
        ordering = ["initiative", "position", "id"]
        constraints = [models.CheckConstraint(condition=~Q(unit=""), name="keyfigure_unit_required")]

    def __str__(self) -> str:
        return f"{self.value} {self.unit} {self.measures}".strip()

    @property
    def qualifier_label(self) -> str:
        return str(dict(typology.FIGURE_QUALIFIERS).get(self.qualifier, "")) if self.qualifier else ""


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
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("créée par"),
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
    action = models.ForeignKey(PlannedAction, models.CASCADE, related_name="steps", verbose_name=_("action"))
    title = models.CharField(_("étape"), max_length=300)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    is_done = models.BooleanField(_("faite"), default=False)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["action", "position", "id"]

    def __str__(self) -> str:
        return self.title


class ActionIndicator(models.Model):
    """An evaluation indicator of an action; its unit is required (kg, paniers, foyers…)."""

    action = models.ForeignKey(PlannedAction, models.CASCADE, related_name="indicators", verbose_name=_("action"))
    name = models.CharField(_("indicateur"), max_length=200)
    unit = models.CharField(_("unité"), max_length=60)
    target_value = models.DecimalField(_("valeur cible"), max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_value = models.DecimalField(_("valeur de départ"), max_digits=14, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

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

    indicator = models.ForeignKey(ActionIndicator, models.CASCADE, related_name="values", verbose_name=_("indicateur"))
    period_label = models.CharField(_("période"), max_length=40)
    period_date = models.DateField(_("date de la mesure"))
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=2)
    note = models.CharField(_("commentaire"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("saisie par"),
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
