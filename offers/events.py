"""Hooks called by offer and need services after a change that matters to matching."""

from __future__ import annotations

from django.db import transaction

from actors.models import Territory


def listing_changed(*, organization_id: int) -> None:
    """An offer or need of this organization changed: recompute its territories' matches.

    Debounced: after the transaction commits, each territory gets a pending run queued
    with a countdown (``MATCHING_DEBOUNCE_SECONDS``); while it waits, further changes
    join it instead of queuing another, so a burst of changes gives one run. With Celery
    eager (no ``REDIS_URL``) the run happens at once, after the commit.
    """
    territory_ids = list(
        Territory.objects.filter(communes__organizations=organization_id).values_list("id", flat=True).distinct()
    )
    if not territory_ids:
        return

    def schedule() -> None:
        from offers.services.matches import matching_schedule

        for territory_id in territory_ids:
            matching_schedule(territory_id=territory_id)

    transaction.on_commit(schedule)
