"""Model fields shared by the apps."""

from __future__ import annotations

import re

import orjson
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


#: A run of 19 digits or more: a number orjson would read as a float (beyond 64 bits) or
#: round, where Python's json keeps every digit.
_LONG_NUMBER = re.compile(r"\d{19}")


class JSONField(models.JSONField):
    """Django's JSONField, its values read with orjson: the same Python values, several times
    faster than the standard library's json on the lists an API page reads by the hundred
    (an offer's labels and logistics) and on GeoJSON outlines. What orjson would read
    differently is left to Django's json: very long numbers (orjson rounds them), NaN and
    Infinity, lone surrogates (orjson refuses them). Migrations see a plain ``JSONField``."""

    def from_db_value(self, value, expression, connection):
        if type(value) is not str or self.decoder is not None or _LONG_NUMBER.search(value):
            return super().from_db_value(value, expression, connection)
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return super().from_db_value(value, expression, connection)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
