"""The pages: list, calendar, detail, officer editing, the phone attendance sheet, CSV export."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from meetings.models import Action, Decision, Meeting, MeetingInvitation, Registration
from meetings.services import actions as action_services
from meetings.services import interviews as interview_services
from meetings.services import registrations as registration_services
from tests.factories import MeetingFactory
from tests.meetings.conftest import on_the_day


def test_the_list_shows_upcoming_meetings_visible_to_the_visitor(client, territory, meeting):
    MeetingFactory(territory=territory, title="Fête de la récolte", visibility="public")
    response = client.get(reverse("meetings:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fête de la récolte" in body and meeting.title not in body


def test_the_month_calendar_places_a_meeting_on_its_paris_day(client, territory):
    MeetingFactory(
        territory=territory,
        title="Réunion tardive",
        visibility="public",
        starts_at=datetime(2026, 10, 14, 22, 30, tzinfo=UTC),  # 00:30 on the 15th in Paris
        ends_at=datetime(2026, 10, 14, 23, 30, tzinfo=UTC),
    )
    response = client.get(reverse("meetings:calendar"), {"mois": "2026-10"})
    assert response.status_code == 200
    weeks = response.context["weeks"]
    cell = next(c for week in weeks for c in week if c["day"] == date(2026, 10, 15))
    assert [m.title for m in cell["meetings"]] == ["Réunion tardive"]
    assert "octobre 2026" in response.content.decode()


def test_an_invitation_only_meeting_is_a_404_for_others(client, meeting, farmer):
    Meeting.objects.filter(pk=meeting.pk).update(visibility="invited")
    client.force_login(farmer)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404


def test_an_officer_creates_a_meeting_from_the_page_in_paris_time(client, officer, territory):
    client.force_login(officer)
    response = client.post(
        reverse("meetings:create"),
        {
            "territory": territory.pk,
            "title": "Réunion 3 : choisir les actions",
            "kind": "collective",
            "starts_at": "2026-10-26T14:00",
            "ends_at": "2026-10-26T17:00",
            "commune": "71137",
            "address": "Salle des fêtes",
            "capacity": "30",
            "visibility": "territory",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("meetings:invitations", args=[meeting.pk])
    assert meeting.starts_at == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    assert meeting.place_label() == "Salle des fêtes, Cluny"


def test_an_unknown_commune_code_is_shown_next_to_the_field(client, officer, territory):
    client.force_login(officer)
    response = client.post(
        reverse("meetings:create"),
        {
            "territory": territory.pk,
            "title": "X",
            "kind": "collective",
            "starts_at": "2026-10-26T14:00",
            "ends_at": "2026-10-26T17:00",
            "commune": "99999",
            "visibility": "territory",
        },
    )
    assert response.status_code == 200
    assert "Commune introuvable" in response.content.decode()
    assert Meeting.objects.count() == 0


def test_members_register_their_organization_from_the_detail_page(client, meeting, farm, farmer):
    client.force_login(farmer)
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert "Ferme du Moulin" in page.content.decode()
    response = client.post(
        reverse("meetings:detail", args=[meeting.pk]),
        {"participant": f"org-{farm.pk}", "answer": "yes", "note": "rampe d'accès"},
    )
    assert response.status_code == 302
    reg = Registration.objects.get()
    assert (reg.organization, reg.note, reg.registered_by) == (farm, "rampe d'accès", farmer)


def test_registering_twice_from_the_page_shows_the_error(client, meeting, farm, farmer):
    registration_services.registration_create(by=farmer, meeting=meeting, user=farmer)
    client.force_login(farmer)
    # The form no longer offers "me"; a forged post is refused by the form, nothing is written.
    response = client.post(reverse("meetings:detail", args=[meeting.pk]), {"participant": "me", "answer": "yes"})
    assert response.status_code == 200
    assert Registration.objects.count() == 1


def test_the_officer_invites_organizations_from_the_page(
    client, meeting, officer, farm, structure, outbox, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meetings:invitations", args=[meeting.pk]),
            {"organizations": [farm.pk, structure.pk], "emails": "habitant@example.org"},
        )
    assert response.status_code == 302
    assert MeetingInvitation.objects.filter(meeting=meeting).count() == 3
    assert any("habitant@example.org" in m.to for m in outbox)


def test_the_attendance_sheet_works_on_a_phone_with_big_checkboxes(client, meeting, officer, farm, farmer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    on_the_day(meeting)
    client.force_login(officer)
    page = client.get(reverse("meetings:attendance", args=[meeting.pk]), HTTP_USER_AGENT="iPhone; 390px")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="viewport" content="width=device-width' in body
    assert "miam-roll__box" in body and "hx-vals" not in body  # no eval: the checkbox sends itself
    from pathlib import Path

    from django.contrib.staticfiles import finders

    assert ".miam-roll__box { width: 2.25rem" in Path(finders.find("miam/miam.css")).read_text()
    assert f'hx-post="{reverse("meetings:attendance_mark", args=[reg.pk])}"' in body
    response = client.post(
        reverse("meetings:attendance_mark", args=[reg.pk]), {"present": str(reg.pk)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "checked" in response.content.decode()
    reg.refresh_from_db()
    assert reg.attended is True
    client.post(reverse("meetings:attendance_mark", args=[reg.pk]), {}, HTTP_HX_REQUEST="true")  # unticked
    reg.refresh_from_db()
    assert reg.attended is False


def test_a_walk_in_resident_is_added_from_the_attendance_sheet(client, meeting, officer):
    on_the_day(meeting)
    client.force_login(officer)
    client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {"walk_in": "1", "guest_name": "Marcel", "guest_consent": "on"},
    )
    reg = Registration.objects.get()
    assert (reg.guest_name, reg.attended, reg.actor_kind) == ("Marcel", True, "resident")


def test_the_followup_page_records_minutes_decisions_and_actions(client, meeting, officer, farm):
    client.force_login(officer)
    url = reverse("meetings:followup", args=[meeting.pk])
    client.post(
        url, {"form": "minutes", "body": "## Tour de table\n<img src=x onerror=alert(1)>", "is_published": "on"}
    )
    client.post(url, {"form": "decision", "text": "Lancer un groupement d'achat"})
    client.post(
        url,
        {"form": "action", "title": "Contacter la banque alimentaire", "owner_organization": farm.pk, "status": "todo"},
    )
    assert Decision.objects.filter(meeting=meeting).count() == 1
    assert Action.objects.get().owner_organization == farm
    detail = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "<h2>Tour de table</h2>" in detail and "onerror" not in detail


def test_the_followup_page_keeps_the_action_typed_when_the_owner_is_missing(client, meeting, officer):
    client.force_login(officer)
    response = client.post(
        reverse("meetings:followup", args=[meeting.pk]),
        {"form": "action", "title": "Organiser le glanage", "status": "todo"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "organisation ou une personne" in body and 'value="Organiser le glanage"' in body
    assert Action.objects.count() == 0


def test_the_owner_posts_a_progress_note_on_the_action_page(client, meeting, officer, farm, farmer):
    action = action_services.action_create(
        by=officer,
        meeting=meeting,
        title="Lister",
        owner_organization=farm,
        due_date=timezone.localdate() - timedelta(1),
    )
    client.force_login(farmer)
    page = client.get(reverse("meetings:action_detail", args=[action.pk]))
    assert "en retard" in page.content.decode()
    client.post(reverse("meetings:action_detail", args=[action.pk]), {"text": "fait", "status": "done"})
    action.refresh_from_db()
    assert action.status == "done" and action.notes.get().text == "fait"


def _csv(response):
    """The participants' table of the export (after the lines about the meeting)."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return rows[rows.index([]) + 1 :]


