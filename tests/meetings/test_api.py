"""The REST API follows the same rules as the pages; list endpoints have pinned query counts."""

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from actors.models import ApiKey
from initiatives.models import ActionPlan, PlannedAction
from meetings.models import Action, Decision, Meeting, Registration
from meetings.services import actions as action_services
from meetings.services import minutes as minutes_services
from meetings.services import registrations as registration_services
from tests.factories import FarmFactory, MeetingFactory, StructureFactory, TerritoryFactory, make_member
from tests.meetings.conftest import on_the_day

API = "/api/v1"


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_an_officer_creates_a_meeting_through_the_api(client, officer, territory, farm):
    client.force_login(officer)
    response = _post(
        client,
        f"{API}/meetings/",
        {
            "territory": territory.slug,
            "title": "Réunion 2 : repérer les actions",
            "kind": "collective",
            "starts_at": "2026-12-03T14:00:00+01:00",
            "ends_at": "2026-12-03T17:00:00+01:00",
            "host_organization": farm.pk,
            "capacity": 25,
            "visibility": "territory",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["place"].startswith("Ferme du Moulin")
    assert body["organizers"] == [officer.pk]
    meeting = Meeting.objects.get()
    assert timezone.localtime(meeting.starts_at).hour == 14


def test_the_api_refuses_an_end_before_the_start_with_the_common_error_shape(client, officer, territory):
    client.force_login(officer)
    response = _post(
        client,
        f"{API}/meetings/",
        {
            "territory": territory.slug,
            "title": "X",
            "starts_at": "2026-12-03T14:00:00+01:00",
            "ends_at": "2026-12-03T13:00:00+01:00",
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_meeting",
        "message": "La fin doit être après le début.",
        "fields": {"ends_at": ["La fin doit être après le début."]},
    }
    assert Meeting.objects.count() == 0


def test_a_member_cannot_create_a_meeting(client, farmer, territory):
    client.force_login(farmer)
    response = _post(
        client,
        f"{API}/meetings/",
        {
            "territory": territory.slug,
            "title": "X",
            "starts_at": "2026-12-03T14:00:00Z",
            "ends_at": "2026-12-03T15:00:00Z",
        },
    )
    assert response.status_code == 403
    assert Meeting.objects.count() == 0


def test_anonymous_visitors_see_only_public_meetings(client, territory):
    MeetingFactory(territory=territory, title="Public", visibility="public")
    MeetingFactory(territory=territory, title="Territoire", visibility="territory")
    MeetingFactory(territory=territory, title="Invités", visibility="invited")
    titles = [m["title"] for m in client.get(f"{API}/meetings/").json()["results"]]
    assert titles == ["Public"]


def test_members_of_the_territory_see_territory_meetings_but_not_invitation_only_ones(client, territory, farmer):
    MeetingFactory(territory=territory, title="Territoire", visibility="territory")
    MeetingFactory(territory=territory, title="Invités", visibility="invited")
    other = TerritoryFactory(epci_codes=["200071595"])  # Cœur du Jura
    MeetingFactory(territory=other, title="Ailleurs", visibility="territory")
    client.force_login(farmer)
    titles = {m["title"] for m in client.get(f"{API}/meetings/").json()["results"]}
    assert titles == {"Territoire"}


def test_register_cancel_and_promotion_through_the_api(client, meeting, farm, farmer, volunteer, structure):
    Meeting.objects.filter(pk=meeting.pk).update(capacity=1)
    client.force_login(farmer)
    first = _post(client, f"{API}/meetings/{meeting.pk}/register/", {"organization": farm.pk, "note": "2 personnes"})
    assert first.status_code == 201 and first.json()["status"] == "confirmed"
    again = _post(client, f"{API}/meetings/{meeting.pk}/register/", {"organization": farm.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    client.force_login(volunteer)
    second = _post(client, f"{API}/meeting-registrations/", {"meeting": meeting.pk, "organization": structure.pk})
    assert second.json()["status"] == "waitlisted" and second.json()["waitlist_position"] == 1
    client.force_login(farmer)
    cancelled = _post(client, f"{API}/meeting-registrations/{first.json()['id']}/cancel/", {})
    assert cancelled.json()["status"] == "cancelled"
    assert Registration.objects.get(pk=second.json()["id"]).status == "confirmed"


def test_one_cannot_cancel_someone_else_s_registration(client, meeting, farm, farmer, volunteer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    client.force_login(volunteer)
    response = _post(client, f"{API}/meeting-registrations/{reg.pk}/cancel/", {})
    assert response.status_code in (403, 404)
    reg.refresh_from_db()
    assert reg.status == "confirmed"


def test_changing_an_answer_through_the_api(client, meeting, farmer):
    client.force_login(farmer)
    reg = _post(client, f"{API}/meetings/{meeting.pk}/register/", {"answer": "maybe"}).json()
    response = _patch(client, f"{API}/meeting-registrations/{reg['id']}/", {"answer": "yes", "note": "végétarien"})
    assert response.status_code == 200
    assert (response.json()["answer"], response.json()["note"]) == ("yes", "végétarien")


def test_non_officers_never_see_residents_names_nor_people_s_emails(client, meeting, officer, farm, farmer, volunteer):
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    registration_services.registration_create(
        by=officer, meeting=meeting, guest_name="Nadia B.", guest_email="nadia@example.org", guest_consent=True
    )
    client.force_login(volunteer)
    rows = client.get(f"{API}/meeting-registrations/?meeting={meeting.pk}").json()["results"]
    assert [r["participant"] for r in rows] == ["Ferme du Moulin"]
    client.force_login(officer)
    rows = client.get(f"{API}/meeting-registrations/?meeting={meeting.pk}").json()["results"]
    guest = next(r for r in rows if r["guest_name"])
    assert guest["guest_email"] == "nadia@example.org"


def test_invite_and_attendance_through_the_api(
    client, meeting, officer, farm, structure, outbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, f"{API}/meetings/{meeting.pk}/invite/", {"organizations": [farm.pk, structure.pk]})
    assert response.json() == {"invited": 2}
    assert outbox, "the invitations went out by e-mail"
    regs = [
        registration_services.registration_create(by=officer, meeting=meeting, organization=org)
        for org in (farm, structure)
    ]
    on_the_day(meeting)
    stats = _post(client, f"{API}/meetings/{meeting.pk}/attendance/", {"present": [regs[0].pk]}).json()
    assert stats["present"] == 1 and stats["farms_present"] == 1 and stats["both_worlds_present"] is False
    mark = _post(client, f"{API}/meeting-registrations/{regs[1].pk}/attendance/", {"attended": True})
    assert mark.json()["attended"] is True
    assert client.get(f"{API}/meetings/{meeting.pk}/attendance/").json()["both_worlds_present"] is True


def test_minutes_are_sanitised_markdown_and_hidden_until_published(client, meeting, officer, farmer):
    client.force_login(officer)
    body = "## Points\n- **glanage**\n<script>alert(1)</script>\n[lien](javascript:alert(1))"
    saved = client.put(f"{API}/meetings/{meeting.pk}/minutes/", {"body": body}, content_type="application/json").json()
    assert "<h2>Points</h2>" in saved["html"] and "<strong>glanage</strong>" in saved["html"]
    assert "<script" not in saved["html"] and "javascript:" not in saved["html"]
    client.force_login(farmer)
    assert client.get(f"{API}/meetings/{meeting.pk}/minutes/").status_code == 404
    minutes_services.minutes_save(by=officer, meeting=meeting, body=body, is_published=True)
    assert client.get(f"{API}/meetings/{meeting.pk}/minutes/").status_code == 200


def test_decisions_link_to_the_territory_s_action_plan_only(client, meeting, officer, territory):
    plan = ActionPlan.objects.create(territory=territory, title="Plan")
    action = PlannedAction.objects.create(plan=plan, title="Journées de glanage")
    other_plan = ActionPlan.objects.create(territory=TerritoryFactory(epci_codes=["200071595"]), title="Autre")
    foreign = PlannedAction.objects.create(plan=other_plan, title="Ailleurs")
    client.force_login(officer)
    ok = _post(
        client, f"{API}/meeting-decisions/", {"meeting": meeting.pk, "text": "Lancer", "planned_action": action.pk}
    )
    assert ok.status_code == 201 and ok.json()["planned_action"] == action.pk
    bad = _post(client, f"{API}/meeting-decisions/", {"meeting": meeting.pk, "text": "X", "planned_action": foreign.pk})
    assert bad.status_code == 400 and bad.json()["code"] == "outside_territory"
    assert Decision.objects.count() == 1
    linked = _patch(client, f"{API}/meetings/{meeting.pk}/", {"discussed_actions": [action.pk]})
    assert linked.status_code == 200 and linked.json()["discussed_actions"] == [action.pk]
    assert list(action.discussed_in_meetings.all()) == [meeting]


def test_actions_owner_updates_status_and_notes_but_not_the_title(client, meeting, officer, farm, farmer):
    action = action_services.action_create(
        by=officer, meeting=meeting, title="Lister les parcelles", owner_organization=farm
    )
    client.force_login(farmer)
    assert _patch(client, f"{API}/meeting-actions/{action.pk}/", {"status": "doing"}).json()["status"] == "doing"
    refused = _patch(client, f"{API}/meeting-actions/{action.pk}/", {"title": "Autre"})
    assert refused.status_code == 403
    note = _post(
        client, f"{API}/meeting-actions/{action.pk}/notes/", {"text": "3 parcelles repérées", "status": "done"}
    )
    assert note.status_code == 201
    action.refresh_from_db()
    assert (action.title, action.status, action.notes.count()) == ("Lister les parcelles", "done", 1)


def test_api_action_owner_outside_the_territory_is_refused(client, meeting, officer, outsider_org):
    client.force_login(officer)
    response = _post(
        client, f"{API}/meeting-actions/", {"meeting": meeting.pk, "title": "X", "owner_organization": outsider_org.pk}
    )
    assert response.status_code == 400 and response.json()["code"] == "owner_outside_territory"
    assert Action.objects.count() == 0


def test_overdue_filter_on_actions(client, meeting, officer, farm):
    today = timezone.localdate()
    action_services.action_create(
        by=officer, meeting=meeting, title="En retard", owner_organization=farm, due_date=today - timedelta(days=1)
    )
    action_services.action_create(
        by=officer, meeting=meeting, title="À venir", owner_organization=farm, due_date=today + timedelta(days=1)
    )
    client.force_login(officer)
    rows = client.get(f"{API}/meeting-actions/?overdue=true").json()["results"]
    assert [(r["title"], r["is_overdue"]) for r in rows] == [("En retard", True)]


def test_the_meeting_ics_through_the_api_parses(client, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="public")
    response = client.get(f"{API}/meetings/{meeting.pk}/ics/")
    assert response.status_code == 200
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event["dtstart"].params["TZID"] == "Europe/Paris"


def test_a_territory_api_key_manages_its_territory_s_meetings_only(client, territory, meeting):
    raw, prefix, digest = ApiKey.generate()
    ApiKey.objects.create(name="Outil PAT", prefix=prefix, key_hash=digest, territory=territory, can_write=True)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    response = client.post(
        f"{API}/meeting-decisions/",
        {"meeting": meeting.pk, "text": "Décidé"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    other = MeetingFactory(territory=TerritoryFactory(epci_codes=["200071595"]), visibility="public")
    response = client.post(
        f"{API}/meeting-decisions/", {"meeting": other.pk, "text": "Non"}, content_type="application/json", **headers
    )
    assert response.status_code == 403


def _populate(territory, officer, n):
    meetings = []
    for i in range(n):
        m = MeetingFactory(territory=territory, title=f"Réunion {i}")
        m.organizers.add(officer)
        org = FarmFactory() if i % 2 else StructureFactory()
        member = make_member(org)
        reg = registration_services.registration_create(by=member, meeting=m, organization=org)
        registration_services.registration_create(by=officer, meeting=m, guest_name=f"Habitant {i}", guest_consent=True)
        action_services.action_create(by=officer, meeting=m, title=f"Action {i}", owner_organization=org)
        action_services.action_note_add(by=officer, action=m.actions.get(), text="avance")
        minutes_services.decision_create(by=officer, meeting=m, text=f"Décision {i}")
        meetings.append((m, reg))
    return meetings


@pytest.mark.parametrize("n", [3, 12])
@pytest.mark.parametrize("who", ["officer", "farmer"])
def test_list_endpoints_run_a_fixed_number_of_queries(
    client, territory, officer, farmer, django_assert_max_num_queries, n, who
):
    """Session and permission look-ups included; the count does not grow with the rows."""
    _populate(territory, officer, n)
    client.force_login(officer if who == "officer" else farmer)
    for url, limit in [
        (f"{API}/meetings/", 9),
        (f"{API}/meeting-registrations/", 9),
        (f"{API}/meeting-actions/", 8),
        (f"{API}/meeting-decisions/", 7),
        (f"{API}/diagnostic-interviews/", 6),
    ]:
        with django_assert_max_num_queries(limit):
            response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] >= (n if who == "officer" and "interviews" not in url else 0)
