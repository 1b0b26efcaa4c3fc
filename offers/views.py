"""Pages of offers, needs and matches: thin. Every write goes through ``offers.services``.

Each role has its workflow: farmers (« Je propose », my offers, my proposals, my deliveries),
food-aid structures (« J'ai besoin », my needs, proposals, deliveries), PAT officers (the
territory dashboard, matching runs, pairing by hand); everyone sees the map.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors import selectors as actor_selectors
from actors.models import Organization, Territory
from actors.permissions import (
    can_edit_organization,
    can_manage_territory,
    editable_organizations,
    member_organization_ids,
    viewer_territory_ids,
)
from miam import exports, maps, sections
from miam.context_processors import current_territory
from miam.errors import DomainError
from miam.pages import apply_domain_error, breadcrumb
from offers import distances, indicators, map_layers, selectors
from offers import exports as offer_exports
from offers.forms import (
    DeclineForm,
    DeliveryConfirmForm,
    ManualMatchForm,
    MapFilterForm,
    NeedForm,
    OfferForm,
    ScheduleForm,
    StructureRequestForm,
)
from offers.models import NEED_KINDS, OFFER_KINDS, OPEN_STATUSES, Match, MatchingRun, Need, Offer
from offers.reasons import reasons_rendered
from offers.services import explain, listings, matches, runs

PROPOSAL_STATUSES = (
    Match.MatchStatus.PROPOSED,
    Match.MatchStatus.ACCEPTED_FARM,
    Match.MatchStatus.ACCEPTED_STRUCTURE,
)
DELIVERY_STATUSES = (
    Match.MatchStatus.CONFIRMED,
    Match.MatchStatus.SCHEDULED,
    Match.MatchStatus.DELIVERED,
    Match.MatchStatus.CLOSED,
)
PAGE_SIZE = 25


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _acting_organizations(user, kinds) -> list[Organization]:
    """Organizations the person posts for: their own first; officers and staff may act for others."""
    base = Organization.objects.filter(kind__in=kinds, is_active=True).select_related(
        "commune", "farm_profile", "structure_profile"
    )
    mine = list(base.filter(id__in=member_organization_ids(user)).order_by("name"))
    if mine:
        return mine
    return list(base.filter(id__in=editable_organizations(user).values("id")).order_by("name")[:500])


def _match_queryset():
    return Match.objects.select_related(
        "offer",
        "offer__category",
        "offer__organization",
        "offer__organization__commune",
        "need",
        "need__organization",
        "need__organization__commune",
        "delivery",
    )


def _side(match: Match, org_ids: set[int]) -> str:
    if match.offer.organization_id in org_ids:
        return "farm"
    if match.need.organization_id in org_ids:
        return "structure"
    return ""


def _my_org_ids(user) -> set[int]:
    return set(member_organization_ids(user))


# --- Territory switcher ------------------------------------------------------------------


@require_POST
def territory_switch(request):
    territory = current_territory(request, override=request.POST.get("territory") or "")
    if territory is not None:
        messages.info(request, _("Territoire affiché : %(name)s.") % {"name": territory.name})
    target = _safe_next(request, reverse("offers:map"))
    # A ?territory= left in the address would switch back: drop it.
    if "territory=" in target:
        path, _sep, query = target.partition("?")
        kept = [part for part in query.split("&") if part and not part.startswith("territory=")]
        target = path + ("?" + "&".join(kept) if kept else "")
    return redirect(target)


# --- Map ---------------------------------------------------------------------------------


def _map_querystring(territory: Territory, filters: dict) -> str:
    return urlencode({"territory": territory.pk, **filters})


def map_page(request, territory: Territory | None = None):
    territory = territory or current_territory(request)
    if territory is None:
        return render(request, "offers/map.html", {"title": _("Carte"), "territory": None})
    form = MapFilterForm(request.GET or None)
    filters = form.filters()
    layer = maps.layer(request.GET.get("liste", "offers")) or maps.layer("offers")
    qs = layer.listing(territory=territory, filters=filters)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS and layer.code in ("offers", "needs"):
        meta = [[_("Territoire"), territory.name], *([str(k), str(v)] for k, v in filters.items())]
        build = offer_exports.offers_export if layer.code == "offers" else offer_exports.needs_export
        export = build(qs, title=str(layer.label), meta=meta)
        return exports.export_response(export, fmt=fmt, filename=f"{layer.code}-{territory.slug}")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    base_qs = _map_querystring(territory, filters)
    context = {
        "title": _("Carte du territoire"),
        "territory": territory,
        "form": form,
        "page": page,
        "listing": layer.code,
        "layers": [(each.code, each.label) for each in maps.layers()],
        "data_url": f"{reverse('offers:map_data')}?{base_qs}",
        "map_view": actor_selectors.territory_map_view(territory),
        "querystring": urlencode({**filters, "territory": territory.pk, "liste": layer.code}),
        "filter_querystring": base_qs,
        "breadcrumb": breadcrumb(
            _("Carte"), (reverse("actors:territory_detail", args=[territory.slug]), territory.name)
        ),
    }
    return render(request, "offers/map.html", context)


def map_data(request):
    territory = current_territory(request)
    if territory is None:
        return JsonResponse({"error": _("Aucun territoire.")}, status=404)
    form = MapFilterForm(request.GET or None)
    data = map_layers.map_data(territory=territory, user=request.user, filters=form.filters())
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=30"
    return response


# --- Detail pages ------------------------------------------------------------------------


def offer_detail(request, pk):
    offer = get_object_or_404(
        Offer.objects.select_related("organization", "organization__commune", "category", "logistics_partner"), pk=pk
    )
    can_edit = request.user.is_authenticated and can_edit_organization(request.user, offer.organization)
    if offer.status not in OPEN_STATUSES and not can_edit:
        raise PermissionDenied
    context = {
        "offer": offer,
        "can_edit": can_edit,
        "can_request": offer.status in OPEN_STATUSES and bool(_requesting_needs(request.user)),
        "title": offer.product_name,
        "matches": _with_km(list(_match_queryset().filter(offer=offer))) if can_edit else [],
        "breadcrumb": breadcrumb(offer.product_name, (reverse("offers:map"), _("Carte"))),
    }
    return render(request, "offers/offer_detail.html", context)


def _pairing_error(error: DomainError, *, form, request) -> None:
    """A pairing refused by the hard constraints says why in words (its ``constraints`` are
    codes, for apps); other errors go next to their fields."""
    if error.code == "pair_not_feasible":
        form.add_error(None, error.message)
    else:
        apply_domain_error(error, form=form, request=request)


def _requesting_needs(user) -> list[Need]:
    """The open needs a person may ask an offer for: their food-aid structures' own."""
    if not getattr(user, "is_authenticated", False):
        return []
    org_ids = member_organization_ids(user)
    return list(
        Need.objects.filter(organization_id__in=org_ids, organization__kind__in=NEED_KINDS, status__in=OPEN_STATUSES)
        .select_related("organization")
        .order_by("window_end", "id")[:50]
    )


