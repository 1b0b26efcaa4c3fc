"""A list refuses the query parameters it does not document, instead of ignoring them.

A partner app that misspells a filter (``?categroy=eggs``) would otherwise get the whole list
and believe it filtered. The parameters a list accepts are the ones its OpenAPI operation
documents: its ``extend_schema`` parameters, its filter backends' (django-filter's FilterSet,
``ordering``) and its paginator's (``page``, ``page_size``, ``cursor``, ``sync``). Worked out
once per view and action, then one set difference per request.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter
from rest_framework.settings import api_settings

from miam.errors import DomainError

#: Parameters every view reads: DRF's format override.
ALWAYS = frozenset({api_settings.URL_FORMAT_OVERRIDE or "format"})

_known: dict[tuple, frozenset[str]] = {}


def _override_names(view, method: str) -> set[str]:
    """The query parameters ``extend_schema`` declares for this view's action (or method)."""
    action = getattr(view, getattr(view, "action", None) or method.lower(), None)
    schema_class = getattr(action, "kwargs", {}).get("schema")
    schema = schema_class() if isinstance(schema_class, type) else view.schema
    if isinstance(schema_class, type):
        schema.view = view
    schema.method = method.upper()
    names = set()
    for parameter in schema.get_override_parameters():
        if (
            isinstance(parameter, OpenApiParameter)
            and parameter.location == OpenApiParameter.QUERY
            and not (parameter.response or parameter.exclude)
        ):
            names.add(parameter.name)
    return names


def _backend_names(view) -> set[str]:
    names = set()
    for backend_class in getattr(view, "filter_backends", None) or []:
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset_class = backend.get_filterset_class(view, view.get_queryset())
            if filterset_class is not None:
                names.update(filterset_class.base_filters)
            continue
        names.update(p["name"] for p in backend.get_schema_operation_parameters(view))
    return names


def known_parameters(view, method: str) -> frozenset[str]:
    key = (type(view), getattr(view, "action", None), method)
    names = _known.get(key)
    if names is None:
        found = set(ALWAYS) | _override_names(view, method) | _backend_names(view)
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            found.update(p["name"] for p in paginator.get_schema_operation_parameters(view))
        names = _known[key] = frozenset(found)
    return names


def refuse_unknown_parameters(request, view) -> None:
    """A 400 naming each query parameter the list does not know, with the ones it does."""
    if view is None:
        return
    given = set(request.query_params)
    if not given:
        return
    known = known_parameters(view, request.method)
    unknown = sorted(given - known)
    if unknown:
        field = _("Paramètre inconnu. Paramètres possibles : %(known)s.") % {"known": ", ".join(sorted(known))}
        raise DomainError(
            "unknown_parameter",
            _("Paramètre inconnu : %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [field] for name in unknown},
        )
