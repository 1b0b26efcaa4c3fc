"""Login lockout (django-axes) and the limit on password-reset e-mails (actors/abuse.py)."""

import re

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "motdepasse-solide-42"
pytestmark = pytest.mark.django_db


def _login(client, email, password, url=None, ip="10.0.0.1"):
    return client.post(url or reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_an_account_is_locked_after_the_failure_limit_even_with_the_right_password(settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = UserFactory()
    client = Client()
    for _ in range(4):
        response = _login(client, user.email, "faux", ip="10.0.0.1")
        assert response.status_code == 200  # the form again, with its error
    # From other addresses and with other capitalisations: still the same account.
    response = _login(client, user.email.upper(), "faux", ip="10.0.0.2")
    assert response.status_code == 429
    response = _login(client, user.email, PASSWORD, ip="10.0.0.3")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Trop d'essais de mot de passe" in body and "15 minutes" in body
    assert "_auth_user_id" not in client.session


def test_one_address_is_locked_after_failures_on_many_accounts(settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    for n in range(5):
        _login(client, f"inconnu{n}@example.org", "faux", ip="10.9.9.9")
    victim = UserFactory()
    assert _login(client, victim.email, PASSWORD, ip="10.9.9.9").status_code == 429
    # The account itself is not locked: from elsewhere it logs in.
    assert _login(Client(), victim.email, PASSWORD, ip="10.1.1.1").status_code == 302


def test_a_success_before_the_limit_resets_the_account_counter(settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    for _ in range(2):
        _login(Client(), user.email, "faux", ip="10.0.0.5")
    assert _login(Client(), user.email, PASSWORD, ip="10.0.0.5").status_code == 302
    for _ in range(2):
        _login(Client(), user.email, "faux", ip="10.0.0.6")
    assert _login(Client(), user.email, PASSWORD, ip="10.0.0.7").status_code == 302


def test_the_admin_login_is_locked_too(settings):
    settings.AXES_FAILURE_LIMIT = 3
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    for _ in range(3):
        _login(Client(), staff.email, "faux", url=admin_login, ip="10.0.0.8")
    response = _login(Client(), staff.email, PASSWORD, url=admin_login, ip="10.0.0.9")
    assert response.status_code == 429
    assert "Trop d'essais de mot de passe" in response.content.decode()


def _alerts(response) -> list[str]:
    return re.findall(r'role="alert">(.*?)</div>', response.content.decode(), re.S)


def _reset(client, email, ip):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the e-mail goes after the commit (miam.mail)
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_reset_emails_are_limited_per_address_without_telling_which_addresses_exist(settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    user = UserFactory()
    client = Client()
    for n in range(3):
        assert _reset(client, user.email, ip=f"10.0.1.{n}").status_code == 302
    assert len(mail.outbox) == 3
    refused = _reset(client, user.email.upper(), ip="10.0.1.9")
    assert refused.status_code == 429
    assert "Trop de demandes de réinitialisation" in refused.content.decode()
    assert len(mail.outbox) == 3
    # An address without an account gets exactly the same answers.
    for n in range(3):
        assert _reset(client, "personne@example.org", ip=f"10.0.2.{n}").status_code == 302
    nobody = _reset(client, "personne@example.org", ip="10.0.2.9")
    assert nobody.status_code == 429
    assert _alerts(nobody) == _alerts(refused)
    assert len(mail.outbox) == 3


def test_reset_emails_are_limited_per_client_address(settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 4
    users = [UserFactory() for _ in range(5)]
    client = Client()
    for user in users[:4]:
        assert _reset(client, user.email, ip="10.0.3.3").status_code == 302
    assert _reset(client, users[4].email, ip="10.0.3.3").status_code == 429
    assert len(mail.outbox) == 4
    assert _reset(client, users[4].email, ip="10.0.3.4").status_code == 302
