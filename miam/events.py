"""Domain events: a small registry that lets any app announce what happened, and any other
app listen, without either importing the other.

An app declares its event types once (``register``, at import of its ``events`` module) and
emits them from its services, inside their transaction (``emit``)::

    OFFER_CREATED = events.register("offer.created", _("offre créée"))
    events.emit(OFFER_CREATED, data={"id": 3, ...}, organization_ids=[12])

A listener (``listen``; ``interop`` records webhook deliveries) is called synchronously with
the events, in the emitter's transaction: what it writes commits or rolls back with the change
that caused it, and any background work goes through ``miam.dispatch`` (after the commit).
``organization_ids`` and ``territory_ids`` say whom the event concerns: a listener uses them
to decide who may hear of it.

This module imports no app (the ``miam-shared`` contract).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass(frozen=True)
class EventType:
    name: str
    label: str  # lazy translation
    description: str = ""


@dataclass(frozen=True)
class DomainEvent:
    type: str
    data: dict
    organization_ids: tuple[int, ...] = ()
    territory_ids: tuple[int, ...] = ()
    occurred_at: dt.datetime = field(default_factory=timezone.now)


_TYPES: dict[str, EventType] = {}
_LISTENERS: list[Callable[[list[DomainEvent]], None]] = []
_WANTS: dict[Callable, Callable[[str], bool]] = {}


def register(name: str, label, description: str = "") -> str:
    """Declare an event type (idempotent); returns its name."""
    _TYPES.setdefault(name, EventType(name=name, label=label, description=description))
    return name


def register_actions(kind: str, labels: dict) -> None:
    """Declare ``<kind>.<action>`` for each action of ``labels`` (action → label)."""
    for action, label in labels.items():
        register(f"{kind}.{action}", label)


def types() -> list[EventType]:
    """Every registered event type, by name."""
    return [_TYPES[name] for name in sorted(_TYPES)]


def is_registered(name: str) -> bool:
    return name in _TYPES


def listen(listener: Callable[[list[DomainEvent]], None], *, wants: Callable[[str], bool] | None = None) -> None:
    """Call ``listener(events)`` for every batch emitted (once per listener). ``wants(type)``
    says whether it cares for a type at all, so that an emitter may skip building a costly
    batch nobody hears (``wanted``)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    if wants is not None:
        _WANTS[listener] = wants


def wanted(name: str) -> bool:
    """Whether any listener may hear of events of this type."""
    return any(listener not in _WANTS or _WANTS[listener](name) for listener in _LISTENERS)


def emit(name: str, *, data: dict, organization_ids: Iterable[int] = (), territory_ids: Iterable[int] = ()) -> None:
    emit_many(
        [
            DomainEvent(
                type=name,
                data=data,
                organization_ids=tuple(i for i in organization_ids if i),
                territory_ids=tuple(i for i in territory_ids if i),
            )
        ]
    )


def emit_many(batch: list[DomainEvent]) -> None:
    """Emit several events at once (a matching run's proposals): listeners see one batch."""
    if not batch:
        return
    unknown = [event.type for event in batch if event.type not in _TYPES]
    if unknown:
        raise ValueError(f"unregistered event types: {sorted(set(unknown))}")
    for listener in list(_LISTENERS):
        listener(batch)
