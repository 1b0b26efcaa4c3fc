"""Impact factors: the figures that turn recorded facts into meals and CO₂e.

A factor is data, not code: staff correct it in the admin when a source publishes a new value,
by adding a row with a later ``valid_from`` (the old one stays, so a past period keeps being
computed with the factor that was valid then). A computed figure names the factor it used.
Sources and values: docs/indicators.md.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Factor(models.Model):
    class Code(models.TextChoices):
        MEAL_KG = "meal_kg", _("kilogrammes de denrées par repas")
        CO2E_CAR = "co2e_km_car", _("CO₂e par km, voiture particulière")
        CO2E_VAN = "co2e_km_van", _("CO₂e par km, véhicule utilitaire léger")

    code = models.CharField(_("facteur"), max_length=20, choices=Code.choices, db_index=True)
    value = models.DecimalField(
        _("valeur"), max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )
    unit = models.CharField(_("unité"), max_length=40)
    source_title = models.CharField(_("source (titre)"), max_length=300)
    source_year = models.PositiveSmallIntegerField(_("année de la source"))
    valid_from = models.DateField(_("valable à partir du"))
    note = models.CharField(_("remarque"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("facteur d'impact")
        verbose_name_plural = _("facteurs d'impact")
        ordering = ["code", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="factor_one_per_code_and_day"),
            models.CheckConstraint(condition=Q(value__gt=0), name="factor_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} : {self.value} {self.unit} ({self.source_title}, {self.source_year})"
