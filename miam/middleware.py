"""Request hygiene shared by pages and the API."""

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulCharactersMiddleware:
    """A NUL character can be stored by no database we run on (PostgreSQL refuses it in
    text): refuse such a query string or form up front with a clear 400, instead of letting
    every filter and form discover it as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "%00" in query or self._form_has_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _form_has_nul(request) -> bool:
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return False
        return any("\x00" in value for _name, values in request.POST.lists() for value in values)

    @staticmethod
    def _refuse(request):
        from miam.views import bad_request, is_api_request

        if not is_api_request(request):
            return bad_request(request)
        message = _("La requête contient un caractère nul, refusé.")
        return JsonResponse({"code": "nul_character", "message": message, "fields": {}}, status=400)


class UserLanguageMiddleware:
    """On pages, a signed-in person's language (chosen in their profile) wins over the browser's.

    Only a language chosen for this browser (Django's language cookie, set by the
    ``set_language`` view) comes before it. The API keeps following ``Accept-Language``, as
    partner apps expect. Runs after the locale and authentication middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith("/api/")
        ):
            language = getattr(user, "language", "")
            if language in dict(settings.LANGUAGES) and language != getattr(request, "LANGUAGE_CODE", ""):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class PreparedApiReadsMiddleware:
    """The API's reads (GET and HEAD) run their queries as prepared statements
    (``miam.prepared``): PostgreSQL plans a list's query once per connection instead of at
    every request. Writes and pages keep Django's client-side binding."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/"):
            return self.get_response(request)
        from miam.prepared import prepared_statements

        with prepared_statements():
            return self.get_response(request)