def test_the_participants_csv_gives_emails_to_officers_only(client, meeting, officer, elected_user, farm, farmer):
    registration_services.registration_create(by=farmer, meeting=meeting, user=farmer)
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    url = reverse("meetings:participants_csv", args=[meeting.pk])
    client.force_login(officer)
    rows = _csv(client.get(url))
    assert rows[0][-1] == "E-mail"
    assert "farmer@example.org" in {r[-1] for r in rows[1:]}
    client.force_login(elected_user)
    rows = _csv(client.get(url))
    assert "farmer@example.org" not in {r[-1] for r in rows[1:]}
    assert {r[0] for r in rows[1:]} >= {"Ferme du Moulin"}
    client.force_login(farmer)
    assert client.get(url).status_code == 403


def test_an_organization_named_like_a_formula_comes_out_inert_in_the_participants_export(
    client, meeting, officer, farm, farmer
):
    from io import BytesIO

    from openpyxl import load_workbook

    type(farm).objects.filter(pk=farm.pk).update(name='=HYPERLINK("http://evil.example","clic")')
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    client.force_login(officer)
    rows = _csv(client.get(reverse("meetings:participants_csv", args=[meeting.pk])))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","clic")'
    sheet = load_workbook(BytesIO(client.get(reverse("meetings:participants_xlsx", args=[meeting.pk])).content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_my_calendars_page_shows_secret_feed_addresses(client, officer, territory):
    client.force_login(officer)
    body = client.get(reverse("meetings:calendars")).content.decode()
    assert "/reunions/agendas/" in body and territory.name in body


def test_the_territory_diagnostic_page_aggregates_interviews(client, territory, officer, farm, structure):
    interview_services.interview_create(
        by=officer, territory=territory, organization=farm, held_on=date(2024, 2, 1),
        links_other_world="Vend déjà à l'épicerie", needs_expectations="Un prix juste",
    )  # fmt: skip
    interview_services.interview_create(
        by=officer, territory=territory, organization=structure, held_on=date(2024, 2, 8),
        needs_expectations="Du frais, une chambre froide",
    )  # fmt: skip
    client.force_login(officer)
    response = client.get(reverse("meetings:diagnostic", args=[territory.slug]))
    assert response.status_code == 200
    diagnostic = response.context["diagnostic"]
    assert diagnostic["count"] == 2 and diagnostic["farms"] == 1 and diagnostic["food_aid"] == 1
    needs = next(q for q in diagnostic["questions"] if q["field"] == "needs_expectations")
    assert [a["text"] for a in needs["answers"]] == ["Un prix juste", "Du frais, une chambre froide"]
    assert "Une chambre froide" in response.content.decode() or "chambre froide" in response.content.decode()


def test_the_organization_sees_its_own_interviews(client, territory, officer, farm, farmer, volunteer):
    interview_services.interview_create(
        by=officer, territory=territory, organization=farm, held_on=date(2024, 2, 1), current_actions="Paniers"
    )
    url = reverse("meetings:organization_interviews", args=[farm.pk])
    client.force_login(farmer)
    assert "Paniers" in client.get(url).content.decode()
    client.force_login(volunteer)
    assert client.get(url).status_code == 403


def test_the_interview_form_keeps_answers_when_the_organization_is_outside(client, territory, officer, farm):
    client.force_login(officer)
    response = client.post(
        reverse("meetings:interview_create", args=[territory.slug]),
        {"organization": farm.pk, "held_on": "2024-02-01"},
    )
    assert response.status_code == 200
    assert "au moins une des quatre questions" in response.content.decode()


def test_every_officer_page_renders(client, territory, meeting, officer, farm, farmer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    action = action_services.action_create(by=officer, meeting=meeting, title="Lister", owner_organization=farm)
    interview = interview_services.interview_create(
        by=officer, territory=territory, organization=farm, held_on=date(2024, 2, 1), current_actions="x"
    )
    client.force_login(officer)
    urls = [
        reverse("meetings:list"),
        reverse("meetings:list") + "?passees=1&territoire=" + territory.slug,
        reverse("meetings:calendar"),
        reverse("meetings:create"),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:edit", args=[meeting.pk]),
        reverse("meetings:invitations", args=[meeting.pk]),
        reverse("meetings:attendance", args=[meeting.pk]),
        reverse("meetings:followup", args=[meeting.pk]),
        reverse("meetings:actions"),
        reverse("meetings:action_detail", args=[action.pk]),
        reverse("meetings:calendars"),
        reverse("meetings:diagnostic", args=[territory.slug]),
        reverse("meetings:interview_create", args=[territory.slug]),
        reverse("meetings:interview_edit", args=[interview.pk]),
        reverse("meetings:organization_interviews", args=[farm.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert reg.pk


def test_the_officer_edits_and_cancels_a_meeting(client, meeting, officer, farm, farmer):
    registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    client.force_login(officer)
    local = timezone.localtime(meeting.starts_at)
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        {
            "title": "Nouveau titre",
            "kind": "collective",
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "visibility": "territory",
        },
    )
    assert response.status_code == 302
    client.post(reverse("meetings:cancel", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.title == "Nouveau titre" and meeting.is_cancelled
    from actors.models import Notification

    assert Notification.objects.filter(user=farmer, kind="meeting_cancelled").exists()


def test_members_cannot_open_officer_pages(client, meeting, farmer):
    client.force_login(farmer)
    for name in ("edit", "invitations", "attendance", "followup"):
        assert client.get(reverse(f"meetings:{name}", args=[meeting.pk])).status_code == 403, name
    assert client.get(reverse("meetings:create")).status_code == 403


def test_attendance_cannot_be_taken_before_the_day_of_the_meeting(client, meeting, officer, farm, farmer):
    reg = registration_services.registration_create(by=farmer, meeting=meeting, organization=farm)
    client.force_login(officer)
    response = client.post(reverse("meetings:attendance", args=[meeting.pk]), {"present": [reg.pk]}, follow=True)
    assert "La présence se note à partir du jour de la réunion" in response.content.decode()
    reg.refresh_from_db()
    assert reg.attended is None


def test_the_meeting_place_is_a_commune_typed_by_its_name(client, officer, territory):
    client.force_login(officer)
    data = {
        "territory": territory.pk,
        "title": "Atelier",
        "kind": "collective",
        "starts_at": "2027-10-26T14:00",
        "ends_at": "2027-10-26T17:00",
        "commune": "cluny",
        "visibility": "territory",
    }
    response = client.post(reverse("meetings:create"), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="Atelier")
    assert meeting.commune.insee_code == "71137"
    edit = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert 'value="Cluny (71)"' in edit and 'data-commune-search="/api/v1/communes/"' in edit


def test_a_commune_name_shared_by_several_communes_asks_for_the_departement(geo):
    from django import forms
    from django.db.models import Count

    from actors.forms import CommuneField
    from actors.models import Commune

    shared = Commune.objects.values("name").annotate(n=Count("id")).filter(n__gt=1).order_by("name").first()
    assert shared, "the four test départements have namesakes"
    field = CommuneField()
    with pytest.raises(forms.ValidationError) as error:
        field.clean(shared["name"])
    assert "Précisez le département" in str(error.value)
    one = Commune.objects.filter(name=shared["name"]).select_related("departement").first()
    assert field.clean(f"{one.name} ({one.departement.code})") == one
    with pytest.raises(forms.ValidationError):
        field.clean("Nulle-Part-sur-Rien")


def test_the_minutes_preview_renders_what_will_be_saved_and_strips_scripts(client, meeting, officer):
    client.force_login(officer)
    page = client.get(reverse("meetings:followup", args=[meeting.pk])).content.decode()
    assert 'data-md="bold"' in page and 'data-toolbar-for="id_body"' in page
    response = client.post(
        reverse("meetings:minutes_preview", args=[meeting.pk]),
        {"body": "## Décisions\n\n- **Glanage** le 12\n\n<script>alert(1)</script>"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Décisions</h2>" in html and "<strong>Glanage</strong>" in html and "<script" not in html


def test_the_minutes_preview_is_for_the_meeting_team_only(client, meeting, farmer):
    client.force_login(farmer)
    assert client.post(reverse("meetings:minutes_preview", args=[meeting.pk]), {"body": "x"}).status_code == 403


def test_the_invitations_page_offers_to_select_every_organization(client, meeting, officer, farm, structure):
    client.force_login(officer)
    page = client.get(reverse("meetings:invitations", args=[meeting.pk])).content.decode()
    assert 'data-select-all="organizations"' in page and "Tout sélectionner (2 organisations)" in page


def test_the_edit_page_shows_a_meeting_in_the_local_time_it_was_typed_in(client, officer, territory):
    """The page reads « 14:00 » in Paris (13:00 UTC in winter) and shows « 14:00 » back."""
    client.force_login(officer)
    data = {
        "territory": territory.pk,
        "title": "Atelier d'hiver",
        "kind": "workshop",
        "starts_at": "2027-01-12T14:00",
        "ends_at": "2027-01-12T16:30",
        "visibility": "territory",
        "capacity": "",
    }
    assert client.post(reverse("meetings:create"), data).status_code == 302
    meeting = Meeting.objects.get(title="Atelier d'hiver")
    assert meeting.starts_at.isoformat() == "2027-01-12T13:00:00+00:00" and meeting.capacity is None
    edit = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert 'value="2027-01-12T14:00"' in edit and 'value="2027-01-12T16:30"' in edit
    assert 'maxlength="200"' in edit  # the title's length, from the input


def test_the_create_page_answers_a_malformed_value_with_the_apis_words_and_writes_nothing(client, officer, territory):
    client.force_login(officer)
    data = {
        "territory": territory.pk,
        "title": "Atelier",
        "kind": "party",
        "starts_at": "demain",
        "ends_at": "2027-01-12T16:30",
        "visibility": "territory",
    }
    body = client.post(reverse("meetings:create"), data).content.decode()
    assert escape("«\xa0party\xa0» n'est pas un choix valide.") in body  # DRF's French, non-breaking spaces
    assert escape("La date + heure n'a pas le bon format") in body
    assert Meeting.objects.count() == 0
