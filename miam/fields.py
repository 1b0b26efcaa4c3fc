"""Model fields shared by the apps."""

from __future__ import annotations

from django import forms
from django.db import models


class HttpsURLField(models.URLField):
    """A URL whose form field (admin, model forms) reads a bare « example.org » as https,
    Django 6's default; Django 5.2 would still assume http and warn (RemovedInDjango60Warning).
    Migrations see a plain ``URLField``: nothing changes in the database."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.URLField, "assume_scheme": "https", **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
