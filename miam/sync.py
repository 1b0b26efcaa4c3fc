"""Lossless sync: a deleted row of a synced list leaves a tombstone (kind, id, deleted_at).

An app registers the models of its synced lists (``track_deletions``, in ``AppConfig.ready``);
every deletion of one of their rows, whatever does it (a service, a cascade, the admin, a
queryset's ``delete()``), writes a ``Tombstone`` in the same transaction (``post_delete``). The
sync pagination (``miam.pagination.PageOrSyncPagination``) returns, with the first page of
``?sync=1&updated_since=``, the list's tombstones since then under ``deleted``.

Tombstones hold no personal data: a kind, an id, a date. They are kept ``TOMBSTONE_KEEP_DAYS``
(a partner that syncs less often than that should sync in full)."""

from __future__ import annotations

import datetime as dt

from django.db.models.signals import post_delete
from django.utils import timezone

from miam.models import Tombstone

_KINDS: dict[type, str] = {}


def track_deletions(model, *, kind: str) -> None:
    _KINDS[model] = kind
    post_delete.connect(_record, sender=model, dispatch_uid=f"miam-tombstone-{kind}")


def kind_of(model) -> str | None:
    return _KINDS.get(model)


def _record(sender, instance, **kwargs) -> None:
    Tombstone.objects.create(kind=_KINDS[sender], object_id=instance.pk)


def tombstones_since(kind: str, since: dt.datetime, *, limit: int = 10_000) -> list[dict]:
    rows = Tombstone.objects.filter(kind=kind, deleted_at__gte=since).order_by("deleted_at", "id")[:limit]
    return [{"id": t.object_id, "kind": t.kind, "deleted_at": t.deleted_at} for t in rows]


def tombstones_prune(*, keep_days: int) -> int:
    deleted, _by_model = Tombstone.objects.filter(deleted_at__lt=timezone.now() - dt.timedelta(days=keep_days)).delete()
    return deleted