@login_required
def offer_request(request, pk):
    """« Je suis intéressé·e » : the structure asks for this offer, for one of its needs."""
    offer = get_object_or_404(Offer.objects.select_related("organization", "organization__commune"), pk=pk)
    needs = _requesting_needs(request.user)
    if offer.status not in OPEN_STATUSES or not needs:
        raise PermissionDenied
    initial = {"quantity": min(offer.quantity_available, needs[0].quantity_open).normalize()}
    form = StructureRequestForm(request.POST or None, offer=offer, needs=needs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            matches.match_request(
                by=request.user, offer=offer, need=form.cleaned_data["need"], quantity=form.cleaned_data["quantity"]
            )
        except DomainError as error:
            _pairing_error(error, form=form, request=request)
        else:
            messages.success(
                request, _("Votre demande est envoyée au producteur : sa réponse arrivera dans vos propositions.")
            )
            return redirect("offers:proposals")
    context = {
        "form": form,
        "offer": offer,
        "title": _("Je suis intéressé·e"),
        "breadcrumb": breadcrumb(
            _("Je suis intéressé·e"), (reverse("offers:offer_detail", args=[offer.pk]), offer.product_name)
        ),
    }
    return render(request, "offers/offer_request.html", context, status=400 if form.errors else 200)


def need_detail(request, pk):
    need = get_object_or_404(Need.objects.select_related("organization", "organization__commune"), pk=pk)
    can_edit = request.user.is_authenticated and can_edit_organization(request.user, need.organization)
    if need.status not in OPEN_STATUSES and not can_edit:
        raise PermissionDenied
    live = [m for m in (_match_queryset().filter(need=need) if can_edit else []) if m.status in PROPOSAL_STATUSES]
    near_misses = []
    if can_edit and need.status in OPEN_STATUSES and not live:
        near_misses = reasons_rendered(explain.need_near_misses(need=need)["reasons"])
    context = {
        "need": need,
        "categories": list(need.categories.all()),
        "can_edit": can_edit,
        "title": need.title,
        "matches": _with_km(list(_match_queryset().filter(need=need))) if can_edit else [],
        "near_misses": near_misses,
        "breadcrumb": breadcrumb(need.title, (reverse("offers:map"), _("Carte"))),
    }
    return render(request, "offers/need_detail.html", context)


# --- My space ------------------------------------------------------------------------------


@login_required
def my_space(request):
    org_ids = _my_org_ids(request.user)
    organizations = list(Organization.objects.filter(id__in=org_ids).select_related("commune").order_by("name"))
    mine = Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids)
    context = {
        "title": _("Mon espace"),
        "organizations": organizations,
        "is_farm": any(o.kind in OFFER_KINDS for o in organizations),
        "is_structure": any(o.kind in NEED_KINDS for o in organizations),
        "is_officer": bool(viewer_territory_ids(request.user)),
        "open_offers": Offer.objects.filter(organization_id__in=org_ids, status__in=OPEN_STATUSES).count(),
        "open_needs": Need.objects.filter(organization_id__in=org_ids, status__in=OPEN_STATUSES).count(),
        "proposals": Match.objects.filter(mine, status__in=PROPOSAL_STATUSES).count(),
        "deliveries": Match.objects.filter(
            mine, status__in=[Match.MatchStatus.CONFIRMED, Match.MatchStatus.SCHEDULED]
        ).count(),
        # What higher apps add (``miam.sections``): the time slots of the coming rounds.
        **sections.context("my_space", user=request.user, organization_ids=org_ids),
    }
    return render(request, "offers/my_space.html", context)


