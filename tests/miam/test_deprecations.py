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
