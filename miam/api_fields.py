"""Typed serializer fields for the JSON columns the API shows, so that no property of the
schema is untyped JSON (a ``JSONField`` alone documents "anything")."""

from __future__ import annotations

from rest_framework import serializers


def week_days(**kwargs) -> serializers.ListField:
    """Days of the week, 0 = Monday to 6 = Sunday."""
    return serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), **kwargs)


def texts(**kwargs) -> serializers.ListField:
    """A list of texts or codes."""
    return serializers.ListField(child=serializers.CharField(), **kwargs)


def text_map(**kwargs) -> serializers.DictField:
    """Named texts: name → text."""
    return serializers.DictField(child=serializers.CharField(allow_blank=True), **kwargs)
