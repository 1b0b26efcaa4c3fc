"""One client address for every limit (axes' lockouts, reset e-mails, the API's throttles):
X-Forwarded-For is ignored without trusted proxies, and read behind TRUSTED_PROXY_COUNT of them."""

import pytest
from django.core import mail
from django.test import Client, RequestFactory, TestCase
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from miam.client_address import client_address
from tests.factories import UserFactory

PROXY = "10.0.0.254"
pytestmark = pytest.mark.django_db


def _login(email, *, forwarded):
    return Client().post(
        reverse("login"), {"username": email, "password": "faux"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )


def _reset(email, *, forwarded):
    with TestCase.captureOnCommitCallbacks(execute=True):  # the e-mail goes after the commit (miam.mail)
        return Client().post(
            reverse("password_reset"), {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", PROXY),  # nobody trusted: the header is anyone's to write
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # what the client wrote before our proxy is not believed
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (1, "not-an-address", PROXY),
        (1, "", PROXY),
    ],
)
def test_the_client_address_reads_x_forwarded_for_only_from_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_without_trusted_proxies_a_forged_header_does_not_escape_the_login_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        _login(f"inconnu{n}@example.org", forwarded=f"203.0.113.{n}")
    victim = UserFactory()
    assert _login(victim.email, forwarded="198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_lockout(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        _login(f"inconnu{n}@example.org", forwarded="198.51.100.1, 203.0.113.7")
    someone = UserFactory()
    assert _login(someone.email, forwarded="203.0.113.7").status_code == 429  # that client is locked
    assert _login(someone.email, forwarded="203.0.113.8").status_code == 200  # another one behind the proxy is not


def test_without_trusted_proxies_reset_limits_ignore_the_header(settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    users = [UserFactory() for _ in range(3)]
    assert [_reset(u.email, forwarded=f"203.0.113.{n}").status_code for n, u in enumerate(users)] == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_behind_a_trusted_proxy_reset_limits_count_each_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    users = [UserFactory() for _ in range(4)]
    assert [_reset(u.email, forwarded="203.0.113.7").status_code for u in users[:3]] == [302, 302, 429]
    assert _reset(users[3].email, forwarded="203.0.113.8").status_code == 302


def test_the_api_anonymous_limit_counts_the_same_client_address(settings, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    url = "/api/v1/territories/"

    def get(forwarded):
        return Client().get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [get(f"203.0.113.{n}") for n in range(3)] == [200, 200, 429]  # forged values, one bucket
    settings.TRUSTED_PROXY_COUNT = 1
    assert [get("203.0.113.50") for _ in range(3)] == [200, 200, 429]
    assert get("203.0.113.51") == 200
