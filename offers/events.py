"""Hooks called by offer and need services after a change that matters to matching."""


def listing_changed(*, organization_id: int) -> None:
    """An open offer or need of this organization changed: its territories need a
    (debounced) matching recompute. Implemented with the matching jobs."""
