"""iCalendar: parses with icalendar, carries TZID Europe/Paris and the right times across DST."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse

from meetings import ics
from meetings.models import Meeting
from meetings.services import calendars as calendar_services
from meetings.services import meetings as meeting_services
from meetings.services import registrations as registration_services
from tests.factories import MeetingFactory, UserFactory

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")


@pytest.fixture
def around_dst_change(territory, officer):
    """Daylight-saving time ends in France on Sunday 25 October 2026 (03:00 CEST -> 02:00 CET)."""
    before = meeting_services.meeting_create(
        by=officer,
        territory=territory,
        title="Avant le changement d'heure",
        starts_at=datetime(2026, 10, 24, 12, 0, tzinfo=UTC),  # 14:00 in Paris (UTC+2)
        ends_at=datetime(2026, 10, 24, 15, 0, tzinfo=UTC),
        visibility="public",
    )
    after = meeting_services.meeting_create(
        by=officer,
        territory=territory,
        title="Après le changement d'heure",
        starts_at=datetime(2026, 10, 26, 13, 0, tzinfo=UTC),  # 14:00 in Paris (UTC+1)
        ends_at=datetime(2026, 10, 26, 16, 0, tzinfo=UTC),
        visibility="public",
    )
    return before, after


def _events(payload: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(payload)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_both_meetings_start_at_two_pm_paris_time_on_each_side_of_the_dst_change(around_dst_change):
    payload = ics.calendar_bytes(around_dst_change, name="PAT")
    events = _events(payload)
    before = events["Avant le changement d'heure"]
    after = events["Après le changement d'heure"]
    assert before["dtstart"].params["TZID"] == "Europe/Paris"
    assert after["dtstart"].params["TZID"] == "Europe/Paris"
    assert b"DTSTART;TZID=Europe/Paris:20261024T140000" in payload
    assert b"DTSTART;TZID=Europe/Paris:20261026T140000" in payload
    assert before.decoded("dtstart") == datetime(2026, 10, 24, 14, 0, tzinfo=PARIS)
    assert before.decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert after.decoded("dtstart").utcoffset() == timedelta(hours=1)
    assert after.decoded("dtend") == datetime(2026, 10, 26, 17, 0, tzinfo=PARIS)


def test_the_calendar_carries_a_europe_paris_vtimezone_with_both_offsets(around_dst_change):
    calendar = icalendar.Calendar.from_ical(ics.calendar_bytes(around_dst_change))
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["tzid"]) for tz in timezones] == ["Europe/Paris"]
    offsets = {sub.decoded("tzoffsetto") for sub in timezones[0].subcomponents}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}


def test_the_meeting_ics_download_has_uid_summary_place_and_status(client, around_dst_change):
    meeting = around_dst_change[0]
    response = client.get(reverse("meetings:ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = _events(response.content)["Avant le changement d'heure"]
    assert str(event["uid"]) == meeting.ical_uid
    assert str(event["status"]) == "CONFIRMED"
    assert "/reunions/" in str(event["description"])


def test_a_cancelled_meeting_is_published_as_cancelled_with_a_higher_sequence(around_dst_change, officer):
    meeting = meeting_services.meeting_cancel(by=officer, meeting=around_dst_change[0])
    event = _events(ics.meeting_ics(meeting))["Avant le changement d'heure"]
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 1


def test_the_territory_feed_lists_public_meetings_for_anyone(client, territory, around_dst_change):
    MeetingFactory(territory=territory, title="Comité de pilotage", visibility=Meeting.Visibility.INVITED)
    response = client.get(reverse("meetings:territory_ics", args=[territory.slug]))
    assert response.status_code == 200
    assert set(_events(response.content)) == {"Avant le changement d'heure", "Après le changement d'heure"}


def test_the_personal_secret_feed_lists_the_person_s_meetings_only(client, meeting, farm, farmer, territory):
    other = MeetingFactory(territory=territory, title="Autre réunion")
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    token = calendar_services.calendar_token_get(user=farmer)
    response = client.get(reverse("meetings:feed", args=[token.raw]))
    assert response.status_code == 200
    titles = set(_events(response.content))
    assert meeting.title in titles and other.title not in titles


def test_a_reset_secret_feed_address_stops_working(client, farmer):
    old = calendar_services.calendar_token_get(user=farmer).raw
    new = calendar_services.calendar_token_reset(user=farmer).raw
    assert old != new
    assert client.get(reverse("meetings:feed", args=[old])).status_code == 404
    assert client.get(reverse("meetings:feed", args=[new])).status_code == 200


def test_the_territory_secret_feed_is_only_for_the_team(territory, officer):
    assert calendar_services.calendar_token_get(user=officer, territory=territory).territory == territory
    from miam.errors import NotAllowed

    with pytest.raises(NotAllowed):
        calendar_services.calendar_token_get(user=UserFactory(), territory=territory)


def test_the_team_feed_includes_invitation_only_meetings(client, territory, officer):
    MeetingFactory(territory=territory, title="Comité de pilotage", visibility=Meeting.Visibility.INVITED)
    token = calendar_services.calendar_token_get(user=officer, territory=territory)
    response = client.get(reverse("meetings:feed", args=[token.raw]))
    assert "Comité de pilotage" in _events(response.content)


def test_a_feed_secret_is_stored_hashed_and_shown_only_when_made(client, farmer):
    from meetings.models import CalendarToken

    made = calendar_services.calendar_token_get(user=farmer)
    stored = CalendarToken.objects.get(pk=made.pk)
    assert made.raw and made.raw not in stored.token_hash and len(stored.token_hash) == 64
    assert calendar_services.calendar_token_get(user=farmer).raw is None  # never again
    client.force_login(farmer)
    page = client.get(reverse("meetings:calendars")).content.decode()
    assert made.raw not in page and "affichée qu'à sa création" in page
    reset = client.post(reverse("meetings:calendars")).content.decode()
    fresh = CalendarToken.objects.get(user=farmer, territory=None)
    assert fresh.token_hash != stored.token_hash
    url = re.search(r'value="(http[^"]+\.ics)"', reset).group(1)
    assert client.get(url.replace("http://testserver", "")).status_code == 200
    assert client.get(reverse("meetings:feed", args=[made.raw])).status_code == 404
