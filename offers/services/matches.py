"""Matches: matching runs, proposals, and the lifecycle from proposal to delivery.

proposed → accepted by the farm / by the structure → confirmed (both; quantity reserved
under row locks) → scheduled (date, mode) → delivered (quantity received) → closed; or
declined (that pair never comes back), cancelled, expired (quantity returned, and the
next best candidates proposed at once: the *cascade*). A run never rewrites a match a
person acted on.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from actors import permissions
from actors.models import Membership, Territory
from miam.errors import DomainError, NotAllowed
from offers import matching_feed as feed_mod
from offers.matching import Params, Weights, check_pair
from offers.matching import run as engine_run
from offers.models import OPEN_STATUSES, Delivery, Logistics, Match, MatchingRun, Need, Offer, Pricing, Status

__all__ = [
    "match_accept",
    "match_cancel",
    "match_cascade",
    "match_close",
    "match_confirm_delivery",
    "match_decline",
    "match_propose_manual",
    "match_schedule",
    "match_sides",
    "matches_expire_stale",
    "matches_expire_uncollected",
    "matches_remind_upcoming",
    "matching_params",
    "matching_request",
    "matching_run",
    "matching_schedule",
    "matching_territories_to_run",
]

logger = logging.getLogger(__name__)

MS = Match.MatchStatus
RS = MatchingRun.RunStatus
TRIGGER = MatchingRun.Trigger
FARM, STRUCTURE = "farm", "structure"
#: A test worker sets this to slow a run down between stages (integration tests only).
STAGE_DELAY_ENV = "MIAM_MATCHING_STAGE_DELAY_S"
#: A pending run older than this is presumed lost (its task never ran) and no longer absorbs changes.
PENDING_STALE_AFTER = timedelta(minutes=15)
RESERVED_STATUSES = (MS.CONFIRMED, MS.SCHEDULED)
ACCEPTABLE_STATUSES = (MS.PROPOSED, MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE)


# --- Matching runs ------------------------------------------------------------------------


def matching_params(*, today: date) -> Params:
    return Params(
        today=today,
        road_detour_factor=float(getattr(settings, "ROAD_DETOUR_FACTOR", 1.3)),
        mode=getattr(settings, "MATCHING_MODE", "flow"),
    )


def _weights(territory: Territory) -> Weights:
    custom = {k: float(v) for k, v in (territory.matching_weights or {}).items() if k in Weights.names()}
    try:
        return Weights(**custom)
    except (TypeError, ValueError):
        logger.warning("territory %s: invalid matching weights %r, defaults used", territory.pk, custom)
        return Weights()


def _stage_pause(stage: str) -> None:
    """Between stages; sleeps only when a test worker asks for it."""
    delay = os.environ.get(STAGE_DELAY_ENV)
    if delay:
        time.sleep(float(delay))


def _progress(run: MatchingRun, stage: str, progress: int) -> None:
    run.stage, run.progress = stage, progress
    MatchingRun.objects.filter(pk=run.pk).update(stage=stage, progress=progress)


def matching_run(
    *,
    territory_id: int,
    trigger: str,
    run_id: int | None = None,
    today: date | None = None,
    offer_ids: list[int] | None = None,
) -> MatchingRun:
    """Load, compute and upsert a territory's proposals, recording progress in a MatchingRun.

    Idempotent: a rerun yields the same proposals; a redelivered task whose run already
    succeeded does nothing. A failure marks the run failed and leaves proposals as they were.
    """
    today = today or timezone.localdate()
    run = MatchingRun.objects.filter(pk=run_id).first() if run_id else None
    if run is not None and run.status == RS.SUCCESS:
        return run
    if run is None:
        run = MatchingRun.objects.create(
            territory_id=territory_id,
            trigger=trigger,
            counts={"offer_ids": list(offer_ids)} if offer_ids else {},
        )
    if offer_ids is None and run.counts.get("offer_ids"):
        offer_ids = run.counts["offer_ids"]
    run.status, run.started_at, run.finished_at, run.error = RS.RUNNING, timezone.now(), None, ""
    run.progress, run.stage = 0, "load"
    run.save(update_fields=["status", "started_at", "finished_at", "error", "progress", "stage"])
    started = time.perf_counter()
    counts: dict = {"offer_ids": list(offer_ids)} if offer_ids else {}
    timings: dict[str, float] = {}
    try:
        territory = Territory.objects.get(pk=run.territory_id)
        scope = feed_mod.Scope(territory_id=territory.pk, offer_ids=tuple(offer_ids) if offer_ids else None)
        _progress(run, "load", 5)
        t = time.perf_counter()
        feed = feed_mod.feed_load(scope=scope, today=today)
        timings["load"] = time.perf_counter() - t
        _stage_pause("load")

        _progress(run, "compute", 30)
        result = engine_run(
            feed.offers,
            feed.needs,
            params=matching_params(today=today),
            weights=_weights(territory),
            history=feed.history,
            excluded_pairs=feed.excluded_pairs,
        )
        timings.update(result.stats.timings_s)
        _stage_pause("compute")

        _progress(run, "write", 80)
        t = time.perf_counter()
        written = feed_mod.feed_write(
            scope=scope, feed=feed, proposals=result.proposals, run=run, before_commit=lambda: _stage_pause("commit")
        )
        timings["write"] = time.perf_counter() - t
        counts.update(
            offers=len(feed.offers),
            needs=len(feed.needs),
            skipped_listings=feed.skipped,
            candidate_pairs=result.stats.n_candidate_pairs,
            proposals=result.stats.n_proposals,
            created=written.created,
            updated=written.updated,
            unchanged=written.unchanged,
            withdrawn=written.withdrawn,
            least_served_coverage=_finite(result.stats.least_served_coverage),
            timings_s={k: round(v, 3) for k, v in timings.items()},
        )
        _notify_new_proposals(written.new_pairs_orgs, territory)
    except Exception as error:
        run.status, run.error = RS.FAILED, f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.duration_s = time.perf_counter() - started
        run.counts = {**counts, "timings_s": {k: round(v, 3) for k, v in timings.items()}}
        run.save(update_fields=["status", "error", "finished_at", "duration_s", "counts"])
        logger.exception("matching run %s failed", run.pk)
        raise
    run.status, run.stage, run.progress = RS.SUCCESS, "done", 100
    run.finished_at = timezone.now()
    run.duration_s = time.perf_counter() - started
    run.counts = counts
    run.save(update_fields=["status", "stage", "progress", "finished_at", "duration_s", "counts"])
    return run


def _finite(value: float):
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _enqueue_run(run: MatchingRun, *, countdown: float | None = None) -> None:
    from offers import tasks

    result = tasks.matching_recompute.apply_async(
        kwargs={"territory_id": run.territory_id, "run_id": run.pk, "trigger": run.trigger}, countdown=countdown
    )
    MatchingRun.objects.filter(pk=run.pk, task_id="").update(task_id=(result.id or "")[:64])


def matching_schedule(*, territory_id: int, trigger: str = TRIGGER.CHANGE, countdown: float | None = None):
    """Queue a full recompute of a territory, unless one is already waiting to start: that
    one will read this change too (a burst of changes gives one run)."""
    if countdown is None:
        countdown = float(getattr(settings, "MATCHING_DEBOUNCE_SECONDS", 20))
    waiting = (
        MatchingRun.objects.filter(
            territory_id=territory_id,
            status=RS.PENDING,
            created_at__gte=timezone.now() - PENDING_STALE_AFTER,
        )
        .exclude(trigger=TRIGGER.CASCADE)
        .order_by("-created_at")
        .first()
    )
    if waiting is not None:
        return waiting
    run = MatchingRun.objects.create(territory_id=territory_id, trigger=trigger)
    _enqueue_run(run, countdown=countdown)
    run.refresh_from_db()
    return run


def matching_request(*, territory: Territory, by, trigger: str = TRIGGER.MANUAL) -> MatchingRun:
    """An officer's "recompute now": a pending run, queued at once, to follow."""
    permissions.require_manage_territory(by, territory)
    with transaction.atomic():
        run = MatchingRun.objects.create(
            territory=territory, trigger=trigger, requested_by=permissions.as_user(by), stage="queued"
        )
        transaction.on_commit(lambda: _enqueue_run(run, countdown=0))
    run.refresh_from_db()
    return run


