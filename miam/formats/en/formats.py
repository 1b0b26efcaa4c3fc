"""English dates as British and international readers write them (25/10/2026, 25 Oct 2026, 14:30).

Django's "en" formats are American (10/25/2026, 2:30 p.m.): ambiguous next to French dates.
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

TIME_FORMAT = "H:i"  # '14:30'
DATETIME_FORMAT = "j M Y, H:i"  # '25 Oct 2026, 14:30'
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # '25/10/2026 14:30'