def _listing_form_page(request, *, kind: str, instance=None):
    """« Je propose » / « J'ai besoin » and their edit pages: one flow for both."""
    is_offer = kind == "offer"
    organizations = (
        [instance.organization]
        if instance is not None
        else _acting_organizations(request.user, OFFER_KINDS if is_offer else NEED_KINDS)
    )
    template = "offers/offer_form.html" if is_offer else "offers/need_form.html"
    if not organizations:
        return render(
            request, template, {"no_organization": True, "title": _("Je propose") if is_offer else _("J'ai besoin")}
        )
    form_class = OfferForm if is_offer else NeedForm
    initial = {}
    if request.method == "GET" and request.GET.get("organization"):
        initial["organization"] = request.GET["organization"]
    form = form_class(
        request.POST or None,
        request.FILES or None,
        organizations=organizations,
        instance=instance,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            if instance is None and is_offer:
                listings.offer_create(by=request.user, organization=form.cleaned_data["organization"], data=data)
            elif instance is None:
                listings.need_create(by=request.user, organization=form.cleaned_data["organization"], data=data)
            elif is_offer:
                listings.offer_update(offer=instance, by=request.user, data=data)
            else:
                listings.need_update(need=instance, by=request.user, data=data)
        except DomainError as error:
            _pairing_error(error, form=form, request=request)
        else:
            if is_offer:
                messages.success(request, _("Votre offre est publiée. Nous cherchons les structures intéressées."))
                return redirect("offers:my_offers")
            messages.success(
                request, _("Votre besoin est publié. Nous cherchons les producteurs qui peuvent y répondre.")
            )
            return redirect("offers:my_needs")
    if is_offer:
        title = _("Je propose") if instance is None else _("Modifier l'offre")
        crumbs = breadcrumb(
            title, (reverse("offers:my_space"), _("Mon espace")), (reverse("offers:my_offers"), _("Mes offres"))
        )
    else:
        title = _("J'ai besoin") if instance is None else _("Modifier le besoin")
        crumbs = breadcrumb(
            title, (reverse("offers:my_space"), _("Mon espace")), (reverse("offers:my_needs"), _("Mes besoins"))
        )
    context = {"form": form, "title": title, "instance": instance, "breadcrumb": crumbs}
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


@login_required
def offer_create(request):
    return _listing_form_page(request, kind="offer")


def _listing_edit_page(request, *, kind: str, queryset, pk):
    """The edit page of an offer or a need, for those who may act for its organization."""
    listing = get_object_or_404(queryset, pk=pk)
    if not can_edit_organization(request.user, listing.organization):
        raise PermissionDenied
    return _listing_form_page(request, kind=kind, instance=listing)


def _listing_withdraw(request, *, withdraw, model, pk, done: str, back: str):
    """Withdraw an offer or a need (POST) with ``withdraw(listing, by)``, then go back to
    ``next`` or to ``back``."""
    listing = get_object_or_404(model, pk=pk)
    try:
        withdraw(listing, request.user)
    except DomainError as error:
        apply_domain_error(error, request=request)
    else:
        messages.success(request, done)
    return redirect(_safe_next(request, reverse(back)))


@login_required
def offer_edit(request, pk):
    queryset = Offer.objects.select_related("organization", "category")
    return _listing_edit_page(request, kind="offer", queryset=queryset, pk=pk)


@login_required
@require_POST
def offer_withdraw(request, pk):
    return _listing_withdraw(
        request,
        withdraw=lambda offer, by: listings.offer_withdraw(offer=offer, by=by),
        model=Offer,
        pk=pk,
        done=_("L'offre est retirée."),
        back="offers:my_offers",
    )


@login_required
def need_create(request):
    return _listing_form_page(request, kind="need")


@login_required
def need_edit(request, pk):
    queryset = Need.objects.select_related("organization")
    return _listing_edit_page(request, kind="need", queryset=queryset, pk=pk)


@login_required
@require_POST
def need_withdraw(request, pk):
    return _listing_withdraw(
        request,
        withdraw=lambda need, by: listings.need_withdraw(need=need, by=by),
        model=Need,
        pk=pk,
        done=_("Le besoin est retiré."),
        back="offers:my_needs",
    )


@login_required
def my_offers(request):
    org_ids = _my_org_ids(request.user)
    qs = Offer.objects.filter(organization_id__in=org_ids).select_related("organization", "category")
    show = request.GET.get("voir", "open")
    if show == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        return exports.export_response(
            offer_exports.offers_export(qs, title=_("Mes offres")), fmt=fmt, filename="mes-offres"
        )
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "title": _("Mes offres"),
        "querystring": urlencode({"voir": show}),
        "breadcrumb": breadcrumb(_("Mes offres"), (reverse("offers:my_space"), _("Mon espace"))),
    }
    return render(request, "offers/my_offers.html", context)