def matching_territories_to_run() -> list[int]:
    """Territories with at least one open offer or need (what the nightly run covers)."""
    with_offers = Territory.objects.filter(communes__organizations__offers__status__in=OPEN_STATUSES)
    with_needs = Territory.objects.filter(communes__organizations__needs__status__in=OPEN_STATUSES)
    ids = set(with_offers.values_list("id", flat=True)) | set(with_needs.values_list("id", flat=True))
    return sorted(ids)


def match_cascade(*, offer_id: int, today: date | None = None) -> MatchingRun | None:
    """Quantity came back to an offer: propose its next best candidates now (a run
    limited to that offer)."""
    offer = Offer.objects.select_related("organization").filter(pk=offer_id).first()
    if offer is None:
        return None
    territory_id = (
        Territory.objects.filter(communes=offer.organization.commune_id).order_by("id").values_list("id", flat=True)
    ).first()
    if territory_id is None:
        return None
    return matching_run(territory_id=territory_id, trigger=TRIGGER.CASCADE, offer_ids=[offer_id], today=today)


def _cascade_on_commit(offer_id: int) -> None:
    def go():
        from offers import tasks

        tasks.matching_cascade.delay(offer_id=offer_id)

    transaction.on_commit(go)


def _listing_changed_on_commit(organization_id: int) -> None:
    from offers.events import listing_changed

    listing_changed(organization_id=organization_id)


