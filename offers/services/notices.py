"""What offers' services tell people: notifications about matches and new proposals."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import ngettext

from actors.models import Membership, Territory
from actors.services import notify
from miam.formatting import quantity_text
from offers.models import Match

FARM, STRUCTURE = "farm", "structure"


def match_url(match_id: int) -> str:
    return reverse("offers:match_detail", args=[match_id])


def members_by_organization(org_ids) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for m in Membership.objects.filter(organization_id__in=set(org_ids), user__is_active=True).select_related("user"):
        out[m.organization_id].append(m.user)
    return out


def organizations_notify(org_ids, *, kind: str, title, template: str, context: dict, url: str = "") -> None:
    """Every active member of these organizations gets the notification (and its e-mail)."""
    members = members_by_organization(org_ids)
    users = [u for org in org_ids for u in members.get(org, [])]
    if not users:
        return
    # Written in each person's language: ``title`` may be a callable, the template is rendered per language.
    notify(users=users, kind=kind, title=title, body=lambda: render_to_string(template, context).strip(), url=url)


def proposals_notify(pairs_orgs: list[tuple[int, int | None]], territory: Territory) -> None:
    if not pairs_orgs:
        return
    per_org: dict[int, int] = defaultdict(int)
    for farm, structure in pairs_orgs:
        per_org[farm] += 1
        if structure:
            per_org[structure] += 1
    members = members_by_organization(per_org)
    for org_id, count in per_org.items():
        if not members.get(org_id):
            continue
        notify(
            users=members[org_id],
            kind="match_proposed",
            title=lambda count=count: (
                ngettext(
                    "%(count)d nouvelle proposition de mise en relation",
                    "%(count)d nouvelles propositions de mise en relation",
                    count,
                )
                % {"count": count}
            ),
            body=lambda count=count: render_to_string(
                "offers/email/match_proposed.txt", {"count": count, "territory": territory}
            ).strip(),
            url=match_list_url(),
        )


def match_list_url() -> str:
    return reverse("offers:proposals")


def match_describe(match: Match) -> dict:
    return {
        "match": match,
        "offer": match.offer,
        "need": match.need,
        "farm": match.offer.organization,
        "structure": match.need.organization,
        # Written when the message is, in its recipient's language.
        "quantity": lazy_quantity_format(match.quantity, match.unit),
    }


def quantity_format(quantity, unit: str) -> str:
    """« 104 litres », in the language of the message being written."""
    return quantity_text(Decimal(quantity), unit)


lazy_quantity_format = lazy(quantity_format, str)


def other_side_organizations(match: Match, sides: set[str]) -> list[int]:
    orgs = []
    if FARM not in sides:
        orgs.append(match.offer.organization_id)
    if STRUCTURE not in sides:
        orgs.append(match.need.organization_id)
    return orgs
