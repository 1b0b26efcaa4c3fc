"""One error type for domain failures, and one JSON shape for every API error.

Every API error answers ``{"code": ..., "message": ..., "fields": {...}}`` with the
HTTP status, the message in the request's language (French by default).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


#: Codes of refusals caused by the current state of what the request acts on, not by what it
#: sent: the same request may succeed later or elsewhere. The API answers them with a 409
#: Conflict (partner apps retry or re-read instead of fixing their payload); everything else a
#: rule refuses is a 400. The services keep raising their codes; only the status lives here.
CONFLICT_CODES = frozenset(
    {
        "offer_exhausted",  # another structure took the quantity first
        "budget_exceeded",  # the structure's or the need's budget is spent
        "funding_exhausted",  # a funding line has no money left
        "invalid_status",  # a state transition the current status does not allow
        "round_taken",
        "pair_exists",
        "already_signed",
        "already_posted",
        "already_cancelled",
        "already_registered",
        "already_selected",
        "already_on_plan",
        "already_dropped",
        "receipt_immutable",
        "invitation_used",
        "occurrence_done",
    }
)


class DomainError(Exception):
    """A business rule refused the operation. ``fields`` maps field names to messages.

    The HTTP status: ``status_code`` when given, else 409 for ``CONFLICT_CODES``, else 400."""

    status_code = 400

    def __init__(self, code: str, message: str, *, fields: dict | None = None, status_code=None):
        super().__init__(message)
        self.code = code
        if status_code is None and type(self).status_code == 400 and code in CONFLICT_CODES:
            status_code = 409
        self.message = str(message)
        self.fields = {
            k: [str(m) for m in (v if isinstance(v, list | tuple) else [v])] for k, v in (fields or {}).items()
        }
        if status_code:
            self.status_code = status_code


class NotAllowed(DomainError):
    """The person (or API key) may not do this: HTTP 403."""

    status_code = 403

    def __init__(self, message: str | None = None, code: str = "permission_denied"):
        super().__init__(code, message or _("Vous n'avez pas le droit de faire cette action."))


def invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    """Some data is invalid, and ``field`` says why (the API's generic message on top)."""
    return DomainError(code, _("Certaines données sont invalides."), fields={field: [message]})


def refused(field: str, message: str, code: str = "invalid") -> DomainError:
    """A rule about ``field`` refused the operation: the message is the reason, on top and on the field."""
    return DomainError(code, message, fields={field: [message]})


def validate_model(instance, *, exclude=None, constraints: bool = True) -> None:
    """The model's own validation (``full_clean``) as one ``DomainError`` with every field's errors."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints)
    except DjangoValidationError as error:
        raise DomainError(
            "invalid", _("Certaines données sont invalides."), fields=validation_error_fields(error)
        ) from error


def validation_error_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def api_exception_handler(exc, context):
    # Imported here: DRF imports this module while it sets itself up.
    from rest_framework import exceptions
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = validation_error_fields(exc)
        return Response(
            error_body("invalid", _("Certaines données sont invalides."), fields),
            status=400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", _("Certaines données sont invalides."), _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message = detail if isinstance(detail, str) else _("Erreur.")
        body = error_body(str(code), str(message))
    response.data = body
    return response
