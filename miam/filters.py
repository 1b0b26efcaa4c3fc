"""Filter pieces every app's API shares (django-filter and DRF): comma-separated code lists,
a cheaper FilterSet, an ordering with a stable tie-breaker.

A malformed filter value is a 400 with a field error, never a 500.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from datetime import timedelta

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework.filters import OrderingFilter

# In the schema, list filters are one comma-separated string ("vegetables,fruits").
Csv = str


def clean_text(value: str) -> str:
    """A query parameter as text, NUL characters dropped, spaces trimmed."""
    return (value or "").replace("\x00", "").strip()


class CodeListField(forms.CharField):
    """A comma-separated list of codes, checked against ``allowed`` when given."""

    def __init__(self, *args, allowed=None, **kwargs):
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        codes = list(dict.fromkeys(c.strip() for c in clean_text(value).split(",") if c.strip()))
        if self.allowed is not None:
            allowed = self.allowed() if callable(self.allowed) else self.allowed
            unknown = [c for c in codes if c not in allowed]
            if unknown:
                # Params, not interpolation: django-filter formats the message once more.
                raise forms.ValidationError(
                    _("Valeur inconnue : %(value)s. Valeurs possibles : %(allowed)s."),
                    code="invalid_choice",
                    params={"value": ", ".join(unknown), "allowed": ", ".join(allowed)},
                )
        return codes or None


class CodeListFilter(filters.Filter):
    field_class = CodeListField


#: The widest offset a time zone has (UTC−12 to UTC+14); PostgreSQL refuses past ±15:59.
MAX_UTC_OFFSET = timedelta(hours=14)


class IsoDateTimeInRangeField(IsoDateTimeField):
    """An ISO 8601 date and time whose offset a real time zone can have (``+19:00``: a 400)."""

    def to_python(self, value):
        value = super().to_python(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(
                _("Décalage horaire hors limites : de -12:00 à +14:00 (reçu %(offset)s)."),
                code="invalid",
                params={"offset": value.strftime("%z")},
            )
        return value


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    """django-filter's ISO 8601 filter, with the offset checked (``IsoDateTimeInRangeField``)."""

    field_class = IsoDateTimeInRangeField


class ShallowCopiedFilters(OrderedDict):
    """A FilterSet class's filters, which ``FilterSet.__init__`` deep-copies for each request
    (labels, choices, lazy texts...): here each filter is copied shallowly instead, its
    ``method`` bound again to the copy. Filters keep no per-request state but their parent
    and model, which ``FilterSet.__init__`` sets on the copies."""

    def __deepcopy__(self, memo):
        copies = type(self)()
        for name, base in self.items():
            filter_ = copy.copy(base)
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod of this copy, not of the base
            copies[name] = filter_
        return copies


class SharedFormFields(dict):
    """A form class's ``base_fields`` that its instances share instead of deep-copying them
    (Django copies every field, widget and message of a form each time one is made: about
    0.3 ms for the 17 filters of the offers list). Cleaning a value never changes a Django
    field; a ``ModelChoiceField`` (which holds a queryset) keeps its copies."""

    def __deepcopy__(self, memo):
        return dict(self)


def share_form_fields(form_class: type[forms.Form]) -> type[forms.Form]:
    if not any(isinstance(field, forms.ModelChoiceField) for field in form_class.base_fields.values()):
        form_class.base_fields = SharedFormFields(form_class.base_fields)
    return form_class


class LightFilterSet(filters.FilterSet):
    """A FilterSet that costs less per request, through django-filter's public hooks: its
    filters are copied shallowly (``ShallowCopiedFilters``) and its form class, which
    depends only on the declared filters, is built once per FilterSet class and shares its
    fields between requests (``SharedFormFields``).
    tests/miam/test_filters.py fails if an upgrade of django-filter breaks either."""

    @classmethod
    def get_filters(cls):
        return ShallowCopiedFilters(super().get_filters())

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_light_form_class")
        if form_class is None:
            form_class = share_form_fields(super().get_form_class())
            cls._light_form_class = form_class
        return form_class


def has_annotation(queryset, name: str) -> bool:
    """Whether ``queryset`` computes ``name`` (``distance_km`` once ``within`` applied).

    The one place that reads Django's ``Query.annotations``, which Django does not document:
    no public API tells whether a queryset carries an annotation, and asking the request
    instead would repeat the filter's parsing. tests/miam/test_filters.py fails if an upgrade
    of Django changes it."""
    return name in queryset.query.annotations


class SafeOrderingFilter(OrderingFilter):
    """``?ordering=`` with a unique tie-breaker (stable pages); ``distance_km`` only
    applies when ``within`` computed it."""

    def get_ordering(self, request, queryset, view):
        self._refuse_unknown_fields(request, queryset, view)
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not has_annotation(queryset, "distance_km"):
            ordering = [term for term in ordering if term.lstrip("-") != "distance_km"]
        if not ordering:
            ordering = list(self.get_default_ordering(view) or [])
        if not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering.append("id")
        return ordering

    def _refuse_unknown_fields(self, request, queryset, view) -> None:
        """An ``?ordering=`` on a field the list cannot sort by is a 400 (DRF ignores it)."""
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in (t.strip() for t in raw.split(",")) if term and term.lstrip("-") not in valid]
        if unknown:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Tri inconnu : %(unknown)s. Tris possibles : %(valid)s.")
                        % {"unknown": ", ".join(unknown), "valid": ", ".join(valid)}
                    ]
                }
            )


class SyncedFilterSet(LightFilterSet):
    """The filters of a list a partner syncs (``?sync=1``, ``miam.pagination.PageOrSyncPagination``):
    at least ``updated_since``, the rows changed since then; the first page of a sync also lists
    the rows deleted since then. Every synced list's FilterSet derives from it
    (tests/interop/test_sync.py checks that each accepts it)."""

    updated_since = IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("modifiés depuis (date et heure ISO 8601)")
    )
