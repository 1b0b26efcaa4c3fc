"""Two people taking the last seat at once: one gets it, the other waits (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from meetings.models import Meeting, Registration
from meetings.services import registrations as registration_services
from tests.factories import FarmFactory, MeetingFactory, StructureFactory, TerritoryFactory, make_member, make_officer


@pytest.mark.postgres
def test_two_simultaneous_registrations_for_the_last_seat_never_overbook(transactional_geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    meeting = MeetingFactory(territory=territory, capacity=1)
    meeting.organizers.add(officer)
    orgs = [FarmFactory(), StructureFactory()]
    members = [make_member(o) for o in orgs]
    barrier = threading.Barrier(2)
    errors = []

    def register(i):
        try:
            barrier.wait()
            registration_services.registration_create(
                by=members[i], meeting=Meeting.objects.get(pk=meeting.pk), organization=orgs[i]
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    statuses = sorted(Registration.objects.filter(meeting=meeting).values_list("status", flat=True))
    assert statuses == ["confirmed", "waitlisted"]