@login_required
def my_needs(request):
    org_ids = _my_org_ids(request.user)
    qs = Need.objects.filter(organization_id__in=org_ids).select_related("organization")
    show = request.GET.get("voir", "open")
    if show == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        return exports.export_response(
            offer_exports.needs_export(qs, title=_("Mes besoins")), fmt=fmt, filename="mes-besoins"
        )
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "title": _("Mes besoins"),
        "querystring": urlencode({"voir": show}),
        "breadcrumb": breadcrumb(_("Mes besoins"), (reverse("offers:my_space"), _("Mon espace"))),
    }
    return render(request, "offers/my_needs.html", context)


# --- Proposals and deliveries ----------------------------------------------------------------


def _with_sides(matches, org_ids: set[int]) -> list[dict]:
    """Each match with the side the person is on and its kilometres as the indicators count them
    (``offers.distances``: from both organizations' points, never 0 between two points of one
    commune; a delivery a pooled round carried, its share of the round's km)."""
    matches = list(matches)
    kms = distances.delivered_kms(matches)
    return [
        {"match": m, "side": _side(m, org_ids), "km": _km(km.km), "by_round": km.by_round}
        for m, km in zip(matches, kms, strict=True)
    ]


def _with_km(matches: list[Match]) -> list[Match]:
    """The matches of a table, each with ``km``: from both organizations' points, as everywhere."""
    for match, item in zip(matches, _with_sides(matches, set()), strict=True):
        match.km = item["km"]
    return matches