# --- Notifications ------------------------------------------------------------------------


def _match_url(match_id: int) -> str:
    return reverse("offers:match_detail", args=[match_id])


def _members_by_org(org_ids) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for m in Membership.objects.filter(organization_id__in=set(org_ids), user__is_active=True).select_related("user"):
        out[m.organization_id].append(m.user)
    return out


def _notify_orgs(org_ids, *, kind: str, title: str, template: str, context: dict, url: str = "") -> None:
    from actors.services import notify

    members = _members_by_org(org_ids)
    users = [u for org in org_ids for u in members.get(org, [])]
    if not users:
        return
    body = render_to_string(template, context).strip()
    notify(users=users, kind=kind, title=title, body=body, url=url)


def _notify_new_proposals(pairs_orgs: list[tuple[int, int | None]], territory: Territory) -> None:
    if not pairs_orgs:
        return
    per_org: dict[int, int] = defaultdict(int)
    for farm, structure in pairs_orgs:
        per_org[farm] += 1
        if structure:
            per_org[structure] += 1
    members = _members_by_org(per_org)
    from actors.services import notify

    for org_id, count in per_org.items():
        if not members.get(org_id):
            continue
        title = ngettext(
            "%(count)d nouvelle proposition de mise en relation",
            "%(count)d nouvelles propositions de mise en relation",
            count,
        ) % {"count": count}
        body = render_to_string("offers/email/match_proposed.txt", {"count": count, "territory": territory}).strip()
        notify(users=members[org_id], kind="match_proposed", title=title, body=body, url=_match_url_list())


def _match_url_list() -> str:
    return reverse("offers:proposals")


def _describe(match: Match) -> dict:
    return {
        "match": match,
        "offer": match.offer,
        "need": match.need,
        "farm": match.offer.organization,
        "structure": match.need.organization,
        "quantity": _fmt_qty(match.quantity, match.unit),
    }


def _fmt_qty(quantity, unit: str) -> str:
    """« 104 litres », in the language of the message being written."""
    from miam.formatting import quantity_text

    return quantity_text(Decimal(quantity), unit)


def _other_side_orgs(match: Match, sides: set[str]) -> list[int]:
    orgs = []
    if FARM not in sides:
        orgs.append(match.offer.organization_id)
    if STRUCTURE not in sides:
        orgs.append(match.need.organization_id)
    return orgs


# --- Lifecycle ----------------------------------------------------------------------------


