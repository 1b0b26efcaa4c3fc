from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
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
            "description": "1 : pagination par curseur stable (triée par updated_at, id), pour synchroniser.",
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
