"""A short cache of what visitors read, shared by every app's lists and map layers.

Anonymous reads (map pages, public widgets) are the same for everybody: their JSON is kept
``API_ANON_CACHE_SECONDS`` (a setting: 15 s; 0 turns the cache off, as bench/api does to
measure the uncached path), and any saved or deleted row of a model an app registers with
``invalidate_on_change`` (in its ``AppConfig.ready``) drops it at once in this process (and
everywhere when the cache is Redis). Signed-in people and API keys always read fresh data.
While Redis is unreachable the cache answers from each process's memory (``miam.cache``): reads
are then cached, and invalidated, per process.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.translation import get_language
from rest_framework.renderers import JSONRenderer

from miam.renderers import FastJSONRenderer

_VERSION_KEY = "api:v1:anon-version"


def bump_anonymous_cache(**kwargs) -> None:
    """Forget every cached visitor read (a signal receiver: any arguments)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, None)


def invalidate_on_change(*models, signals=()) -> None:
    """Any save or delete of these models, or any of these signals sent, drops the cache."""
    for model in models:
        label = model._meta.label
        post_save.connect(bump_anonymous_cache, sender=model, dispatch_uid=f"api-anon-cache-save-{label}")
        post_delete.connect(bump_anonymous_cache, sender=model, dispatch_uid=f"api-anon-cache-del-{label}")
    for signal in signals:
        signal.connect(bump_anonymous_cache, dispatch_uid=f"api-anon-cache-{id(signal)}")


def anonymous_cache_key(request) -> str | None:
    if getattr(request.user, "is_authenticated", False) or request.method != "GET":
        return None
    if settings.API_ANON_CACHE_SECONDS <= 0:
        return None
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    raw = f"{version}|{get_language()}|{request.get_full_path()}"
    return "api:v1:anon:" + hashlib.sha256(raw.encode()).hexdigest()


class AnonymousCacheMixin:
    """Serve a visitor's list from the cache (rendered JSON) when the same request was
    answered recently."""

    def list(self, request, *args, **kwargs):
        key = anonymous_cache_key(request)
        if key is not None and _renders_as_cached(request):  # the browsable API renders its own page
            body = cache.get(key)
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        response = super().list(request, *args, **kwargs)
        if key is not None and response.status_code == 200 and request.accepted_renderer.format == "json":
            if _renders_as_cached(request):
                # The response's own JSON is the cached body: render it once, not twice.
                response.add_post_render_callback(
                    lambda rendered: cache.set(key, rendered.content, settings.API_ANON_CACHE_SECONDS)
                )
            else:
                cache.set(key, FastJSONRenderer().render(response.data), settings.API_ANON_CACHE_SECONDS)
        return response


def _renders_as_cached(request) -> bool:
    """Whether the response body is byte for byte ``FastJSONRenderer().render(data)``: the plain
    JSON renderer (MIAM's orjson one or DRF's: the same bytes), without an ``indent`` asked in
    the Accept header."""
    if type(request.accepted_renderer) not in (FastJSONRenderer, JSONRenderer):
        return False
    _media, _sep, params = (request.accepted_media_type or "").partition(";")
    return not params.strip()
