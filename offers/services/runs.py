"""Matching runs: load a territory's open offers and needs, run the engine, write the
proposals, record how it went; schedule runs (debounced) when listings change, and the
cascade when quantity comes back to an offer.

Work reaches the queue through ``miam.dispatch`` by task name: no tasks module is imported.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Territory
from miam import pooled_rounds
from miam.dispatch import dispatch, runs_inline
from miam.locks import advisory_lock
from offers import events
from offers import matching_feed as feed_mod
from offers.matching import Params, PooledRound, Weights
from offers.matching import run as engine_run
from offers.models import OPEN_STATUSES, MatchingRun, Offer
from offers.selectors import fairness_settings
from offers.services.notices import proposals_notify

logger = logging.getLogger(__name__)

RS = MatchingRun.RunStatus
TRIGGER = MatchingRun.Trigger
RECOMPUTE_TASK = "offers.tasks.matching_recompute"
CASCADE_TASK = "offers.tasks.matching_cascade"
#: A test worker sets this to slow a run down between stages (integration tests only).
STAGE_DELAY_ENV = "MIAM_MATCHING_STAGE_DELAY_S"
#: A pending run older than this is presumed lost (its task never ran) and no longer absorbs changes.
PENDING_STALE_AFTER = timedelta(minutes=15)
#: Advisory lock namespace: one run of a territory at a time, whatever the process.
LOCK_NAMESPACE = "matching-territory"
#: A run that finds its territory's lock taken is queued again this much later.
LOCK_RETRY_SECONDS = 5.0
#: The stage of a run that beat found stuck, failed and replaced: a late redelivery skips it.
ABANDONED = MatchingRun.Stage.ABANDONED


def matching_params(*, today: date, territory: Territory | None = None) -> Params:
    strength, window = fairness_settings(territory)
    rounds = ()
    if territory is not None:
        rounds = tuple(
            PooledRound(weekday=r.weekday, capacity_kg=r.capacity_kg, refrigerated=r.refrigerated)
            for r in pooled_rounds.weekly(territory.pk)
        )
    return Params(
        today=today,
        road_detour_factor=float(settings.ROAD_DETOUR_FACTOR),
        mode=settings.MATCHING_MODE,
        fairness_strength=strength,
        fairness_window_days=window,
        rounds=rounds,
        dry_ride_km_chilled=pooled_rounds.dry_ride_km("chilled"),
        dry_ride_km_frozen=pooled_rounds.dry_ride_km("frozen"),
    )


def territory_for_organization(organization_id: int) -> Territory | None:
    """The first territory (by id) an organization's commune belongs to."""
    return Territory.objects.filter(communes__organizations=organization_id).order_by("id").first()


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
    succeeded (or was abandoned by ``matching_runs_reap``) does nothing. A failure marks the
    run failed and leaves proposals as they were.

    One run of a territory at a time: the run holds the territory's advisory lock
    (``miam.locks``) from load to the last write. A run that finds it taken is not computed
    now: it is queued again ``LOCK_RETRY_SECONDS`` later (it then reads what the other one
    wrote), so two overlapping runs never both write nor both notify. With tasks in line (no
    broker) it waits for the lock instead.
    """
    today = today or timezone.localdate()
    run = MatchingRun.objects.filter(pk=run_id).first() if run_id else None
    if run is not None and _finished(run):
        return run
    if run is None:
        run = MatchingRun.objects.create(
            territory_id=territory_id,
            trigger=trigger,
            counts={"offer_ids": list(offer_ids)} if offer_ids else {},
        )
    # A run that hangs past its deadline (quiet, or in one statement) loses its session, hence
    # the lock: the territory's next run is never blocked for longer than that.
    hold = float(settings.MATCHING_RUN_DEADLINE_SECONDS)
    with advisory_lock(LOCK_NAMESPACE, run.territory_id, wait=runs_inline(), hold_seconds=hold) as granted:
        if not granted:
            _run_later(run)
            return run
        run.refresh_from_db()  # the holder may have been running this very run
        if _finished(run):
            return run
        return _run_locked(run, today=today, offer_ids=offer_ids)


def _finished(run: MatchingRun) -> bool:
    return run.status == RS.SUCCESS or (run.status == RS.FAILED and run.stage == ABANDONED)


def _run_later(run: MatchingRun) -> None:
    """The territory is being computed by another run: this one is queued again, unchanged if
    it is that other run itself (a redelivered message), "waiting" otherwise."""
    if run.status == RS.PENDING:
        MatchingRun.objects.filter(pk=run.pk, status=RS.PENDING).update(stage="waiting")
        run.stage = "waiting"
    logger.info("matching run %s: territory %s busy, queued again", run.pk, run.territory_id)
    dispatch(
        RECOMPUTE_TASK,
        kwargs={"territory_id": run.territory_id, "run_id": run.pk, "trigger": run.trigger},
        countdown=LOCK_RETRY_SECONDS,
    )


def _run_locked(run: MatchingRun, *, today: date, offer_ids: list[int] | None) -> MatchingRun:
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
        params = matching_params(today=today, territory=territory)
        feed = feed_mod.feed_load(scope=scope, today=today, window_days=params.fairness_window_days)
        timings["load"] = time.perf_counter() - t
        _stage_pause("load")

        _progress(run, "compute", 30)
        result = engine_run(
            feed.offers,
            feed.needs,
            params=params,
            weights=_weights(territory),
            structures=feed.structures,
            excluded_pairs=feed.excluded_pairs,
        )
        timings.update(result.stats.timings_s)
        _stage_pause("compute")

        _progress(run, "write", 80)
        t = time.perf_counter()
        # The proposals and their notifications commit together: a run killed before the commit
        # left neither, a rerun after it finds the pairs already there and notifies nobody.
        with transaction.atomic():
            written = feed_mod.feed_write(scope=scope, feed=feed, proposals=result.proposals, run=run)
            proposals_notify(written.new_pairs_orgs, territory)
            _stage_pause("commit")
        timings["write"] = time.perf_counter() - t
        _progress(run, "finish", 95)
        _stage_pause("finish")
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
            least_served_fill_rate=_finite(result.stats.least_served_fill_rate),
            least_served_decile=_finite(result.stats.least_served_decile),
            fairness_decided=sum(p.fairness_decided for p in result.proposals),
            timings_s={k: round(v, 3) for k, v in timings.items()},
        )
    except Exception as error:
        run.status, run.error = RS.FAILED, f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = timezone.now()
        run.duration_s = time.perf_counter() - started
        run.counts = {**counts, "timings_s": {k: round(v, 3) for k, v in timings.items()}}
        run.save(update_fields=["status", "error", "finished_at", "duration_s", "counts"])
        logger.exception("matching run %s failed", run.pk)
        events.run_finished(run)
        raise
    run.status, run.stage, run.progress = RS.SUCCESS, "done", 100
    run.finished_at = timezone.now()
    run.duration_s = time.perf_counter() - started
    run.counts = counts
    run.save(update_fields=["status", "stage", "progress", "finished_at", "duration_s", "counts"])
    events.run_finished(run)
    return run


def matching_runs_reap(*, now=None) -> list[int]:
    """Runs stuck past their deadline are marked failed and their territory queued again.

    Stuck: "running" for more than twice ``MATCHING_RUN_DEADLINE_SECONDS`` (its worker died
    and the broker's redelivery, after one deadline, did not bring it back), or "pending" that
    long with no unsent outbox message left to start it. Marked failed in the stage
    ``abandoned``, so that a late redelivery of its task skips it; the territory gets a new
    run at once (or the one already waiting). Returns the abandoned runs' ids."""
    from miam.models import OutboxMessage

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=2 * settings.MATCHING_RUN_DEADLINE_SECONDS)
    reaped: list[int] = []
    with transaction.atomic():
        stuck = MatchingRun.objects.select_for_update(skip_locked=True).filter(
            Q(status=RS.RUNNING, started_at__lt=cutoff) | Q(status=RS.PENDING, created_at__lt=cutoff)
        )
        for run in stuck.order_by("created_at"):
            if (
                run.status == RS.PENDING
                and OutboxMessage.objects.filter(kwargs__run_id=run.pk, sent_at__isnull=True).exists()
            ):
                continue  # the broker was away: the outbox will still start it
            minutes = round((now - (run.started_at or run.created_at)).total_seconds() / 60)
            MatchingRun.objects.filter(pk=run.pk).update(
                status=RS.FAILED,
                stage=ABANDONED,
                finished_at=now,
                error=_(
                    "Interrompu : aucune nouvelle du calcul depuis %(minutes)d min (worker arrêté ?). "
                    "Un nouveau calcul est lancé."
                )
                % {"minutes": minutes},
            )
            reaped.append(run.pk)
            trigger = TRIGGER.CHANGE if run.trigger == TRIGGER.CASCADE else run.trigger
            matching_schedule(territory_id=run.territory_id, trigger=trigger, countdown=0)
    if reaped:
        logger.warning("matching runs %s stuck past their deadline: failed and queued again", reaped)
    return reaped


