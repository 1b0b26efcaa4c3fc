"""Infrastructure rows no app owns: the outbox of tasks handed to the queue, the e-mails to send, the tombstones of deleted rows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from miam.fields import JSONField


class OutboxMessage(models.Model):
    """A task to hand to the queue, written in the transaction of the change that asks for it.

    ``miam.dispatch`` writes it, sends it once the transaction commits and marks it sent; a
    message the broker refused stays unsent and the beat job ``outbox_send`` sends it again.
    A rolled-back change leaves no message: nothing runs for a change that never happened."""

    task = models.CharField(_("tâche"), max_length=200)
    kwargs = JSONField(_("arguments"), default=dict, blank=True)
    task_id = models.CharField(_("identifiant Celery"), max_length=64, unique=True)
    countdown = models.FloatField(_("délai avant exécution (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentatives d'envoi"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        verbose_name = _("tâche à envoyer")
        verbose_name_plural = _("tâches à envoyer")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_unsent_idx", condition=models.Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.task} ({'envoyée' if self.sent_at else 'à envoyer'})"


class Heartbeat(models.Model):
    """The last time a Celery worker ran the beat job ``worker_heartbeat``: readiness
    (``/readyz``) fails when it is older than ``HEALTH_HEARTBEAT_MAX_AGE_SECONDS``, which says
    at once that beat, the broker and a worker all work."""

    name = models.CharField(_("nom"), max_length=40, unique=True)
    beat_at = models.DateTimeField(_("dernier battement"))
    worker = models.CharField(_("worker"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("battement de worker")
        verbose_name_plural = _("battements de worker")

    def __str__(self) -> str:
        return f"{self.name} ({self.beat_at:%Y-%m-%d %H:%M:%S})"


class Tombstone(models.Model):
    """What is left of a deleted row of a synced list (``miam.sync``): its kind, its id and
    when it went, so that a partner syncing with ``?sync=1&updated_since=`` learns of it."""

    kind = models.CharField(_("type"), max_length=40)
    object_id = models.BigIntegerField(_("identifiant"))
    deleted_at = models.DateTimeField(_("supprimé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("trace de suppression")
        verbose_name_plural = _("traces de suppression")
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["kind", "deleted_at"], name="tombstone_kind_deleted_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class OutgoingEmail(models.Model):
    """An e-mail to send, written in the transaction of the change that asks for it (``miam.mail``).

    Sent once that transaction commits, locked while it goes and marked sent in the same
    transaction, so that it is never sent twice; an SMTP refusal leaves it due with a backoff,
    and beat sends it again. Rows are purged ``OUTGOING_EMAIL_KEEP_DAYS`` after they went (or
    were given up): they hold addresses and texts (RGPD)."""

    to = models.EmailField(_("destinataire"), max_length=254)
    subject = models.CharField(_("objet"), max_length=255)
    body = models.TextField(_("texte"))
    html = models.TextField(_("HTML"), blank=True)
    #: [{"filename", "content" (text), "mimetype"}]
    attachments = JSONField(_("pièces jointes"), default=list, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    due_at = models.DateTimeField(_("à envoyer le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentatives d'envoi"), default=0)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        verbose_name = _("e-mail à envoyer")
        verbose_name_plural = _("e-mails à envoyer")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], name="outgoing_email_due_idx", condition=models.Q(due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
