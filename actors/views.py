"""Pages of actors: invitations, profile, notifications, directory, organizations, territories.

Thin: every write goes through ``actors.services``; visitors see public fields only (an
organization's commune, never a person's e-mail nor an address).
"""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors import abuse, inputs, selectors, services
from actors import exports as actor_exports
from actors.forms import (
    DirectoryFilterForm,
    InvitationAcceptForm,
    InviteToOrganizationForm,
    InviteToTerritoryForm,
    OrganizationForm,
    PasswordResetForm,
    ProfileForm,
    RegisterAndInviteForm,
)
from actors.models import POPULATION_YEAR, Commune, Invitation, Organization, Territory
from actors.permissions import (
    can_edit_organization,
    can_manage_territory,
    can_see_private_fields,
)
from miam import exports, sections
from miam.context_processors import current_territory
from miam.errors import DomainError
from miam.pages import apply_domain_error, breadcrumb


def invitation_accept(request, token):
    try:
        invitation = services.invitation_get(token=token)
    except DomainError as error:
        return render(
            request,
            "actors/invitation_invalid.html",
            {"error": error},
            status=404 if error.code == "invitation_unknown" else 410,
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and (request.user.is_authenticated or form.is_valid()):
        try:
            data = form.cleaned_data if not request.user.is_authenticated else {}
            user = services.invitation_accept(token=token, user=request.user, **data)
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Bienvenue sur MIAM !"))
            return redirect("offers:my_space")
    return render(
        request,
        "actors/invitation_accept.html",
        {"invitation": invitation, "form": form, "title": _("Invitation")},
        status=400 if form.errors else 200,
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=request.user, by=request.user, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Profil enregistré."))
            return redirect("actors:profile")
    return render(request, "actors/profile.html", {"form": form, "title": _("Mon profil")})


@login_required
def profile_export(request):
    data = services.user_export_data(user=request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-miam.json"'
    return response


@login_required
@require_POST
def profile_delete(request):
    user = request.user
    logout(request)
    services.user_delete(user=user, by=user)
    messages.success(request, _("Votre compte et vos données personnelles ont été supprimés."))
    return redirect("home")


@login_required
def notifications(request):
    if request.method == "POST":
        services.notification_mark_read(user=request.user)
        return redirect("actors:notifications")
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "actors/notifications.html", {"page": page, "title": _("Notifications")})


def privacy(request):
    return render(request, "actors/privacy.html", {"title": _("Données personnelles")})


def territory_detail(request, slug):
    territory = get_object_or_404(Territory.objects.select_related("carrier"), slug=slug)
    current_territory(request, override=str(territory.pk))
    kind_labels = dict(Organization.Kind.choices)
    counts = selectors.territory_actor_counts(territory=territory)
    context = {
        "territory": territory,
        "title": territory.name,
        "actor_counts": [(kind_labels[k], n) for k, n in counts.items() if n],
        "is_officer": can_manage_territory(request.user, territory),
        "communes_count": territory.communes.count(),
        "population_year": POPULATION_YEAR,
        "data_url": f"{reverse('offers:map_data')}?{urlencode({'territory': territory.pk})}",
        "map_view": selectors.territory_map_view(territory),
        "breadcrumb": breadcrumb(territory.name),
    }
    return render(request, "actors/territory_detail.html", context)


PAGE_SIZE = 30


def directory(request):
    """Organizations of the current territory, filtered by kind and name (htmx updates the list)."""
    territory = current_territory(request)
    form = DirectoryFilterForm(request.GET or None)
    q, kind = "", ""
    if form.is_valid():
        q, kind = form.cleaned_data["q"], form.cleaned_data["kind"]
    qs = selectors.organization_list(territory=territory, kind=kind or None, q=q)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        meta = [[_("Territoire"), territory.name if territory else _("Tous")], [_("Recherche"), q], [_("Type"), kind]]
        export = actor_exports.organizations_export(qs, principal=request.user, title=_("Acteurs"), meta=meta)
        return exports.export_response(export, fmt=fmt, filename="acteurs")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    editable = set()
    if request.user.is_authenticated and territory is not None and can_manage_territory(request.user, territory):
        editable = {o.pk for o in page.object_list}
    context = {
        "form": form,
        "page": page,
        "territory": territory,
        "editable": editable,
        "querystring": urlencode({k: v for k, v in {"q": q, "kind": kind}.items() if v}),
        "title": _("Annuaire des acteurs"),
        "breadcrumb": breadcrumb(_("Acteurs")),
    }
    if request.htmx:
        return render(request, "actors/_directory_results.html", context)
    return render(request, "actors/directory.html", context)


def organization_detail(request, pk):
    organization = get_object_or_404(
        Organization.objects.select_related("commune", "commune__departement"), pk=pk, is_active=True
    )
    private = can_see_private_fields(request.user, organization)
    can_edit = request.user.is_authenticated and can_edit_organization(request.user, organization)
    members = []
    if can_edit:
        members = list(organization.memberships.select_related("user").order_by("user__last_name"))
    context = {
        "organization": organization,
        "private": private,
        "can_edit": can_edit,
        "members": members,
        "farm_profile": getattr(organization, "farm_profile", None) if organization.kind == "farm" else None,
        "structure_profile": getattr(organization, "structure_profile", None)
        if organization.kind == "food_aid"
        else None,
        **sections.context("organization_detail", organization=organization, user=request.user),
        "title": organization.name,
        "breadcrumb": breadcrumb(organization.name, (reverse("actors:directory"), _("Acteurs"))),
    }
    return render(request, "actors/organization_detail.html", context)


def _commune_choices(organization: Organization):
    communes = Commune.objects.filter(territories__communes=organization.commune).distinct().order_by("name")
    communes = list(communes.only("insee_code", "name"))
    if not communes:
        communes = list(
            Commune.objects.filter(departement_id=organization.commune.departement_id)
            .order_by("name")
            .only("insee_code", "name")
        )
    if organization.commune not in communes:
        communes.insert(0, organization.commune)
    return communes


@login_required
def organization_edit(request, pk):
    organization = get_object_or_404(Organization.objects.select_related("commune"), pk=pk)
    if not can_edit_organization(request.user, organization):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, organization=organization, communes=_commune_choices(organization))
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=organization, by=request.user, data=form.organization_data())
        except DomainError as error:
            apply_domain_error(error, form=form, request=request)
        else:
            messages.success(request, _("Fiche enregistrée."))
            return redirect("actors:organization_detail", pk=organization.pk)
    context = {
        "form": form,
        "organization": organization,
        "title": _("Modifier %(name)s") % {"name": organization.name},
        "breadcrumb": breadcrumb(
            _("Modifier"),
            (reverse("actors:directory"), _("Acteurs")),
            (reverse("actors:organization_detail", args=[organization.pk]), organization.name),
        ),
    }
    return render(request, "actors/organization_form.html", context, status=400 if form.errors else 200)