def match_sides(principal, match: Match) -> set[str]:
    """The sides a principal may act for: "farm" (the offer's organization), "structure"
    (the need's). A member acts for their own organization's side only; an officer, staff
    or a territory key, who belong to neither, may record a side's answer on its behalf
    (agreed by phone, say) for the organizations they manage."""
    own = permissions.member_organization_ids(principal)
    sides = {
        side
        for side, organization_id in ((FARM, match.offer.organization_id), (STRUCTURE, match.need.organization_id))
        if organization_id in own
    }
    if sides:
        return sides
    if permissions.can_edit_organization(principal, match.offer.organization):
        sides.add(FARM)
    if permissions.can_edit_organization(principal, match.need.organization):
        sides.add(STRUCTURE)
    return sides


def _lock(match: Match) -> Match:
    return (
        Match.objects.select_for_update(of=("self",))
        .select_related("offer__organization", "need__organization")
        .get(pk=match.pk)
    )


def _require_sides(by, match: Match, *, only: str | None = None) -> set[str]:
    permissions.require_write(by)
    sides = match_sides(by, match)
    if only is not None:
        sides &= {only}
        if not sides:
            if only == STRUCTURE:
                raise NotAllowed(_("Seule la structure qui reçoit peut faire cela."))
            raise NotAllowed(_("Seul le producteur peut faire cela."))
    if not sides:
        raise NotAllowed(_("Vous ne pouvez agir que sur les mises en relation de vos organisations."))
    return sides


def _require_status(match: Match, allowed, action: str) -> None:
    if match.status not in allowed:
        raise DomainError(
            "invalid_status",
            _("Impossible de %(action)s une mise en relation au statut « %(status)s ».")
            % {"action": action, "status": match.get_status_display()},
        )


def _refresh_listing_statuses(offer: Offer, need: Need) -> None:
    """Offer and need statuses after their reserved/covered quantities changed."""
    from offers.services import listings

    offer.refresh_from_db()
    need.refresh_from_db()
    refresh_offer = getattr(listings, "offer_refresh_status", None)
    refresh_need = getattr(listings, "need_refresh_status", None)
    if refresh_offer:
        refresh_offer(offer)
    else:
        _set_status(offer, offer.quantity_reserved, offer.quantity)
    if refresh_need:
        refresh_need(need)
    else:
        _set_status(need, need.quantity_covered, need.quantity)


def _set_status(listing, taken: Decimal, quantity: Decimal) -> None:
    if listing.status not in (Status.PUBLISHED, Status.PARTLY_MATCHED, Status.FULLY_MATCHED):
        return
    if taken >= quantity:
        status = Status.FULLY_MATCHED
    elif taken > 0:
        status = Status.PARTLY_MATCHED
    else:
        status = Status.PUBLISHED
    if status != listing.status:
        type(listing).objects.filter(pk=listing.pk).update(status=status, updated_at=timezone.now())
        listing.status = status


def _need_quantity(match: Match, need: Need) -> Decimal:
    """The match's quantity (offer's unit) in the need's unit."""
    return feed_mod.convert(
        match.quantity, from_unit=match.offer.unit, from_crate_kg=match.offer.crate_kg, to_unit=need.unit
    )


def _reserve(match: Match) -> None:
    """Both sides agreed: take the quantity from the offer and count it on the need,
    under row locks; the database constraint is the last line of defence."""
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    need = Need.objects.select_for_update().get(pk=match.need_id)
    if match.quantity > offer.quantity - offer.quantity_reserved:
        raise DomainError(
            "offer_exhausted",
            _("Cette offre n'a plus assez de quantité disponible : elle a déjà été réservée pour une autre structure."),
        )
    need_quantity = _need_quantity(match, need)
    try:
        with transaction.atomic():
            Offer.objects.filter(pk=offer.pk).update(
                quantity_reserved=F("quantity_reserved") + match.quantity, updated_at=timezone.now()
            )
    except IntegrityError:
        raise DomainError("offer_exhausted", _("Cette offre n'a plus assez de quantité disponible."))
    Need.objects.filter(pk=need.pk).update(
        quantity_covered=F("quantity_covered") + need_quantity, updated_at=timezone.now()
    )
    _refresh_listing_statuses(offer, need)


