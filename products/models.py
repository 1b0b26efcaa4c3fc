"""The reference taxonomy: product categories (two levels), storage classes, units.

This app imports no other app: actors (a farm's productions), offers (an offer's or a
need's categories) and later logistics and indicators all read it.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Storage(models.TextChoices):
    AMBIENT = "ambient", _("ambiant")
    CHILLED = "chilled", _("réfrigéré (0 à 4 °C)")
    FROZEN = "frozen", _("congelé (≤ −18 °C)")


#: Colder is stricter: a chilled product may travel frozen, never ambient.
STORAGE_RANK = {Storage.AMBIENT: 0, Storage.CHILLED: 1, Storage.FROZEN: 2}


class Unit(models.TextChoices):
    KG = "kg", _("kg")
    LITRE = "l", _("litre")
    PIECE = "piece", _("pièce")
    DOZEN = "dozen", _("douzaine")
    CRATE = "crate", _("cagette")


class ProductCategory(models.Model):
    """Two-level taxonomy (e.g. Légumes › Pommes de terre), loaded by a data migration.

    Each category also says in which units it may be counted and how to weigh them
    (``products.units``): the average mass of a piece, the mass of a litre. Those factors
    and their sources are listed in docs/units.md; staff may correct them in the admin."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("famille")
    )
    # A frozen or processed form of another category (UHT milk of milk, frozen fish of fresh
    # fish): a need for that category accepts it too, when the structure can store it.
    variant_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="variants",
        verbose_name=_("variante de"),
        help_text=_("Forme surgelée ou transformée d'une autre catégorie, acceptée par les besoins de celle-ci."),
    )
    storage = models.CharField(_("conservation"), max_length=10, choices=Storage.choices, default=Storage.AMBIENT)
    default_unit = models.CharField(_("unité par défaut"), max_length=10, choices=Unit.choices, default=Unit.KG)
    shelf_life_days = models.PositiveIntegerField(_("durée de conservation typique (jours)"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0, verbose_name=_("ordre d'affichage"))
    allowed_units = models.JSONField(
        _("unités possibles"),
        default=list,
        blank=True,
        help_text=_("Codes d'unités (kg, l, piece, dozen, crate) ; vide : toutes."),
    )
    kg_per_piece = models.DecimalField(
        _("poids moyen d'une pièce (kg)"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("Vide : les pièces de cette catégorie ne se convertissent pas en kg."),
    )
    kg_per_litre = models.DecimalField(
        _("masse d'un litre (kg)"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("Vide : les litres de cette catégorie ne se convertissent pas en kg."),
    )
    units_source = models.CharField(
        _("source des facteurs de conversion"), max_length=300, blank=True, help_text=_("D'où viennent ces chiffres.")
    )

    class Meta:
        verbose_name = _("catégorie de produits")
        verbose_name_plural = _("catégories de produits")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.parent.label} › {self.label}" if self.parent_id and self.parent else self.label

    @property
    def label(self) -> str:
        """The name in the active language: the taxonomy carries its French and English names."""
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name

    def clean(self) -> None:
        units = self.allowed_units or []
        if not isinstance(units, list) or any(unit not in Unit.values for unit in units):
            raise ValidationError({"allowed_units": _("Unité inconnue : utilisez kg, l, piece, dozen ou crate.")})
        if units and self.default_unit not in units:
            raise ValidationError({"default_unit": _("L'unité par défaut doit faire partie des unités possibles.")})

    def unit_factors(self):
        """What ``products.units`` needs to convert quantities of this category."""
        from products.units import UnitFactors

        return UnitFactors(
            category=self.code,
            units=tuple(self.allowed_units or Unit.values),
            kg_per_piece=self.kg_per_piece,
            kg_per_litre=self.kg_per_litre,
        )
