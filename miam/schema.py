"""The API's OpenAPI generator: drf-spectacular's, with the error statuses of every operation.

Each operation documents the 4xx it may answer with, in the one error shape
(``miam.api_errors.ErrorSerializer``), whatever its view declares:

- 400 when it reads a body or query parameters (bad value, unknown parameter);
- 401 always (an API key that is not valid is refused on every operation);
- 403 on writes, and on reads a permission restricts;
- 404 when the path names a resource;
- 409 on writes (the state of what it acts on refuses: ``miam.errors.CONFLICT_CODES``);
- 429 always (rate limits, ``miam.throttling``).

A view's own description of a status (``ERRORS_WRITE``...) is kept.

A serializer whose ``Meta.optional_in_schema`` names fields documents them as not required:
the fields some viewers do not get (contacts, exact address: least exposure). drf-spectacular
would otherwise list every read-only field as required.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

from miam.api_errors import ERROR_RESPONSES

READS = {"GET", "HEAD", "OPTIONS"}
PUBLIC_READ_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticatedOrReadOnly)


class MiamAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    ERROR_RESPONSES[status], str(status), media_types=["application/json"]
                )
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(getattr(serializer, "Meta", None), "optional_in_schema", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _error_statuses(self, operation: dict) -> list[int]:
        params = operation.get("parameters", [])
        write = self.method not in READS
        statuses = []
        if write or "requestBody" in operation or any(p.get("in") == "query" for p in params):
            statuses.append(400)
        statuses.append(401)
        if write or not self._publicly_readable():
            statuses.append(403)
        if any(p.get("in") == "path" for p in params):
            statuses.append(404)
        if write:
            statuses.append(409)
        if getattr(self.view, "throttle_classes", None):
            statuses.append(429)
        return statuses

    def _publicly_readable(self) -> bool:
        classes = getattr(self.view, "permission_classes", None) or []
        return all(isinstance(c, type) and issubclass(c, PUBLIC_READ_PERMISSIONS) for c in classes)