@login_required
def invitations(request, slug):
    """Officers register farms and structures of their territory and invite people."""
    territory = get_object_or_404(Territory, slug=slug)
    if not can_manage_territory(request.user, territory):
        raise PermissionDenied
    communes = list(territory.communes.order_by("name").only("insee_code", "name"))
    organizations = list(selectors.organization_list(territory=territory))
    action = request.POST.get("action") if request.method == "POST" else None
    new_form = RegisterAndInviteForm(request.POST if action == "new" else None, communes=communes, prefix="new")
    org_form = InviteToOrganizationForm(
        request.POST if action == "organization" else None, organizations=organizations, prefix="org"
    )
    team_form = InviteToTerritoryForm(request.POST if action == "team" else None, prefix="team")
    if action == "new" and new_form.is_valid():
        data = new_form.cleaned_data
        try:
            organization, _invitation = services.organization_register_and_invite(
                by=request.user,
                email=data["email"],
                data=inputs.organization_data({key: data[key] for key in ("kind", "name", "commune")}),
                territory=territory,
            )
        except DomainError as error:
            apply_domain_error(error, form=new_form, request=request)
        else:
            messages.success(
                request,
                _("L'organisation « %(org)s » est inscrite ; une invitation est partie vers %(email)s.")
                % {"org": organization.name, "email": data["email"]},
            )
            return redirect("actors:invitations", slug=territory.slug)
    elif action == "organization" and org_form.is_valid():
        data = org_form.cleaned_data
        try:
            services.invitation_create(by=request.user, **data)
        except DomainError as error:
            apply_domain_error(error, form=org_form, request=request)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": data["email"]})
            return redirect("actors:invitations", slug=territory.slug)
    elif action == "team" and team_form.is_valid():
        data = team_form.cleaned_data
        try:
            services.invitation_create(by=request.user, territory=territory, **data)
        except DomainError as error:
            apply_domain_error(error, form=team_form, request=request)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": data["email"]})
            return redirect("actors:invitations", slug=territory.slug)
    sent = (
        Invitation.objects.filter(Q(territory=territory) | Q(organization__commune__territories=territory))
        .select_related("organization")
        .distinct()
        .order_by("-created_at")[:50]
    )
    context = {
        "territory": territory,
        "new_form": new_form,
        "org_form": org_form,
        "team_form": team_form,
        "sent": sent,
        "title": _("Inscrire et inviter"),
        "breadcrumb": breadcrumb(
            _("Invitations"), (reverse("actors:territory_detail", args=[territory.slug]), territory.name)
        ),
    }
    return render(
        request, "actors/invitations.html", context, status=400 if action and request.method == "POST" else 200
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with a limit on e-mails per address and per client (actors.abuse)."""

    template_name = "actors/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "actors/email/password_reset.txt"
    subject_template_name = "actors/email/password_reset_subject.txt"

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not abuse.password_reset_allowed(email=email, ip=abuse.client_address(self.request)):
            form.add_error(
                None,
                _(
                    "Trop de demandes de réinitialisation pour cette adresse ou depuis ce poste. "
                    "Réessayez dans une heure ; si vous avez déjà reçu un lien, il reste valable."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
