"""What every page needs: map settings, the navigation for the person's roles, the current territory.

The current territory (the one the map, the directory and the dashboard show) is kept in the
session; ``offers:territory_switch`` changes it. Without a choice, it is the officer's
territory, else the territory of the person's organization, else the first one.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

SESSION_KEY = "miam_territory_id"


def miam(request):
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "SITE_URL": settings.SITE_URL,
    }


def _territories():
    from actors.models import Territory

    return list(Territory.objects.order_by("name").only("id", "name", "slug"))


def territory_choices(request) -> list:
    """All territories, once per request (the switcher lists them; there are tens, not thousands)."""
    cached = getattr(request, "_miam_territories", None)
    if cached is None:
        cached = _territories()
        request._miam_territories = cached
    return cached


def current_territory(request, *, override=None):
    """The territory the person is looking at: ``?territory=`` (id or slug), else the session, else a default."""
    if override is None and hasattr(request, "_miam_current_territory"):
        return request._miam_current_territory
    territories = territory_choices(request)
    by_id = {str(t.id): t for t in territories}
    by_slug = {t.slug: t for t in territories}
    wanted = override or request.GET.get("territory") or ""
    chosen = by_id.get(str(wanted)) or by_slug.get(str(wanted))
    session = getattr(request, "session", None)
    if chosen is None and session is not None:
        chosen = by_id.get(str(session.get(SESSION_KEY, "")))
    if chosen is None and territories:
        chosen = _default_territory(request, territories, by_id)
    if chosen is not None and session is not None and session.get(SESSION_KEY) != chosen.id:
        session[SESSION_KEY] = chosen.id
    request._miam_current_territory = chosen
    return chosen


def _default_territory(request, territories, by_id):
    from actors.models import Territory
    from actors.permissions import member_organization_ids, officer_territory_ids

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if not user.is_staff:
            for territory_id in sorted(officer_territory_ids(user)):
                if str(territory_id) in by_id:
                    return by_id[str(territory_id)]
        org_ids = member_organization_ids(user)
        if org_ids:
            territory = (
                Territory.objects.filter(communes__organizations__id__in=org_ids).order_by("name").only("id").first()
            )
            if territory is not None and str(territory.id) in by_id:
                return by_id[str(territory.id)]
    return territories[0]


def roles(request) -> dict:
    """What the person is, for the navigation: farm member, structure member, officer."""
    cached = getattr(request, "_miam_roles", None)
    if cached is not None:
        return cached
    from actors.models import Organization
    from actors.permissions import member_organization_ids, officer_territory_ids

    user = request.user
    result = {"farm": False, "structure": False, "officer": False}
    if user.is_authenticated:
        org_ids = member_organization_ids(user)
        if org_ids:
            kinds = set(Organization.objects.filter(id__in=org_ids).values_list("kind", flat=True))
            result["farm"] = bool(kinds & {Organization.Kind.FARM, Organization.Kind.PROCESSOR})
            result["structure"] = Organization.Kind.FOOD_AID in kinds
        result["officer"] = bool(officer_territory_ids(user))
    request._miam_roles = result
    return result


def _link(name: str, label: str, request, **kwargs) -> dict | None:
    try:
        url = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None
    path = request.path
    active = path == url or (url != "/" and path.startswith(url))
    return {"url": url, "label": label, "active": active}


def _nav(request) -> list[dict]:
    """Top-level entries; an entry with ``children`` is a DSFR dropdown menu."""
    user = request.user
    who = roles(request)
    items: list[dict] = []

    def add(name, label, into=None, **kwargs):
        link = _link(name, label, request, **kwargs)
        if link:
            (into if into is not None else items).append(link)

    add("home", _("Accueil"))
    add("offers:map", _("Carte"))
    add("actors:directory", _("Acteurs"))
    add("initiatives:list", _("Initiatives"))
    if user.is_authenticated:
        mine: list[dict] = []
        add("offers:my_space", _("Mon espace"), mine)
        if who["farm"]:
            add("offers:offer_create", _("Je propose"), mine)
            add("offers:my_offers", _("Mes offres"), mine)
        if who["structure"]:
            add("offers:need_create", _("J'ai besoin"), mine)
            add("offers:my_needs", _("Mes besoins"), mine)
        if who["farm"] or who["structure"]:
            add("offers:proposals", _("Mes propositions"), mine)
            add("offers:deliveries", _("Mes livraisons"), mine)
        items.append(
            {
                "label": _("Mon espace"),
                "children": mine,
                "active": any(c["active"] for c in mine),
                "id": "menu-mine",
            }
        )
        if who["officer"]:
            team: list[dict] = []
            add("offers:dashboard", _("Tableau de bord"), team)
            territory = current_territory(request)
            if territory is not None:
                add("actors:invitations", _("Invitations"), team, slug=territory.slug)
            add("offers:match_propose", _("Proposer une mise en relation"), team)
            add("meetings:list", _("Réunions"), team)
            items.append(
                {
                    "label": _("Animation du PAT"),
                    "children": team,
                    "active": any(c["active"] for c in team),
                    "id": "menu-pat",
                }
            )
    # Only the most specific active link is marked as the current page.
    return items


def navigation(request):
    territory = current_territory(request) if hasattr(request, "session") else None
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "nav_items": _nav(request),
        "current_territory": territory,
        "territory_choices": territory_choices(request),
        "miam_roles": roles(request),
    }
