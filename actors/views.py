import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors import selectors, services
from actors.forms import InvitationAcceptForm, ProfileForm
from actors.models import Territory
from actors.permissions import can_manage_territory
from miam.errors import DomainError
from miam.pages import apply_domain_error


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
            return redirect("home")
    return render(
        request, "actors/invitation_accept.html", {"invitation": invitation, "form": form, "title": _("Invitation")}
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
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
    context = {
        "territory": territory,
        "title": territory.name,
        "actor_counts": selectors.territory_actor_counts(territory=territory),
        "is_officer": can_manage_territory(request.user, territory),
        "communes_count": territory.communes.count(),
    }
    return render(request, "actors/territory_detail.html", context)