def _item(match: Match, side: str) -> dict:
    return {**_with_sides([match], set())[0], "side": side}


def _km(km: float) -> float:
    return round(km, 1)


@login_required
def proposals(request):
    org_ids = _my_org_ids(request.user)
    qs = (
        _match_queryset()
        .filter(Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids))
        .filter(status__in=PROPOSAL_STATUSES)
        .order_by("-score", "id")
    )
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        export = offer_exports.matches_export(qs, title=_("Mes propositions"))
        return exports.export_response(export, fmt=fmt, filename="mes-propositions")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": _with_sides(page.object_list, org_ids),
        "decline_form": DeclineForm(),
        "title": _("Mes propositions"),
        "breadcrumb": breadcrumb(_("Mes propositions"), (reverse("offers:my_space"), _("Mon espace"))),
    }
    return render(request, "offers/proposals.html", context)


def _match_for_user(request, pk) -> tuple[Match, str]:
    match = get_object_or_404(_match_queryset(), pk=pk)
    side = _side(match, _my_org_ids(request.user))
    if not side and not (
        can_edit_organization(request.user, match.offer.organization)
        or can_edit_organization(request.user, match.need.organization)
    ):
        raise PermissionDenied
    return match, side


def _proposal_response(request, match: Match, side: str, *, error: str = "", success: str = ""):
    if request.htmx:
        match = _match_queryset().get(pk=match.pk)
        return render(
            request,
            "offers/_proposal.html",
            {"item": _item(match, side), "decline_form": DeclineForm(), "error": error, "success": success},
        )
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect(_safe_next(request, reverse("offers:proposals")))


@login_required
def match_detail(request, pk):
    """One match, for its two sides and their PAT team: where notifications and e-mails lead."""
    match, side = _match_for_user(request, pk)
    context = {
        "item": _item(match, side),
        "decline_form": DeclineForm(),
        "title": _("Mise en relation"),
        "breadcrumb": breadcrumb(_("Mise en relation"), (reverse("offers:proposals"), _("Mes propositions"))),
    }
    return render(request, "offers/match_detail.html", context)


@login_required
@require_POST
def match_accept(request, pk):
    match, side = _match_for_user(request, pk)
    asked = match.quantity
    try:
        match = matches.match_accept(match=match, by=request.user, side=request.POST.get("side") or side or None)
    except DomainError as error:
        return _proposal_response(request, match, side, error=error.message)
    if match.status not in (*PROPOSAL_STATUSES, Match.MatchStatus.CONFIRMED):
        return _proposal_response(request, match, side, error=match.declined_reason)
    if match.status == Match.MatchStatus.CONFIRMED:
        success = _("Les deux parties ont accepté : la mise en relation est confirmée.")
    else:
        success = _("Vous avez accepté. Nous attendons la réponse de l'autre partie.")
    if match.quantity < asked:
        success += " " + _("Il ne restait que %(quantity)s %(unit)s de cette offre : la quantité a été réduite.") % {
            "quantity": match.quantity.normalize(),
            "unit": match.get_unit_display(),
        }
    return _proposal_response(request, match, side, success=success)


