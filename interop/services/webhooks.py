"""Webhooks: subscriptions, the recording of domain events, sending and the delivery log.

- ``events_record`` listens to ``miam.events``: in the emitter's transaction it writes one
  ``WebhookEvent`` and one ``Delivery`` per subscription that may hear of it, and hands each
  delivery to the queue through ``miam.dispatch`` (sent once the transaction commits: an event
  of a change that rolled back is never sent).
- ``delivery_attempt`` (the Celery job) posts the JSON body, signed the Standard Webhooks way
  (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``, the ``standardwebhooks``
  package), to a URL checked again (``interop.targets``). A 2xx is a success; anything else
  is logged as an ``Attempt`` and tried again after ``WEBHOOK_RETRY_DELAYS`` (back-off), then
  given up; the subscription counts its consecutive failures.
- ``delivery_replay`` sends a delivery again, with the same message id (receivers dedupe on it).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
import time
import uuid
from collections.abc import Iterable

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from actors import permissions
from actors.models import Organization, Territory
from interop.inputs import SubscriptionData
from interop.models import Attempt, Delivery, Subscription, WebhookEvent
from interop.targets import target_check
from miam.dispatch import dispatch
from miam.errors import DomainError
from miam.events import DomainEvent

logger = logging.getLogger(__name__)

DELIVER_TASK = "interop.tasks.webhook_deliver"
DS = Delivery.DeliveryStatus
EXCERPT = 500
USER_AGENT = "MIAM-Webhooks/1"


def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def retry_delays() -> list[int]:
    return [int(s) for s in getattr(settings, "WEBHOOK_RETRY_DELAYS", [5, 300, 1800, 7200, 18000])]


# --- Who may see and manage --------------------------------------------------------------


def subscriptions_visible(principal) -> QuerySet[Subscription]:
    """The subscriptions a principal manages: its organizations', its territories'; all for staff."""
    qs = Subscription.objects.select_related("organization", "territory")
    if permissions.is_staff(principal):
        return qs
    org_ids = permissions.member_organization_ids(principal)
    territory_ids = permissions.officer_territory_ids(principal)
    return qs.filter(Q(organization_id__in=org_ids) | Q(territory_id__in=territory_ids))


def _require_manage(by, subscription: Subscription) -> None:
    if subscription.organization_id:
        permissions.require_edit_organization(by, subscription.organization)
    else:
        permissions.require_manage_territory(by, subscription.territory)


def _owner(by, organization: Organization | None, territory: Territory | None):
    """The owner asked for, or the API key's own scope when none is."""
    if organization is not None and territory is not None:
        message = _("Un abonnement appartient à une organisation ou à un territoire, pas aux deux.")
        raise DomainError("invalid", message, fields={"territory": [message]})
    if organization is None and territory is None:
        key = permissions.api_key_of(by)
        if key is not None:
            organization, territory = key.organization, key.territory
    if organization is None and territory is None:
        message = _("Indiquez l'organisation ou le territoire qui reçoit ces événements.")
        raise DomainError("required", message, fields={"organization": [message]})
    return organization, territory


# --- Subscriptions -----------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *, by, data: SubscriptionData, organization: Organization | None = None, territory: Territory | None = None
) -> Subscription:
    organization, territory = _owner(by, organization, territory)
    subscription = Subscription(organization=organization, territory=territory)
    _require_manage(by, subscription)
    data.errors.raise_if_any()
    subscription.url = data.get("url")
    subscription.events = data.get("events")
    subscription.active = True if data.get("active") is None else data.get("active")
    subscription.description = data.get("description") or ""
    subscription.secret = secret_new()
    subscription.created_by = permissions.as_user(by)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(*, by, subscription: Subscription, data: SubscriptionData) -> Subscription:
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    _require_manage(by, subscription)
    data.errors.raise_if_any()
    for name in ("url", "events", "description"):
        if name in data.given:
            setattr(subscription, name, data.get(name) or ("" if name == "description" else data.get(name)))
    if "active" in data.given and data.get("active") is not None:
        subscription.active = data.get("active")
        if subscription.active:
            subscription.failures = 0
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, by, subscription: Subscription) -> None:
    _require_manage(by, subscription)
    subscription.delete()


@transaction.atomic
def subscription_rotate_secret(*, by, subscription: Subscription) -> Subscription:
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    _require_manage(by, subscription)
    subscription.secret = secret_new()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


# --- Recording events --------------------------------------------------------------------


