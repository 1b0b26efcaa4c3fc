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
    """The territory the person is looking at: ``override`` or ``?territory=`` (id or slug), else
    the one they chose earlier (session), else their own (see ``default_territory``).

    Only a choice is remembered; the default is worked out again on each request, so that it
    follows the person (after logging in, an officer lands on their PAT, not on the one a
    visitor looked at before)."""
    if override is None and hasattr(request, "_miam_current_territory"):
        return request._miam_current_territory
    territories = territory_choices(request)
    by_id = {str(t.id): t for t in territories}
    by_slug = {t.slug: t for t in territories}
    wanted = override or request.GET.get("territory") or ""
    chosen = by_id.get(str(wanted)) or by_slug.get(str(wanted))
    session = getattr(request, "session", None)
    if chosen is not None:
        remember_territory(request, chosen)
    elif session is not None:
        chosen = by_id.get(str(session.get(SESSION_KEY, "")))
    if chosen is None and territories:
        chosen = default_territory(request, territories)
    request._miam_current_territory = chosen
    return chosen


def remember_territory(request, territory) -> None:
    """Keep a person's explicit choice (the switcher, a territory's page, a ``?territory=`` link)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.get(SESSION_KEY) == territory.id:
        return
    if request.method in ("GET", "HEAD") and session.session_key is None and not _user(request).is_authenticated:
        return  # a visitor's link or page view: the URL carries the territory; no session row for it
    if SESSION_KEY not in session and territory == default_territory(request, territory_choices(request)):
        return  # choosing the default changes nothing: no session for it
    session[SESSION_KEY] = territory.id


def forget_territory(request) -> None:
    """On login and logout the territory goes back to the person's own."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_KEY, None)
    for name in ("_miam_current_territory", "_miam_roles", "_miam_default_territory"):
        if hasattr(request, name):
            delattr(request, name)


def default_territory(request, territories):
    """An officer's PAT, else the territory of the person's organization, else the first one."""
    if hasattr(request, "_miam_default_territory"):
        return request._miam_default_territory
    chosen = _default_territory(request, territories, {str(t.id): t for t in territories}) if territories else None
    request._miam_default_territory = chosen
    return chosen


def _user(request):
    user = getattr(request, "user", None)
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    return user


def _default_territory(request, territories, by_id):
    from actors.models import Territory
    from actors.permissions import member_organization_ids, officer_territory_ids

    user = _user(request)
    if user.is_authenticated:
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


def working_territory(request):
    """The territory an officer works on: the one shown when they may see its dashboard, else
    their first own (so that a menu entry never leads to a page they may not open)."""
    from actors.permissions import viewer_territory_ids

    allowed = viewer_territory_ids(_user(request))
    if not allowed:
        return None
    shown = current_territory(request)
    if shown is not None and shown.pk in allowed:
        return shown
    by_id = {t.id: t for t in territory_choices(request)}
    for territory_id in sorted(allowed, key=lambda pk: by_id[pk].name if pk in by_id else ""):
        if territory_id in by_id:
            return by_id[territory_id]
    return None


def roles(request) -> dict:
    """What the person is, for the navigation: farm member, structure member, officer."""
    cached = getattr(request, "_miam_roles", None)
    if cached is not None:
        return cached
    from actors.models import Organization
    from actors.permissions import member_organization_ids, officer_territory_ids

    user = _user(request)
    result = {"farm": False, "structure": False, "officer": False, "logistics": False}
    if user.is_authenticated:
        org_ids = member_organization_ids(user)
        if org_ids:
            kinds = set(Organization.objects.filter(id__in=org_ids).values_list("kind", flat=True))
            result["farm"] = bool(kinds & {Organization.Kind.FARM, Organization.Kind.PROCESSOR})
            result["structure"] = Organization.Kind.FOOD_AID in kinds
            result["logistics"] = Organization.Kind.LOGISTICS in kinds
        result["officer"] = bool(officer_territory_ids(user))
        # A driver of a vehicle (the relation's name: this module imports no logistics code).
        if not any(result.values()):
            result["logistics"] = user.vehicles_driven.exists()
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


def managed_territory(request):
    """The territory an officer acts on: the one shown if they manage it, else their first own."""
    from actors.permissions import officer_territory_ids

    managed = officer_territory_ids(_user(request))
    if not managed:
        return None
    shown = current_territory(request)
    if shown is not None and shown.pk in managed:
        return shown
    return next((t for t in territory_choices(request) if t.id in managed), None)


def _nav(request) -> list[dict]:
    """Top-level entries; an entry with ``children`` is a DSFR dropdown menu. Every entry leads
    to a page the person may open."""
    user = _user(request)
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
    if not user.is_authenticated:
        add("logistics:gleaning_list", _("Glanage"))  # residents sign up without an account
    if not who["officer"]:
        add("meetings:list", _("Réunions"))
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
            add("agreements:list", _("Mes conventions"), mine)
            add("agreements:statements", _("Mes relevés"), mine)
        if who["structure"]:
            add("agreements:receipts", _("Reçus de dons"), mine)
        add("meetings:actions", _("Mes actions de suivi"), mine)
        items.append(
            {
                "label": _("Mon espace"),
                "children": mine,
                "active": any(c["active"] for c in mine),
                "id": "menu-mine",
            }
        )
        if any(who[role] for role in ("farm", "structure", "officer", "logistics")):
            # Pooled logistics (by URL name only: this module imports no logistics code).
            moves: list[dict] = []
            add("logistics:round_list", _("Tournées"), moves)
            if who["officer"]:
                add("logistics:round_plan", _("Calculer les tournées"), moves)
            if who["officer"] or who["logistics"]:
                add("logistics:round_create", _("Composer une tournée"), moves)
            add("logistics:vehicle_list", _("Véhicules"), moves)
            add("logistics:hub_list", _("Hubs et chambres froides"), moves)
            if who["farm"] or who["structure"] or who["officer"]:
                add("logistics:hours_list", _("Horaires d'accueil"), moves)
            add("logistics:gleaning_list", _("Journées de glanage"), moves)
            items.append(
                {
                    "label": _("Logistique"),
                    "children": moves,
                    "active": any(c["active"] for c in moves),
                    "id": "menu-logistics",
                }
            )
        if who["officer"]:
            team: list[dict] = []
            add("offers:dashboard", _("Tableau de bord"), team)
            add("indicators:territory", _("Indicateurs"), team)
            managed = managed_territory(request)
            if managed is not None:
                add("actors:invitations", _("Invitations"), team, slug=managed.slug)
                add("offers:match_propose", _("Proposer une mise en relation"), team)
                add("initiatives:plan", _("Plan d'action"), team, territory_slug=managed.slug)
            add("agreements:list", _("Conventions"), team)
            add("agreements:funding_lines", _("Financements"), team)
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
    user = _user(request)
    if user.is_authenticated:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "nav_items": _nav(request),
        "current_territory": territory,
        "territory_choices": territory_choices(request),
        "miam_roles": roles(request),
    }