def _release(match: Match) -> None:
    """The reserved quantity goes back to the offer (cancelled or not collected)."""
    offer = Offer.objects.select_for_update().get(pk=match.offer_id)
    need = Need.objects.select_for_update().get(pk=match.need_id)
    now = timezone.now()
    Offer.objects.filter(pk=offer.pk).update(
        quantity_reserved=Greatest(F("quantity_reserved") - match.quantity, Decimal(0)), updated_at=now
    )
    Need.objects.filter(pk=need.pk).update(
        quantity_covered=Greatest(F("quantity_covered") - _need_quantity(match, need), Decimal(0)), updated_at=now
    )
    _refresh_listing_statuses(offer, need)


@transaction.atomic
def match_accept(*, match: Match, by) -> Match:
    """One side accepts; when both have, the match is confirmed and the quantity reserved."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, ACCEPTABLE_STATUSES, _("accepter"))
    now = timezone.now()
    if FARM in sides and not match.farm_accepted_at:
        match.farm_accepted_at = now
    if STRUCTURE in sides and not match.structure_accepted_at:
        match.structure_accepted_at = now
    match.acted_by_person = True
    context = _describe(match)
    if match.farm_accepted_at and match.structure_accepted_at:
        _reserve(match)
        match.status, match.confirmed_at = MS.CONFIRMED, now
        title = _("Mise en relation confirmée : %(quantity)s de %(product)s") % {
            "quantity": context["quantity"],
            "product": match.offer.product_name,
        }
        template, kind = "offers/email/match_confirmed.txt", "match_confirmed"
    else:
        match.status = MS.ACCEPTED_FARM if match.farm_accepted_at else MS.ACCEPTED_STRUCTURE
        who = match.offer.organization if match.farm_accepted_at else match.need.organization
        title = _("%(who)s a accepté la proposition : %(product)s") % {
            "who": who,
            "product": match.offer.product_name,
        }
        template, kind = "offers/email/match_accepted.txt", "match_accepted"
    match.save()
    _notify_orgs(
        _other_side_orgs(match, sides) or [match.offer.organization_id, match.need.organization_id],
        kind=kind,
        title=title,
        template=template,
        context=context,
        url=_match_url(match.pk),
    )
    return match


def _side_label(sides: set[str]) -> str:
    if sides == {FARM}:
        return FARM
    if sides == {STRUCTURE}:
        return STRUCTURE
    return "officer"


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Indiquez un motif."), fields={"reason": _("Ce champ est obligatoire.")})
    if len(reason) > 300:
        raise DomainError(
            "reason_too_long", _("Le motif est trop long."), fields={"reason": _("300 caractères au plus.")}
        )
    return reason


@transaction.atomic
def match_decline(*, match: Match, by, reason: str) -> Match:
    """That pair will not be proposed again for this offer and this need."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, ACCEPTABLE_STATUSES, _("refuser"))
    match.declined_reason = _clean_reason(reason)
    match.status, match.declined_by_side, match.acted_by_person = MS.DECLINED, _side_label(sides), True
    match.save()
    _notify_orgs(
        _other_side_orgs(match, sides),
        kind="match_declined",
        title=_("Proposition déclinée : %(product)s") % {"product": match.offer.product_name},
        template="offers/email/match_declined.txt",
        context={**_describe(match), "reason": match.declined_reason},
        url=_match_url(match.pk),
    )
    # What this proposal held goes to the others, at the next (debounced) run.
    transaction.on_commit(lambda: _listing_changed_on_commit(match.offer.organization_id))
    return match


def _parse_date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("invalid", _("Date invalide."), fields={field: _("Date invalide (AAAA-MM-JJ).")})


