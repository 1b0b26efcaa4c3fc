"""Our code raises no Django deprecation warning: URL fields read a bare domain as https."""

from __future__ import annotations

import warnings

import pytest
from django.contrib import admin
from django.forms import modelform_factory
from django.test import RequestFactory
from django.utils.deprecation import RemovedInDjango60Warning

from actors.models import Organization
from meetings.models import Meeting


@pytest.mark.parametrize("model", [Organization, Meeting], ids=["organization", "meeting"])
def test_url_fields_of_model_forms_and_the_admin_assume_https_without_a_warning(model, admin_user):
    field = {Organization: "website", Meeting: "online_url"}[model]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        form = modelform_factory(model, fields=[field])({field: "example.org/page"})
        request = RequestFactory().get("/")
        request.user = admin_user
        admin_form = admin.site._registry[model].get_form(request)
    assert form.is_valid(), form.errors
    assert form.cleaned_data[field] == "https://example.org/page"
    assert admin_form.base_fields[field].assume_scheme == "https"


def test_a_third_party_url_field_in_the_admin_assumes_https_too(admin_user):
    """django-dsfr's settings model has plain URL fields: the admin's form reads them as https."""
    from dsfr.models import DsfrConfig

    request = RequestFactory().get("/")
    request.user = admin_user
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        form_class = admin.site._registry[DsfrConfig].get_form(request)
    url_fields = [name for name, field in form_class.base_fields.items() if field.__class__.__name__ == "URLField"]
    assert url_fields and all(form_class.base_fields[name].assume_scheme == "https" for name in url_fields)


def test_the_url_fields_of_admin_inlines_assume_https_too(admin_user):
    """django-dsfr's settings page edits its links in inlines: their forms read https as well."""
    from dsfr.models import DsfrConfig

    model_admin = admin.site._registry[DsfrConfig]
    request = RequestFactory().get("/")
    request.user = admin_user
    url_fields = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        for inline in model_admin.get_inline_instances(request):
            form = inline.get_formset(request).form
            url_fields += [f for f in form.base_fields.values() if f.__class__.__name__ == "URLField"]
    assert url_fields and all(field.assume_scheme == "https" for field in url_fields)
