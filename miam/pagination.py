from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination

from miam import sync as sync_mod
from miam.query_params import refuse_unknown_parameters

#: The column a row may carry with the number of rows of the whole list (``COUNT(*) OVER ()``).
TOTAL_FIELD = "miam_page_total"  # no leading underscore: a namedtuple field


class RowsWithTotal:
    """A queryset of rows each carrying the number of rows of the whole list in a
    ``TOTAL_FIELD`` column (``COUNT(*) OVER ()``, as ``offers.api.offers.offer_rows`` gives
    them with ``with_total``): what ``CountInPagePaginator`` pages in one query."""

    def __init__(self, rows) -> None:
        self.rows = rows
        self.ordered = rows.ordered

    def __getitem__(self, key):
        return self.rows[key]

    def count(self) -> int:
        return self.rows.count()


class CountInPagePaginator(Paginator):
    """Django's paginator, but a page of ``RowsWithTotal`` is read with its count in one
    query instead of two. Anything else, an empty page or a page number that is not a plain
    number takes Django's way: same pages, same errors."""

    known_count: int | None = None

    @cached_property
    def count(self):
        return self.known_count if self.known_count is not None else super().count

    def page(self, number):
        plain = isinstance(number, int) or (isinstance(number, str) and number.isdecimal())
        if not isinstance(self.object_list, RowsWithTotal) or not plain or int(number) < 1:
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        # A few more rows than a page, so that orphans join the last page as Django does.
        rows = list(self.object_list[bottom : bottom + self.per_page + self.orphans])
        if not rows:
            return super().page(number)
        self.known_count = getattr(rows[0], TOTAL_FIELD)
        self.validate_number(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(rows[: top - bottom], number, self)


class CheckedPageSize:
    """``?page_size=`` is a whole number from 1 to ``max_page_size``, else a 400 (DRF would
    silently use its default or its maximum); the schema states the bounds."""

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdecimal() or not 1 <= int(raw) <= self.max_page_size:
            message = _("Taille de page invalide : un nombre entier de 1 à %(max)s.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                param["description"] = _("Nombre de résultats par page (1 à %(max)s).") % {"max": self.max_page_size}
        return params


class PagePagination(CheckedPageSize, PageNumberPagination):
    django_paginator_class = CountInPagePaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        refuse_unknown_parameters(request, view)
        return super().paginate_queryset(queryset, request, view)


class SyncCursorPagination(CheckedPageSize, CursorPagination):
    """A stable cursor for partner apps that sync: ordered by last change, then id."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("updated_at", "id")

    def decode_cursor(self, request):
        """A cursor that is not one MIAM gave is a 400 on the ``cursor`` parameter (DRF: a 404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            message = _("Curseur invalide : reprenez le lien « next » d'une réponse précédente.")
            raise ValidationError({self.cursor_query_param: [message]}) from None


class PageOrSyncPagination(BasePagination):
    """Pages by default; the stable ``SyncCursorPagination`` when the client asks ``?sync=1``
    or follows a ``cursor=`` link (the view's ``ordering`` is then ignored).

    Lossless: in sync mode with ``updated_since``, the first page (no ``cursor``) also lists
    under ``deleted`` the rows of this list deleted since then (``miam.sync`` tombstones)."""

    sync_query_param = "sync"
    since_query_param = "updated_since"

    def __init__(self) -> None:
        self.page = PagePagination()
        self.sync = SyncCursorPagination()
        self.active: BasePagination = self.page
        self.deleted: list[dict] | None = None

    def _deleted(self, queryset, request) -> list[dict]:
        kind = sync_mod.kind_of(getattr(queryset, "model", None))
        params = request.query_params
        since = parse_datetime(str(params.get(self.since_query_param, "")))
        if kind is None or since is None or self.sync.cursor_query_param in params:
            return []
        if since.tzinfo is None:
            since = timezone.make_aware(since)
        return sync_mod.tombstones_since(kind, since)

    def wants_sync(self, request) -> bool:
        params = request.query_params
        flag = str(params.get(self.sync_query_param, "")).lower()
        return flag in {"1", "true", "yes"} or self.sync.cursor_query_param in params

    def paginate_queryset(self, queryset, request, view=None):
        refuse_unknown_parameters(request, view)
        if self.wants_sync(request):
            self.active = self.sync
            self.deleted = self._deleted(queryset, request)
            # No view: the cursor keeps its own (updated_at, id) order, whatever ?ordering= says.
            return self.sync.paginate_queryset(queryset, request, view=None)
        self.active = self.page
        return self.page.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = self.active.get_paginated_response(data)
        if self.active is self.sync and self.deleted is not None:
            response.data["deleted"] = self.deleted
        return response

    def get_paginated_response_schema(self, schema):
        nullable_uri = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {"type": "integer", "description": _("Absent en mode synchronisation (curseur).")},
                "next": nullable_uri,
                "previous": nullable_uri,
                "results": schema,
                "deleted": {
                    "type": "array",
                    "description": _(
                        "Mode synchronisation (sync=1) : sur la première page, les éléments de cette liste supprimés "
                        "depuis updated_since (quels que soient les autres filtres) ; vide sans updated_since."
                    ),
                    "items": {
                        "type": "object",
                        "required": ["id", "kind", "deleted_at"],
                        "properties": {
                            "id": {"type": "integer"},
                            "kind": {"type": "string"},
                            "deleted_at": {"type": "string", "format": "date-time"},
                        },
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        sync_param = {
            "name": self.sync_query_param,
            "required": False,
            "in": "query",
            "description": _("1 : pagination par curseur stable (triée par updated_at, id), pour synchroniser."),
            "schema": {"type": "boolean"},
        }
        params = {}
        for param in [
            *self.page.get_schema_operation_parameters(view),
            *self.sync.get_schema_operation_parameters(view),
            sync_param,
        ]:
            params.setdefault(param["name"], param)
        return list(params.values())