def _finite(value: float):
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _enqueue_run(run: MatchingRun, *, countdown: float | None = None) -> None:
    """Hand the run to the queue (after the commit), its task id recorded on it at once."""
    task_id = dispatch(
        RECOMPUTE_TASK,
        kwargs={"territory_id": run.territory_id, "run_id": run.pk, "trigger": run.trigger},
        countdown=countdown,
    )
    MatchingRun.objects.filter(pk=run.pk, task_id="").update(task_id=task_id)


def matching_schedule(*, territory_id: int, trigger: str = TRIGGER.CHANGE, countdown: float | None = None):
    """Queue a full recompute of a territory, unless one is already waiting to start: that
    one will read this change too (a burst of changes gives one run). Call it inside the
    transaction of the change: the run and its outbox message are written with it."""
    if countdown is None:
        countdown = float(settings.MATCHING_DEBOUNCE_SECONDS)
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
        _enqueue_run(run, countdown=0)
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


def matching_cascade_later(*, offer_id: int) -> None:
    """Quantity came back to an offer: its next best candidates are proposed in the
    background, once the transaction that freed it commits."""
    dispatch(CASCADE_TASK, kwargs={"offer_id": offer_id})


def matching_listing_changed(*, organization_id: int) -> None:
    """An open offer or need of this organization changed: recompute its territories' matches.

    Debounced: each territory gets a pending run queued with a countdown
    (``MATCHING_DEBOUNCE_SECONDS``); while it waits, further changes join it instead of
    queuing another, so a burst of changes gives one run. Called inside the change's
    transaction, so that nothing is queued for a change that rolls back; with Celery eager
    (no ``REDIS_URL``) the run happens at once, after the commit."""
    territory_ids = (
        Territory.objects.filter(communes__organizations=organization_id).values_list("id", flat=True).distinct()
    )
    for territory_id in list(territory_ids):
        matching_schedule(territory_id=territory_id)