@transaction.atomic
def match_schedule(*, match: Match, by, date, mode: str, today: date | None = None) -> Match:  # noqa: A002
    """Either side sets the day and who carries the goods."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, RESERVED_STATUSES, _("planifier"))
    today = today or timezone.localdate()
    day = _parse_date(date, "date")
    if day < today:
        raise DomainError(
            "date_past", _("La date est déjà passée."), fields={"date": _("Choisissez une date à venir.")}
        )
    last = min(match.offer.effective_end, match.need.window_end)
    if day > last:
        raise DomainError(
            "date_after_window",
            _("La date doit être au plus tard le %(date)s.") % {"date": date_format(last, "SHORT_DATE_FORMAT")},
            fields={"date": _("Après la période de l'offre ou du besoin.")},
        )
    if mode not in Logistics.values:
        raise DomainError(
            "invalid", _("Mode d'acheminement inconnu."), fields={"mode": _("Choisissez un mode proposé.")}
        )
    match.scheduled_for, match.mode, match.status, match.acted_by_person = day, mode, MS.SCHEDULED, True
    match.reminded_at = None
    match.save()
    _notify_orgs(
        _other_side_orgs(match, sides),
        kind="match_scheduled",
        title=_("Livraison prévue le %(date)s : %(product)s")
        % {"date": date_format(day, "SHORT_DATE_FORMAT"), "product": match.offer.product_name},
        template="offers/email/match_scheduled.txt",
        context={**_describe(match), "mode": match.get_mode_display()},
        url=_match_url(match.pk),
    )
    return match


def _to_decimal(value, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError("invalid", _("Quantité invalide."), fields={field: _("Saisissez un nombre.")})
    if not result.is_finite():
        raise DomainError("invalid", _("Quantité invalide."), fields={field: _("Saisissez un nombre.")})
    return result


@transaction.atomic
def match_confirm_delivery(
    *, match: Match, by, quantity_received, delivered_on: date | None = None, note: str = ""
) -> Match:
    """The structure records what it actually received: the figures indicators use."""
    match = _lock(match)
    _require_sides(by, match, only=STRUCTURE)
    _require_status(match, RESERVED_STATUSES, _("confirmer la livraison d'"))
    received = _to_decimal(quantity_received, "quantity_received")
    if received < 0:
        raise DomainError(
            "invalid", _("Quantité invalide."), fields={"quantity_received": _("La quantité ne peut être négative.")}
        )
    if received > match.quantity:
        raise DomainError(
            "quantity_too_high",
            _("Vous ne pouvez pas avoir reçu plus que la quantité convenue (%(quantity)s).")
            % {"quantity": _fmt_qty(match.quantity, match.unit)},
            fields={"quantity_received": _("Plus que la quantité convenue.")},
        )
    today = timezone.localdate()
    day = _parse_date(delivered_on, "delivered_on") if delivered_on else today
    if day > today:
        raise DomainError(
            "date_future",
            _("La date de livraison ne peut pas être dans le futur."),
            fields={"delivered_on": _("Date dans le futur.")},
        )
    price = match.price_per_unit if match.offer.pricing != Pricing.DONATION else None
    amount = (price * received).quantize(Decimal("0.01")) if price else Decimal(0)
    Delivery.objects.create(
        match=match,
        delivered_on=day,
        mode=match.mode,
        quantity_received=received,
        unit=match.unit,
        quantity_kg=feed_mod.kg_equivalent(received, match.unit, match.offer.crate_kg),
        amount_paid_eur=amount,
        distance_km=match.distance_km,
        received_by=permissions.as_user(by),
        note=(note or "")[:300],
    )
    match.status, match.delivered_at, match.quantity_received = MS.DELIVERED, timezone.now(), received
    match.acted_by_person = True
    match.save()
    _notify_orgs(
        [match.offer.organization_id],
        kind="match_delivered",
        title=_("Livraison reçue : %(quantity)s de %(product)s")
        % {"quantity": _fmt_qty(received, match.unit), "product": match.offer.product_name},
        template="offers/email/match_delivered.txt",
        context={**_describe(match), "received": _fmt_qty(received, match.unit), "amount": amount},
        url=_match_url(match.pk),
    )
    return match


@transaction.atomic
def match_close(*, match: Match, by) -> Match:
    match = _lock(match)
    _require_sides(by, match)
    _require_status(match, (MS.DELIVERED,), _("clôturer"))
    match.status = MS.CLOSED
    match.save()
    return match


@transaction.atomic
def match_cancel(*, match: Match, by, reason: str) -> Match:
    """Either side withdraws after accepting; a reserved quantity goes back to the offer
    and the offer's next best candidates are proposed at once (cascade)."""
    match = _lock(match)
    sides = _require_sides(by, match)
    _require_status(match, (MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE, *RESERVED_STATUSES), _("annuler"))
    reason = _clean_reason(reason)
    was_reserved = match.status in RESERVED_STATUSES
    if was_reserved:
        _release(match)
    match.status, match.declined_reason, match.declined_by_side = MS.CANCELLED, reason, _side_label(sides)
    match.acted_by_person = True
    match.save()
    _notify_orgs(
        _other_side_orgs(match, sides),
        kind="match_cancelled",
        title=_("Mise en relation annulée : %(product)s") % {"product": match.offer.product_name},
        template="offers/email/match_cancelled.txt",
        context={**_describe(match), "reason": reason},
        url=_match_url(match.pk),
    )
    _cascade_on_commit(match.offer_id)
    return match


