"""Lossless sync: a deleted row of a synced list leaves a tombstone (kind, id, deleted_at).

An app registers the models of its synced lists (``track_deletions``, in ``AppConfig.ready``);
every deletion of one of their rows, whatever does it (a service, a cascade, the admin, a
queryset's ``delete()``), writes a ``Tombstone`` in the same transaction (``post_delete``). The
sync pagination (``miam.pagination.PageOrSyncPagination``) returns, with the first page of
``?sync=1&updated_since=``, the list's tombstones since then under ``deleted``.

A bulk delete (``tombstones_batched``: a service removing many rows, the admin's bulk action,
a cascade of thousands) writes its tombstones in one INSERT as the block ends, still in its
transaction, rather than one a row.

Tombstones hold no personal data: a kind, an id, a date. They are kept ``TOMBSTONE_KEEP_DAYS``
(a partner that syncs less often than that should sync in full)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import post_delete
from django.utils import timezone

from miam.models import Tombstone

_KINDS: dict[type, str] = {}
#: The tombstones waiting for the end of the current ``tombstones_batched`` block (None: outside one).
_WAITING: ContextVar[list | None] = ContextVar("miam_tombstones_waiting", default=None)


def track_deletions(model, *, kind: str) -> None:
    _KINDS[model] = kind
    post_delete.connect(_record, sender=model, dispatch_uid=f"miam-tombstone-{kind}")


def kind_of(model) -> str | None:
    return _KINDS.get(model)


def _record(sender, instance, **kwargs) -> None:
    waiting = _WAITING.get()
    if waiting is None:
        Tombstone.objects.create(kind=_KINDS[sender], object_id=instance.pk)
    else:
        waiting.append(Tombstone(kind=_KINDS[sender], object_id=instance.pk))


@contextmanager
def tombstones_batched():
    """The deletions inside leave their tombstones in one INSERT (1,000 rows a query) at the end
    of the block, in the same transaction: the block is atomic, so that no deletion commits
    without its tombstones. Nested, the outermost block writes them."""
    if _WAITING.get() is not None:
        yield
        return
    waiting: list[Tombstone] = []
    token = _WAITING.set(waiting)
    try:
        with transaction.atomic():
            yield
            _WAITING.reset(token)
            token = None
            Tombstone.objects.bulk_create(_still_deleted(waiting), batch_size=1000)
    finally:
        if token is not None:
            _WAITING.reset(token)


def _still_deleted(waiting: list[Tombstone]) -> list[Tombstone]:
    """The waiting tombstones of rows that are gone: a deletion inside the block that a savepoint
    rolled back leaves none (one query a kind)."""
    models = {kind: model for model, kind in _KINDS.items()}
    by_kind: dict[str, set[int]] = {}
    for tombstone in waiting:
        by_kind.setdefault(tombstone.kind, set()).add(tombstone.object_id)
    alive = {
        (kind, pk)
        for kind, ids in by_kind.items()
        for pk in models[kind]._base_manager.filter(pk__in=ids).values_list("pk", flat=True)
    }
    return [t for t in waiting if (t.kind, t.object_id) not in alive]


def tombstones_since(kind: str, since: dt.datetime, *, limit: int = 10_000) -> list[dict]:
    rows = Tombstone.objects.filter(kind=kind, deleted_at__gte=since).order_by("deleted_at", "id")[:limit]
    return [{"id": t.object_id, "kind": t.kind, "deleted_at": t.deleted_at} for t in rows]


def tombstones_prune(*, keep_days: int) -> int:
    deleted, _by_model = Tombstone.objects.filter(deleted_at__lt=timezone.now() - dt.timedelta(days=keep_days)).delete()
    return deleted
