import json

from django.core import mail

from actors import services
from actors.models import Membership, Notification, User
from miam import mail as mail_outbox
from miam.models import OutgoingEmail
from tests.factories import FarmFactory, make_member


def test_a_person_downloads_everything_miam_holds_about_them(geo, client):
    farm = FarmFactory()
    user = make_member(farm, email="moi@example.org")
    Notification.objects.create(user=user, kind="test", title="Bonjour")
    client.force_login(user)
    response = client.get("/profil/export/")
    data = json.loads(response.content)
    assert data["account"]["email"] == "moi@example.org"
    assert data["memberships"] == [{"organization": farm.name, "role": "admin"}]
    assert data["notifications"][0]["title"] == "Bonjour"


def test_deleting_an_account_erases_the_person_but_keeps_the_organization(geo, client):
    farm = FarmFactory()
    user = make_member(farm, email="bye@example.org")
    client.force_login(user)
    response = client.post("/profil/supprimer/")
    assert response.status_code == 302
    assert not User.objects.filter(email="bye@example.org").exists()
    assert not Membership.objects.filter(organization=farm).exists()
    farm.refresh_from_db()


def test_notifications_are_emailed_unless_the_person_chose_the_digest(geo, django_capture_on_commit_callbacks):
    instant = make_member(FarmFactory(), email="instant@example.org")
    digest = make_member(FarmFactory(), email="digest@example.org")
    User.objects.filter(pk=digest.pk).update(wants_daily_digest=True)
    digest.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(users=[instant, digest], kind="match_proposed", title="Nouvelle proposition")
    assert [m.to for m in mail.outbox] == [["instant@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_send_digest() == 1
    assert mail.outbox[-1].to == ["digest@example.org"]
    assert services.notifications_send_digest() == 0


def test_a_person_edits_their_profile_but_not_someone_elses(geo):
    import pytest

    from miam.errors import NotAllowed

    me = make_member(FarmFactory(), email="me@example.org")
    other = make_member(FarmFactory(), email="other@example.org")
    services.user_update(user=me, by=me, first_name="Lou", wants_daily_digest=True)
    me.refresh_from_db()
    assert (me.first_name, me.wants_daily_digest) == ("Lou", True)
    with pytest.raises(NotAllowed):
        services.user_update(user=other, by=me, first_name="Pirate")


def test_the_emails_kept_for_a_person_are_in_their_export_and_erased_with_the_account(geo, client):
    user = make_member(FarmFactory(), email="moi@example.org")
    mail_outbox.email_queue(to="Moi@Example.org", subject="Invitation à rejoindre MIAM", body="Lien")
    mail_outbox.email_queue(to="autre@example.org", subject="Autre", body="Texte")
    client.force_login(user)
    data = json.loads(client.get("/profil/export/").content)
    assert [e["subject"] for e in data["emails"]] == ["Invitation à rejoindre MIAM"]
    services.user_delete(user=user, by=user)
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == ["autre@example.org"]
