"""The cheaper FilterSet keeps django-filter's behaviour: each request gets its own filters,
bound to its own FilterSet, without deep copies. These fail on a django-filter upgrade that
changes the hooks ``miam.filters.LightFilterSet`` relies on (``get_filters``, the deep copy
of ``base_filters`` in ``FilterSet.__init__``, ``Filter.method``, ``get_form_class``)."""

from __future__ import annotations

import copy

from django.http import QueryDict

from miam.filters import ShallowCopiedFilters
from offers.filters import OfferFilter
from offers.models import Offer


def test_each_filterset_gets_its_own_filters_bound_to_it_not_deep_copies(db):
    first, second = OfferFilter(QueryDict("pricing=donation")), OfferFilter(QueryDict("pricing=market"))
    assert isinstance(OfferFilter.base_filters, ShallowCopiedFilters)
    for name, base in OfferFilter.base_filters.items():
        mine, theirs = first.filters[name], second.filters[name]
        assert mine is not base and mine is not theirs
        assert (mine.parent, theirs.parent, getattr(base, "parent", None)) == (first, second, None)
        assert mine.model is Offer
        assert mine.extra is base.extra  # choices, widgets...: shared, not copied (the point of it)
        if base.method is not None:
            assert mine.filter.f is mine and theirs.filter.f is theirs  # the method calls its own filterset
    assert copy.deepcopy(OfferFilter.base_filters)["pricing"].extra is OfferFilter.base_filters["pricing"].extra


def test_a_method_filter_runs_on_its_own_filterset(db):
    donations = OfferFilter(QueryDict("pricing=donation"), queryset=Offer.objects.all())
    markets = OfferFilter(QueryDict("pricing=market"), queryset=Offer.objects.all())
    assert "donation" in str(donations.qs.query) and "market" not in str(donations.qs.query)
    assert "market" in str(markets.qs.query) and "donation" not in str(markets.qs.query)


def test_the_form_class_is_built_once_per_filterset_class(db):
    assert OfferFilter(QueryDict()).get_form_class() is OfferFilter(QueryDict("x=1")).get_form_class()
    assert OfferFilter(QueryDict()).form is not OfferFilter(QueryDict()).form


def test_an_annotation_is_seen_through_filters_orderings_and_slices_and_a_missing_one_is_not(db):
    """``has_annotation`` reads Django's undocumented ``Query.annotations``: this fails first if
    an upgrade of Django moves it (the distance ordering and the offers' rows rely on it)."""
    from django.db.models import F, Value

    from miam.filters import has_annotation

    plain = Offer.objects.all()
    assert not has_annotation(plain, "distance_km")
    annotated = plain.annotate(distance_km=Value(3.5)).filter(quantity__gte=0).order_by("-id")
    assert has_annotation(annotated, "distance_km")
    assert has_annotation(annotated.annotate(double=F("distance_km") * 2)[:10], "distance_km")
    assert not has_annotation(annotated, "nothing_of_the_kind")


def test_filter_forms_share_their_fields_and_each_keeps_its_own_errors(db):
    """The form's fields are shared between requests (no deep copy), its errors are not."""
    bad, good = OfferFilter(QueryDict("available_on=pas-une-date")), OfferFilter(QueryDict("available_on=2026-12-02"))
    assert bad.form.fields["available_on"] is good.form.fields["available_on"]
    assert not bad.is_valid() and "available_on" in bad.errors
    assert good.is_valid() and not good.errors
    assert OfferFilter(QueryDict("available_on=2026-12-02")).is_valid()


def test_a_model_choice_field_keeps_its_own_copies():
    from django import forms

    from actors.models import Territory
    from miam.filters import SharedFormFields, share_form_fields

    class Choosing(forms.Form):
        territory = forms.ModelChoiceField(queryset=Territory.objects.all())

    class Plain(forms.Form):
        name = forms.CharField()

    assert not isinstance(share_form_fields(Choosing).base_fields, SharedFormFields)
    assert isinstance(share_form_fields(Plain).base_fields, SharedFormFields)
    assert Plain().fields["name"] is Plain().fields["name"]
    assert Choosing().fields["territory"] is not Choosing().fields["territory"]
