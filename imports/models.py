"""An import of a spreadsheet: the file as received, who sent it, what it did, every error."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from miam.fields import JSONField


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        FARMS = "farms", _("Fermes")
        STRUCTURES = "structures", _("Structures d'aide alimentaire")
        OFFERS = "offers", _("Offres")
        NEEDS = "needs", _("Besoins")

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        CHECKING = "checking", _("vérification en cours")
        CHECKED = "checked", _("vérifié, prêt à importer")
        INVALID = "invalid", _("erreurs à corriger")
        IMPORTING = "importing", _("import en cours")
        DONE = "done", _("importé")
        FAILED = "failed", _("échec")

    class OnDuplicate(models.TextChoices):
        UPDATE = "update", _("mettre à jour la fiche existante")
        SKIP = "skip", _("ignorer la ligne")

    kind = models.CharField(_("contenu"), max_length=20, choices=Kind.choices)
    territory = models.ForeignKey(
        "actors.Territory",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_batches",
        verbose_name=_("territoire"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="import_batches",
        verbose_name=_("importé par"),
    )
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    content = models.BinaryField(_("contenu du fichier"))
    encoding = models.CharField(_("encodage lu"), max_length=40, blank=True)
    on_duplicate = models.CharField(
        _("si l'acteur existe déjà"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.UPDATE
    )
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("lignes lues"), default=0)
    rows_created = models.PositiveIntegerField(_("lignes créées"), default=0)
    rows_updated = models.PositiveIntegerField(_("lignes mises à jour"), default=0)
    rows_skipped = models.PositiveIntegerField(_("lignes ignorées (doublons)"), default=0)
    rows_invalid = models.PositiveIntegerField(_("lignes en erreur"), default=0)
    # Every error, never capped: [{"line": 3, "column": "SIRET", "value": "123", "reason": "…"}].
    errors = JSONField(_("erreurs"), default=list, blank=True)
    # What was written but deserves a look, the same shape: an address the geocoder did not find,
    # the actor placed at its town hall.
    warnings = JSONField(_("avertissements"), default=list, blank=True)
    # A problem with the file as a whole (not a spreadsheet, a required column missing).
    file_error = models.TextField(_("erreur sur le fichier"), blank=True)
    task_id = models.CharField(_("tâche"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("import de tableur")
        verbose_name_plural = _("imports de tableurs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_kind_display()})"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.CHECKING, self.Status.IMPORTING)
