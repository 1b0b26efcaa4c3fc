"""Signals of the offers app."""

from django.dispatch import Signal

#: Sent after writes that bypass model signals (``QuerySet.update``): caches listen to it.
listings_bulk_changed = Signal()
