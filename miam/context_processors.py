from django.conf import settings


def miam(request):
    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "SITE_URL": settings.SITE_URL,
    }


def _nav(request) -> list[dict]:
    from django.urls import NoReverseMatch, reverse
    from django.utils.translation import gettext as _

    from actors.permissions import officer_territory_ids

    user = request.user
    entries = [("home", _("Accueil")), ("offers:map", _("Carte")), ("initiatives:list", _("Initiatives"))]
    if user.is_authenticated:
        entries.append(("offers:my_space", _("Mon espace")))
        if officer_territory_ids(user):
            entries.append(("offers:dashboard", _("Tableau de bord PAT")))
            entries.append(("meetings:list", _("Réunions")))
    items = []
    for name, label in entries:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path == url})
    return items


def navigation(request):
    return {"nav_items": _nav(request)}
