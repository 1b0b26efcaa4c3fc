"""The demo data: the three MIAM meetings per pilot PAT, deterministic and idempotent."""

from actors import demo as actors_demo
from meetings import demo
from meetings.models import Action, Decision, DiagnosticInterview, Meeting, Registration


def test_demo_creates_the_three_miam_meetings_per_pilot_pat_once(geo):
    context = actors_demo.seed(seed_value=2024, farms_divisor=40)
    summary = demo.seed(context)
    assert "Réunions" in summary
    territories = context["territories"]
    assert Meeting.objects.filter(kind__in=["collective", "workshop"]).count() == 3 * len(territories)
    past = Meeting.objects.filter(starts_at__year=2024)
    assert past.count() == 3 * len(territories)
    assert Registration.objects.filter(attended=True).exists()
    assert Decision.objects.count() >= 4 * len(territories)
    assert Action.objects.count() == 3 * len(territories)
    assert DiagnosticInterview.objects.count() >= 5 * len(territories)
    counts = (Meeting.objects.count(), Registration.objects.count(), Action.objects.count())
    demo.seed(context)
    assert (Meeting.objects.count(), Registration.objects.count(), Action.objects.count()) == counts