@login_required
@require_POST
def match_decline(request, pk):
    match, side = _match_for_user(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _proposal_response(request, match, side, error=_("Indiquez le motif du refus."))
    try:
        match = matches.match_decline(match=match, by=request.user, reason=form.reason_text())
    except DomainError as error:
        return _proposal_response(request, match, side, error=error.message)
    return _proposal_response(request, match, side, success=_("Proposition refusée. Elle ne vous sera plus proposée."))


@login_required
def deliveries(request):
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        org_ids = _my_org_ids(request.user)
        qs = (
            _match_queryset()
            .filter(Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids))
            .filter(status__in=DELIVERY_STATUSES)
            .order_by("status", "scheduled_for", "-updated_at", "id")
        )
        export = offer_exports.matches_export(qs, title=_("Mes livraisons"), deliveries=True)
        return exports.export_response(export, fmt=fmt, filename="mes-livraisons")
    return _deliveries_page(request)


def _deliveries_page(request, *, bound: dict | None = None, status: int = 200):
    """The person's deliveries; ``bound`` keeps a form that was sent with errors (match id →
    form), so that what was typed stays, next to its error."""
    bound = bound or {}
    org_ids = _my_org_ids(request.user)
    qs = (
        _match_queryset()
        .filter(Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids))
        .filter(status__in=DELIVERY_STATUSES)
        .order_by("status", "scheduled_for", "-updated_at", "id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for item in _with_sides(page.object_list, org_ids):
        match = item["match"]
        if match.status in (Match.MatchStatus.CONFIRMED, Match.MatchStatus.SCHEDULED):
            item["schedule_form"] = ScheduleForm(match=match)
            if item["side"] == "structure":
                item["delivery_form"] = bound.get(match.pk) or DeliveryConfirmForm(match=match)
        items.append(item)
    context = {
        "page": page,
        "items": items,
        "title": _("Mes livraisons"),
        "breadcrumb": breadcrumb(_("Mes livraisons"), (reverse("offers:my_space"), _("Mon espace"))),
    }
    return render(request, "offers/deliveries.html", context, status=status)


@login_required
@require_POST
def match_schedule(request, pk):
    match, _side_name = _match_for_user(request, pk)
    form = ScheduleForm(request.POST, match=match)
    if form.is_valid():
        try:
            matches.match_schedule(match=match, by=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(error, request=request)
        else:
            messages.success(request, _("La date est enregistrée."))
    else:
        messages.error(request, _("Indiquez une date valide."))
    return redirect(_safe_next(request, reverse("offers:deliveries")))


@login_required
@require_POST
def match_confirm_delivery(request, pk):
    match, _side_name = _match_for_user(request, pk)
    form = DeliveryConfirmForm(request.POST, match=match)
    if form.is_valid():
        try:
            matches.match_confirm_delivery(match=match, by=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(error, form=form)
        else:
            messages.success(request, _("Réception enregistrée. Merci !"))
            return redirect(_safe_next(request, reverse("offers:deliveries")))
    # What was typed stays in the form, each error next to its field.
    return _deliveries_page(request, bound={match.pk: form}, status=400)


# --- Officer dashboard -----------------------------------------------------------------------


def _dashboard_territory(request) -> Territory:
    if not request.user.is_authenticated:
        raise PermissionDenied
    allowed = viewer_territory_ids(request.user)
    if not allowed:
        raise PermissionDenied
    territory = current_territory(request)
    if territory is None or territory.pk not in allowed:
        territory = Territory.objects.filter(pk__in=allowed).order_by("name").first()
        current_territory(request, override=str(territory.pk))
    return territory


def _runs_context(territory: Territory) -> dict:
    runs = indicators.recent_runs(territory=territory)
    busy = any(r.status in (MatchingRun.RunStatus.PENDING, MatchingRun.RunStatus.RUNNING) for r in runs)
    return {"runs": runs, "runs_busy": busy, "territory": territory}


@login_required
def dashboard(request):
    territory = _dashboard_territory(request)
    kind_labels = dict(Organization.Kind.choices)
    actor_counts = actor_selectors.territory_actor_counts(territory=territory)
    data = indicators.territory_indicators(territory=territory)
    status_labels = dict(Match.MatchStatus.choices)
    recent_matches = _with_km(
        list(
            _match_queryset()
            .filter(need__organization__commune__territories=territory)
            .order_by("-updated_at", "-id")[:10]
        )
    )
    strength, window = selectors.fairness_settings(territory)
    try:
        date_from, date_to = selectors.fill_rates_period(
            territory, _day(request.GET.get("date_from")), _day(request.GET.get("date_to"))
        )
    except DomainError as error:
        messages.error(request, error.message)
        date_from, date_to = selectors.fill_rates_period(territory, None, None)
    context = {
        "fill_rates": selectors.structure_fill_rates(territory=territory, date_from=date_from, date_to=date_to),
        "fill_period": (date_from, date_to),
        "fairness_strength": strength,
        "fairness_window": window,
        "title": _("Tableau de bord du territoire"),
        "territory": territory,
        "can_manage": can_manage_territory(request.user, territory),
        "actors": [(kind_labels[k], n) for k, n in actor_counts.items()],
        "listings": indicators.open_listing_counts(territory=territory),
        "indicators": data,
        "matches_by_status": [(status_labels[s], n, s) for s, n in data["matches"].items()],
        "recent_matches": recent_matches,
        **_runs_context(territory),
        "breadcrumb": breadcrumb(
            _("Tableau de bord"), (reverse("actors:territory_detail", args=[territory.slug]), territory.name)
        ),
    }
    return render(request, "offers/dashboard.html", context)


def _day(value):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def dashboard_runs(request):
    territory = _dashboard_territory(request)
    return render(request, "offers/_runs.html", _runs_context(territory))


@login_required
@require_POST
def matching_request(request):
    territory = _dashboard_territory(request)
    try:
        run = runs.matching_request(territory=territory, by=request.user, trigger="manual")
    except DomainError as error:
        apply_domain_error(error, request=request)
    else:
        run.refresh_from_db()
        if run.status == MatchingRun.RunStatus.SUCCESS:
            messages.success(request, _("Calcul terminé."))
        elif run.status == MatchingRun.RunStatus.FAILED:
            messages.error(request, _("Le calcul a échoué : %(error)s") % {"error": run.error})
        else:
            messages.info(request, _("Calcul lancé : sa progression s'affiche ci-dessous."))
    if request.htmx:
        return render(request, "offers/_runs.html", _runs_context(territory))
    return redirect("offers:dashboard")


@login_required
def match_propose(request):
    territory = _dashboard_territory(request)
    if not can_manage_territory(request.user, territory):
        raise PermissionDenied
    open_offers = map_layers.offers(territory=territory)[:300]
    open_needs = map_layers.needs(territory=territory)[:300]
    form = ManualMatchForm(request.POST or None, offers=open_offers, needs=open_needs)
    if request.method == "POST" and form.is_valid():
        try:
            matches.match_propose_manual(by=request.user, **form.cleaned_data)
        except DomainError as error:
            _pairing_error(error, form=form, request=request)
        else:
            messages.success(request, _("Mise en relation proposée aux deux parties."))
            return redirect("offers:dashboard")
    context = {
        "form": form,
        "territory": territory,
        "title": _("Proposer une mise en relation"),
        "breadcrumb": breadcrumb(
            _("Proposer une mise en relation"), (reverse("offers:dashboard"), _("Tableau de bord"))
        ),
    }
    return render(request, "offers/match_propose.html", context, status=400 if form.errors else 200)


@login_required
def indicators_export(request, fmt: str = "csv"):
    territory = _dashboard_territory(request)
    export = indicators.indicators_export(territory=territory)
    return exports.export_response(export, fmt=fmt, filename=f"indicateurs-{territory.slug}")