def _territories_of(organization_ids: Iterable[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    rows = Organization.objects.filter(id__in=set(organization_ids)).values_list("id", "commune__territories")
    for org_id, territory_id in rows:
        out.setdefault(org_id, set())
        if territory_id:
            out[org_id].add(territory_id)
    return out


def _body(event: DomainEvent) -> dict:
    """The Standard Webhooks body: ``type``, ``timestamp``, ``data``."""
    return {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}


def event_wanted(name: str) -> bool:
    """Whether an active subscription lists this event type (one small query)."""
    return any(name in (s or []) for s in Subscription.objects.filter(active=True).values_list("events", flat=True))


def events_record(batch: list[DomainEvent]) -> None:
    """The ``miam.events`` listener: one delivery per (event, subscription that hears of it)."""
    subscriptions = [s for s in Subscription.objects.filter(active=True) if s.events]
    if not subscriptions:
        return
    wanted = [e for e in batch if any(e.type in s.events for s in subscriptions)]
    if not wanted:
        return
    territories = _territories_of(i for e in wanted for i in e.organization_ids)
    for event in wanted:
        org_ids = set(event.organization_ids)
        territory_ids = set(event.territory_ids).union(*(territories.get(i, set()) for i in org_ids))
        hearing = [
            s
            for s in subscriptions
            if event.type in s.events and (s.organization_id in org_ids or s.territory_id in territory_ids)
        ]
        if not hearing:
            continue
        row = WebhookEvent.objects.create(
            message_id=f"msg_{uuid.uuid4().hex}",
            type=event.type,
            payload=json.loads(json.dumps(_body(event), cls=DjangoJSONEncoder)),
            occurred_at=event.occurred_at,
        )
        for subscription in hearing:
            delivery = Delivery.objects.create(subscription=subscription, event=row)
            dispatch(DELIVER_TASK, kwargs={"delivery_id": delivery.pk})


# --- Sending -----------------------------------------------------------------------------


def signed_headers(subscription: Subscription, event: WebhookEvent, body: str, *, at: dt.datetime) -> dict:
    signature = Webhook(subscription.secret).sign(event.message_id, at, body)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _post(subscription: Subscription, event: WebhookEvent) -> tuple[int | None, str, str, int]:
    """(status code, response excerpt, error, duration in ms): never raises."""
    body = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
    started = time.perf_counter()
    try:
        target_check(subscription.url)
        at = dt.datetime.now(dt.UTC)
        response = requests.post(
            subscription.url,
            data=body.encode(),
            headers=signed_headers(subscription, event, body, at=at),
            timeout=getattr(settings, "WEBHOOK_TIMEOUT_S", 10),
            allow_redirects=False,
        )
        excerpt = response.text[:EXCERPT]
        return response.status_code, excerpt, "", int((time.perf_counter() - started) * 1000)
    except ValidationError as error:
        return None, "", " ".join(error.messages)[:EXCERPT], 0
    except requests.RequestException as error:
        return None, "", f"{type(error).__name__}: {error}"[:EXCERPT], int((time.perf_counter() - started) * 1000)


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """One try of a delivery; schedules the next one (back-off) when it failed. Idempotent: a
    delivery already succeeded or given up is left alone."""
    delivery = Delivery.objects.select_related("subscription", "event").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (DS.SUCCEEDED, DS.FAILED):
        return delivery
    subscription = delivery.subscription
    if not subscription.active:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DS.FAILED, last_error=_("Abonnement désactivé."), next_attempt_at=None
        )
        return delivery
    code, excerpt, error, duration_ms = _post(subscription, delivery.event)
    ok = code is not None and 200 <= code < 300
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.attempts += 1
        Attempt.objects.create(
            delivery=delivery,
            number=Attempt.objects.filter(delivery=delivery).count() + 1,
            status_code=code,
            response_excerpt=excerpt,
            error=error,
            duration_ms=duration_ms,
            succeeded=ok,
        )
        delivery.last_status_code, delivery.last_response, delivery.last_error = code, excerpt, error
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DS.SUCCEEDED, now, None
            Subscription.objects.filter(pk=subscription.pk).update(failures=0, last_success_at=now)
        else:
            if not error:
                error = _("Réponse HTTP %(code)s.") % {"code": code}
            Subscription.objects.filter(pk=subscription.pk).update(
                failures=F("failures") + 1, last_failure_at=now, last_error=error[:EXCERPT]
            )
            delays = retry_delays()
            if delivery.attempts <= len(delays):
                countdown = delays[delivery.attempts - 1]
                delivery.status = DS.RETRYING
                delivery.next_attempt_at = now + dt.timedelta(seconds=countdown)
                dispatch(DELIVER_TASK, kwargs={"delivery_id": delivery.pk}, countdown=countdown)
            else:
                delivery.status, delivery.next_attempt_at = DS.FAILED, None
        delivery.save()
    if not ok:
        logger.info("webhook delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
    return delivery


@transaction.atomic
def delivery_replay(*, by, delivery: Delivery) -> Delivery:
    """Send a delivery again (whatever its status), with a fresh round of retries."""
    delivery = Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    _require_manage(by, delivery.subscription)
    if not delivery.subscription.active:
        raise DomainError("inactive", _("Cet abonnement est désactivé : réactivez-le avant de renvoyer."))
    Delivery.objects.filter(pk=delivery.pk).update(status=DS.PENDING, next_attempt_at=None)
    # Retries count from this replay (``attempts``); the attempts already logged stay in the log.
    Delivery.objects.filter(pk=delivery.pk).update(attempts=0)
    dispatch(DELIVER_TASK, kwargs={"delivery_id": delivery.pk})
    delivery.refresh_from_db()
    return delivery