@transaction.atomic
def match_propose_manual(*, by, offer: Offer, need: Need, quantity, today: date | None = None) -> Match:
    """An officer pairs an offer and a need by hand; the same hard constraints apply."""
    permissions.require_write(by)
    offer = Offer.objects.select_related("organization").get(pk=offer.pk)
    need = Need.objects.select_related("organization").get(pk=need.pk)
    if not permissions.is_staff(by):
        managed = permissions.officer_territory_ids(by)
        offer_t = set(Territory.objects.filter(communes=offer.organization.commune_id).values_list("id", flat=True))
        need_t = set(Territory.objects.filter(communes=need.organization.commune_id).values_list("id", flat=True))
        if not (managed & offer_t and managed & need_t):
            raise NotAllowed(_("Seul·e un·e chargé·e de mission du territoire peut proposer une mise en relation."))
    today = today or timezone.localdate()
    quantity = _to_decimal(quantity, "quantity")
    if quantity <= 0:
        raise DomainError("invalid", _("Quantité invalide."), fields={"quantity": _("Indiquez une quantité positive.")})
    if offer.status not in OPEN_STATUSES or need.status not in OPEN_STATUSES:
        raise DomainError("not_open", _("L'offre et le besoin doivent être publiés."))
    existing = Match.objects.select_for_update().filter(offer=offer, need=need).first()
    untouched = (
        existing is not None
        and existing.status in feed_mod.REWRITABLE_STATUSES
        and not existing.acted_by_person
        and existing.origin == Match.Origin.ENGINE
    )
    if existing is not None and not untouched:
        raise DomainError(
            "pair_exists",
            _("Une mise en relation existe déjà entre cette offre et ce besoin (statut « %(status)s »).")
            % {"status": existing.get_status_display()},
        )
    offer_input, need_input = feed_mod.pair_inputs(offer=offer, need=need)
    params = matching_params(today=today)
    reasons = check_pair(offer_input, need_input, params=params)
    problems = [r.split(" : ", 1)[-1] for r in reasons]
    if quantity > offer.quantity_available:
        problems.append(_("quantité demandée supérieure à ce qui reste de l'offre"))
    if quantity < offer.min_quantity:
        problems.append(_("quantité inférieure au minimum par enlèvement de l'offre"))
    if problems:
        raise DomainError(
            "pair_not_feasible",
            _("Cette mise en relation ne respecte pas les conditions : %(reasons)s.")
            % {"reasons": " ; ".join(problems)},
            fields={"constraints": reasons or problems},
        )
    proposals = engine_run([offer_input], [need_input], params=params).proposals
    proposal = proposals[0] if proposals else None
    values = {
        "quantity": quantity,
        "unit": offer.unit,
        "score": proposal.score if proposal else 0,
        "distance_km": Decimal(str(proposal.distance_km)) if proposal else None,
        "mode": proposal.mode if proposal else Logistics.DELIVERY,
        "explanation": proposal.explanation if proposal else "",
        "components": proposal.components if proposal else {},
        "price_per_unit": offer.price_per_unit,
        "status": MS.PROPOSED,
        "origin": Match.Origin.MANUAL,
        "proposed_by": permissions.as_user(by),
        "acted_by_person": True,
        "run": None,
    }
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save()
        match = existing
    else:
        match = Match.objects.create(offer=offer, need=need, **values)
    match = Match.objects.select_related("offer__organization", "need__organization").get(pk=match.pk)
    _notify_orgs(
        [offer.organization_id, need.organization_id],
        kind="match_proposed",
        title=_("Nouvelle proposition de mise en relation : %(product)s") % {"product": offer.product_name},
        template="offers/email/match_proposed_manual.txt",
        context=_describe(match),
        url=_match_url(match.pk),
    )
    return match


