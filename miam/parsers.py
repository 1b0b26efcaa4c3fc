"""The API's JSON parser: a body is one JSON object, readable, without NUL characters.

DRF's own parser accepts any JSON value (``null``, ``[1,2]``, ``"s"``), which every write view
then reads as a mapping (a 500), lets a NUL character through to PostgreSQL (a 500), and words
its errors in English. This one answers each with a 400 in the error shape, in French first.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_constant=self._refuse_constant)
        except UnicodeDecodeError:
            raise ParseError(
                _("Le corps de la requête n'est pas du texte %(encoding)s.") % {"encoding": encoding}
            ) from None
        except json.JSONDecodeError as error:
            raise ParseError(
                _("JSON illisible, ligne %(line)s, colonne %(column)s : vérifiez guillemets, virgules et accolades.")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        if not isinstance(data, dict):
            raise ParseError(_("Le corps de la requête doit être un objet JSON ({…})."))
        if _has_nul(data):
            raise ParseError(_("La requête contient un caractère nul, refusé."))
        return data

    @staticmethod
    def _refuse_constant(name):
        raise json.JSONDecodeError(name, name, 0)
