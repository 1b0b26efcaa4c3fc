from django.http import JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from miam.errors import error_body

API_PREFIX = "/api/"


def home(request):
    from actors import selectors

    return render(request, "miam/home.html", selectors.home_context(user=request.user))


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the DSFR's icon."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("dsfr/dist/favicon/favicon.ico"), permanent=True)


# --- Error pages ----------------------------------------------------------------------------
# Pages get a DSFR page in the person's language with a way back; the API keeps its one JSON
# shape ({"code", "message", "fields"}) even for a path no view matched or a crash outside DRF.


#: What MEDIA_ROOT holds: photos MIAM re-encoded itself (offers/validators.py), nothing else.
MEDIA_EXTENSIONS = {".jpg", ".png", ".webp", ".gif"}


def media(request, path: str):
    """MEDIA_ROOT served by the app (SERVE_MEDIA): images only, cached a day, never a listing.

    Django's ``static.serve`` does the safe part (no path outside MEDIA_ROOT, conditional
    answers); the files are MIAM's own re-encodings under random names.
    """
    from pathlib import PurePosixPath

    from django.conf import settings
    from django.http import Http404
    from django.views.static import serve

    if PurePosixPath(path).suffix.lower() not in MEDIA_EXTENSIONS:
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


def _page(request, template: str, status: int, context: dict | None = None):
    return render(request, template, {"title": _("Erreur"), **(context or {})}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api_request(request):
        return _api_error("bad_request", _("Requête invalide."), 400)
    return _page(request, "errors/400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api_request(request):
        from rest_framework.exceptions import PermissionDenied

        return _api_error("permission_denied", str(PermissionDenied.default_detail), 403)
    return _page(request, "errors/403.html", 403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api_request(request):
        from rest_framework.exceptions import NotFound

        return _api_error("not_found", str(NotFound.default_detail), 404)
    return _page(request, "errors/404.html", 404)


@requires_csrf_token
def server_error(request):
    """No context processors (they read the database, which may be what failed)."""
    if is_api_request(request):
        return _api_error("server_error", _("Erreur du serveur. L'équipe est prévenue ; réessayez plus tard."), 500)
    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("errors/500.html").render({"request_path": request.path}))


def csrf_failure(request, reason=""):
    if is_api_request(request):
        return _api_error("csrf_failed", _("Jeton CSRF absent ou invalide : rechargez la page."), 403)
    return _page(request, "errors/403_csrf.html", 403)
