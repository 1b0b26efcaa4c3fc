"""A notification, and its e-mail, are written in the language of the person who receives it,
whatever the language of the person (or job) that caused it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from actors.models import Notification
from offers.models import Match
from offers.services import matches as services
from offers.services import runs
from tests.factories import TerritoryFactory, make_member, matching_need, matching_offer

pytestmark = pytest.mark.usefixtures("geo")


def test_each_member_is_told_in_their_own_language(django_capture_on_commit_callbacks):
    territory = TerritoryFactory()
    offer, need = matching_offer(quantity=100), matching_need(quantity=60)
    french = make_member(offer.organization, language="fr")
    english = make_member(offer.organization, language="en")
    volunteer = make_member(need.organization, language="fr")
    with django_capture_on_commit_callbacks(execute=True), translation.override("fr"):
        runs.matching_run(territory_id=territory.pk, trigger="manual")  # a job, in French
    proposed = {n.user_id: n for n in Notification.objects.filter(kind="match_proposed")}
    assert proposed[french.pk].title == "1 nouvelle proposition de mise en relation"
    assert proposed[english.pk].title == "1 new match proposal"
    assert "vous propose une nouvelle mise en relation" in proposed[french.pk].body
    assert "proposes a new match to you" in proposed[english.pk].body

    mail.outbox.clear()
    match = Match.objects.get(offer=offer, need=need)
    with django_capture_on_commit_callbacks(execute=True), translation.override("fr"):
        services.match_decline(match=match, by=volunteer, reason="Pas de place")  # a French-speaking person acts
    declined = {n.user_id: n for n in Notification.objects.filter(kind="match_declined")}
    product = offer.product_name
    assert declined[french.pk].title == f"Proposition déclinée : {product}"
    assert declined[english.pk].title == f"Proposal declined: {product}"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[english.email] == f"[MIAM] Proposal declined: {product}"
    assert subjects[french.email] == f"[MIAM] Proposition déclinée : {product}"
    english_mail = next(m for m in mail.outbox if m.to == [english.email])
    assert "because you have a MIAM account" in english_mail.body
