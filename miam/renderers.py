"""The API's JSON renderer: DRF's ``JSONRenderer`` written by orjson.

DRF's renderer runs ``json.dumps`` with a Python ``default`` hook; on a page of 50 offers that
was a fifth of the CPU of an uncached list. orjson writes the same JSON (compact, UTF-8, keys in
order) in C. What it would write differently is routed back to DRF's own encoder, so the body
means the same and, for everything MIAM returns, is the same bytes:

- dates, times and datetimes go through DRF's encoder (milliseconds, ``Z`` for UTC), not orjson's;
- lazy translations, decimals, querysets and the rest: DRF's encoder too (``default``);
- U+2028 and U+2029 are escaped as DRF does (JSON that is also valid JavaScript);
- an indent asked for (``Accept: application/json; indent=4``, the browsable API), integers
  beyond 64 bits, non-string keys: DRF's renderer itself.

One difference is left: a NaN or infinite float is written ``null`` where DRF fails the request.

Also here, the API's content negotiation (``FileDownloadNegotiation``): a client asking a
download for its file type gets the file, not a 406.
"""

from __future__ import annotations

import orjson
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_drf_default = encoders.JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    """``application/json`` as DRF writes it, by orjson."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body


#: The files the API's downloads answer with (statements, receipts, delivery notes, a gleaning
#: day's papers, CSV and spreadsheet exports): no renderer writes them, the views do.
FILE_MEDIA_TYPES = frozenset(
    {"application/pdf", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
)


class FileDownloadNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, except that an ``Accept`` naming nothing but file types
    (``FILE_MEDIA_TYPES``, as a client asks for a PDF) is not a 406: DRF looks for a renderer
    of that type, finds none and refuses, though the view answers with the file itself. The
    view's first renderer (JSON) is chosen instead, for what is not a file: its errors, or the
    JSON of an endpoint that has no file to give. Anything else unserved is still a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            header = request.META.get("HTTP_ACCEPT", "")
            asked = {media.split(";", 1)[0].strip().lower() for media in header.split(",")} - {""}
            if not asked or not asked <= FILE_MEDIA_TYPES or format_suffix or not renderers:
                raise
            return renderers[0], renderers[0].media_type
