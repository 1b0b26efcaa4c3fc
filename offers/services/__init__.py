"""Every write and business rule on offers, needs and matches.

Split by topic so that each module stays readable; import from ``offers.services``:
``offers`` (offers and needs), ``matches`` (match lifecycle and matching runs).
"""

from offers.services.listings import *  # noqa: F403
from offers.services.matches import *  # noqa: F403
