"""Signals of the offers app."""

from django.dispatch import Signal

#: Sent after writes that bypass model signals (``QuerySet.update``): caches listen to it.
listings_bulk_changed = Signal()

#: Sent inside the transaction that records a delivery (``match_confirm_delivery``), with
#: ``match`` and ``delivery``. A receiver in a higher app (the funding lines of ``agreements``)
#: may raise a ``DomainError``: the delivery is then not recorded, nothing is written.
delivery_recorded = Signal()
