from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import NamedValuesListIterable
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination

TOTAL_FIELD = "miam_page_total"  # no leading underscore: a namedtuple field


class CountInPagePaginator(Paginator):
    """Django's paginator, but a page of named rows (``values_list(..., named=True)``) reads
    the total in the same query (``COUNT(*) OVER ()``) instead of a separate ``COUNT``: one
    query planned and run instead of two. Anything else, an empty page or an odd page
    number takes Django's way (same pages, same errors)."""

    def page(self, number):
        qs = self.object_list
        if not self._counts_in_page(qs, number):
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        # A few more rows than a page so that orphans join the last page as Django does.
        # The window is not an aggregate: no GROUP BY. Naming it in ``_fields`` puts it in the
        # rows without resolving every values field again (values_list() would).
        counted = qs.annotate(**{TOTAL_FIELD: Window(Count("*"))})
        counted._fields = (*qs._fields, TOTAL_FIELD)
        rows = list(counted[bottom : bottom + self.per_page + self.orphans])
        if not rows:
            return super().page(number)
        total = getattr(rows[0], TOTAL_FIELD)
        self.__dict__["count"] = total  # the cached_property
        self.validate_number(number)
        top = bottom + self.per_page
        if top + self.orphans >= total:
            top = total
        return self._get_page(rows[: top - bottom], number, self)

    @staticmethod
    def _counts_in_page(qs, number) -> bool:
        return (
            isinstance(qs, QuerySet)
            and qs._iterable_class is NamedValuesListIterable
            and qs._fields
            and TOTAL_FIELD not in qs._fields
            and not qs.query.distinct
            and qs.query.group_by is None
            and not qs.query.combinator
            and not qs.query.is_sliced
            and (isinstance(number, int) or (isinstance(number, str) and number.isdigit()))
            and int(number) >= 1
        )


class PagePagination(PageNumberPagination):
    django_paginator_class = CountInPagePaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class SyncCursorPagination(CursorPagination):
    """A stable cursor for partner apps that sync: ordered by last change, then id."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("updated_at", "id")


class PageOrSyncPagination(BasePagination):
    """Pages by default; the stable ``SyncCursorPagination`` when the client asks ``?sync=1``
    or follows a ``cursor=`` link (the view's ``ordering`` is then ignored)."""

    sync_query_param = "sync"

    def __init__(self) -> None:
        self.page = PagePagination()
        self.sync = SyncCursorPagination()
        self.active: BasePagination = self.page

    def wants_sync(self, request) -> bool:
        params = request.query_params
        flag = str(params.get(self.sync_query_param, "")).lower()
        return flag in {"1", "true", "yes"} or self.sync.cursor_query_param in params

    def paginate_queryset(self, queryset, request, view=None):
        if self.wants_sync(request):
            self.active = self.sync
            # No view: the cursor keeps its own (updated_at, id) order, whatever ?ordering= says.
            return self.sync.paginate_queryset(queryset, request, view=None)
        self.active = self.page
        return self.page.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return self.active.get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        nullable_uri = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {"type": "integer", "description": "Absent en mode synchronisation (curseur)."},
                "next": nullable_uri,
                "previous": nullable_uri,
                "results": schema,
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
