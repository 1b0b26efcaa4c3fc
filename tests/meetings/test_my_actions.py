"""« Actions de suivi »: the person's own actions and their territories' team actions, each paged on its own."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from meetings.models import Action
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

URL = reverse("meetings:actions")
START = date(2026, 1, 5)


def _actions(meeting, n, *, prefix, status=Action.Status.TODO, due=True, **owner):
    """``n`` actions of ``meeting`` owned by ``owner``, due one day apart from ``START``."""
    return Action.objects.bulk_create(
        Action(
            meeting=meeting,
            title=f"{prefix} {i:03}",
            status=status,
            due_date=START + timedelta(days=i) if due else None,
            **owner,
        )
        for i in range(n)
    )


def test_the_own_actions_are_paged_by_fifty_open_ones_first_then_by_due_date(client, meeting, farm, farmer):
    _actions(meeting, 50, prefix="Ouverte", owner_organization=farm)
    _actions(meeting, 1, prefix="Sans échéance", due=False, owner_organization=farm)
    # Done, and due before all the others: after every open one all the same.
    _actions(meeting, 2, prefix="Terminée", status=Action.Status.DONE, owner_organization=farm)
    client.force_login(farmer)

    first = client.get(URL)
    assert first.status_code == 200
    page = first.context["page"]
    assert len(page.object_list) == 50 and page.paginator.count == 53 and page.has_next()
    assert [a.title for a in page] == [f"Ouverte {i:03}" for i in range(50)]
    body = first.content.decode()
    assert "<caption>53 actions</caption>" in body
    assert 'href="?page=2"' in body

    second = client.get(URL, {"page": 2}).context["page"]
    assert [a.title for a in second] == ["Sans échéance 000", "Terminée 000", "Terminée 001"]
    assert not second.has_next()


def test_the_team_actions_page_on_their_own_and_each_pagination_keeps_the_other_page(
    client, territory, meeting, officer, farm
):
    _actions(meeting, 55, prefix="À moi", owner_user=officer)
    _actions(meeting, 30, prefix="Équipe à faire", owner_organization=farm)
    _actions(meeting, 30, prefix="Équipe en cours", status=Action.Status.DOING, owner_organization=farm)
    # Another territory's actions are not the officer's team's.
    _actions(MeetingFactory(), 5, prefix="Ailleurs", owner_organization=farm)
    client.force_login(officer)

    response = client.get(URL, {"page": 2, "equipe": 2})
    assert response.status_code == 200
    page, team_page = response.context["page"], response.context["team_page"]
    assert page.number == 2 and [a.title for a in page] == [f"À moi {i:03}" for i in range(50, 55)]
    # Every action of the territory, the officer's own ones too, ordered by status, due date, id.
    assert team_page.number == 2 and team_page.paginator.count == 115
    team = list(Action.objects.filter(meeting__territory=territory))
    expected = sorted(team, key=lambda a: (a.status, a.due_date, a.pk))[50:100]
    assert [a.pk for a in team_page] == [a.pk for a in expected]
    body = response.content.decode()
    assert "<caption>55 actions</caption>" in body and "<caption>115 actions</caption>" in body
    # The own list's links keep the team list on its page 2, and the other way round.
    assert 'href="?equipe=2&page=1"' in body
    assert 'href="?page=2&equipe=1"' in body and 'href="?page=2&equipe=3"' in body
    assert 'aria-label="Pagination des actions de mes territoires"' in body


def test_more_than_three_hundred_team_actions_are_all_reachable(client, meeting, officer, farm):
    _actions(meeting, 301, prefix="Équipe", owner_organization=farm)
    client.force_login(officer)
    last = client.get(URL, {"equipe": 7}).context["team_page"]
    assert last.paginator.count == 301 and last.number == 7
    assert [a.title for a in last] == ["Équipe 300"]


@pytest.mark.parametrize(
    ("params", "own", "team"),
    [
        ({"page": "abc", "equipe": "x"}, 1, 1),
        ({"page": "999", "equipe": "999"}, 2, 2),
        ({"page": "-1", "equipe": "0"}, 2, 2),
    ],
)
def test_a_page_that_is_not_a_number_or_out_of_range_gives_a_page(client, meeting, officer, farm, params, own, team):
    _actions(meeting, 51, prefix="À moi", owner_user=officer)
    _actions(meeting, 10, prefix="Équipe", owner_organization=farm)
    client.force_login(officer)
    response = client.get(URL, params)
    assert response.status_code == 200
    # Django's get_page: not a number gives the first page, out of range the last one.
    assert response.context["page"].number == own
    assert response.context["team_page"].number == team
