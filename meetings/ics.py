"""iCalendar (RFC 5545) for meetings: one event, a territory's feed, a person's feed.

Times are written in local Paris time with ``TZID=Europe/Paris`` and a VTIMEZONE, so
calendar apps show the right hour on both sides of a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//MIAM//Réunions//FR"


def meeting_url(meeting: Meeting) -> str:
    return f"{settings.SITE_URL}{reverse('meetings:detail', args=[meeting.pk])}"


def meeting_event(meeting: Meeting) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.ical_sequence)
    event.add("dtstamp", (meeting.updated_at or timezone.now()).astimezone(ZoneInfo("UTC")))
    event.add("dtstart", meeting.starts_at.astimezone(PARIS))
    event.add("dtend", meeting.ends_at.astimezone(PARIS))
    event.add("summary", meeting.title)
    url = meeting_url(meeting)
    description = "\n\n".join(part for part in (meeting.agenda.strip(), url) if part)
    event.add("description", description)
    event.add("url", meeting.online_url or url)
    location = meeting.place_label()
    if meeting.online_url and location != meeting.online_url:
        location = f"{location} — {meeting.online_url}" if location else meeting.online_url
    if location:
        event.add("location", location)
    event.add("categories", [meeting.get_kind_display()])
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    if meeting.updated_at:
        event.add("last-modified", meeting.updated_at.astimezone(ZoneInfo("UTC")))
    return event


def calendar_bytes(meetings: Iterable[Meeting], *, name: str = "MIAM", method: str = "PUBLISH") -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    for meeting in meetings:
        cal.add_component(meeting_event(meeting))
    cal.add_missing_timezones()
    return cal.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    return calendar_bytes([meeting], name=meeting.title)