# --- Jobs -----------------------------------------------------------------------------------


def matches_expire_uncollected(*, today: date | None = None) -> int:
    """Confirmed or scheduled but not collected in time: expired, quantity back to the
    offer, next candidates proposed at once."""
    today = today or timezone.localdate()
    grace = timedelta(days=int(getattr(settings, "MATCHING_COLLECT_GRACE_DAYS", 1)))
    late = Q(status=MS.SCHEDULED, scheduled_for__lt=today - grace) | Q(
        Q(offer__window_end__lt=today) | Q(offer__use_by__lt=today) | Q(need__window_end__lt=today),
        status=MS.CONFIRMED,
    )
    expired = 0
    for pk in Match.objects.filter(late).values_list("pk", flat=True):
        with transaction.atomic():
            match = _lock(Match(pk=pk))
            if match.status not in RESERVED_STATUSES:
                continue
            _release(match)
            match.status = MS.EXPIRED
            match.declined_reason = _("Non enlevée à temps.")
            match.save()
            _notify_orgs(
                [match.offer.organization_id, match.need.organization_id],
                kind="match_expired",
                title=_("Mise en relation expirée (non enlevée à temps) : %(product)s")
                % {"product": match.offer.product_name},
                template="offers/email/match_expired.txt",
                context=_describe(match),
                url=_match_url(match.pk),
            )
            _cascade_on_commit(match.offer_id)
        expired += 1
    return expired


def matches_expire_stale(*, today: date | None = None) -> int:
    """Proposals nobody confirmed whose offer or need is closed or past: untouched ones
    are withdrawn, those one side accepted expire."""
    today = today or timezone.localdate()
    gone = (
        ~Q(offer__status__in=OPEN_STATUSES)
        | ~Q(need__status__in=OPEN_STATUSES)
        | Q(offer__window_end__lt=today)
        | Q(offer__use_by__lt=today)
        | Q(need__window_end__lt=today)
    )
    with transaction.atomic():
        withdrawn = Match.objects.filter(gone, feed_mod.untouched_q(), status=MS.PROPOSED).update(
            status=MS.WITHDRAWN, updated_at=timezone.now()
        )
        expired = (
            Match.objects.filter(gone, status__in=ACCEPTABLE_STATUSES)
            .exclude(feed_mod.untouched_q())
            .update(status=MS.EXPIRED, updated_at=timezone.now())
        )
    return withdrawn + expired


def matches_remind_upcoming(*, today: date | None = None) -> int:
    """The day before a scheduled delivery, both sides get a reminder (once)."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    sent = 0
    for match in Match.objects.filter(
        status=MS.SCHEDULED, scheduled_for=tomorrow, reminded_at__isnull=True
    ).select_related("offer__organization", "need__organization"):
        with transaction.atomic():
            if not Match.objects.filter(pk=match.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            _notify_orgs(
                [match.offer.organization_id, match.need.organization_id],
                kind="match_reminder",
                title=_("Rappel : livraison demain – %(product)s") % {"product": match.offer.product_name},
                template="offers/email/match_reminder.txt",
                context={**_describe(match), "mode": match.get_mode_display()},
                url=_match_url(match.pk),
            )
        sent += 1
    return sent
