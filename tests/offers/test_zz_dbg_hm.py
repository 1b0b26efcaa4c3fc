import pytest
from tests.offers.test_matches import *  # noqa
def test_dbg(pair, territory, django_capture_on_commit_callbacks):
    match, farmer, _ = pair
    confirmed(pair)
    later_need = matching_need(quantity=40)
    with django_capture_on_commit_callbacks(execute=True):
        services.match_cancel(match=match, by=farmer, reason="x")
    r = MatchingRun.objects.filter(trigger="cascade").get()
    print(r.counts, r.error)
    print(list(Match.objects.values("offer_id","need_id","status")))
    from offers.models import Need
    print(list(Need.objects.values("id","status","quantity","quantity_covered", "accepted_pricing")))
    assert 0
