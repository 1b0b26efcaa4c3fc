"""Helpers for pages: turn a DomainError into form errors or a message, the one way."""

from django.contrib import messages

from miam.errors import DomainError


def apply_domain_error(error: DomainError, *, form=None, request=None) -> None:
    """Put a domain error next to the right fields of ``form`` (or as a page message)."""
    placed = False
    if form is not None:
        for field, field_messages in error.fields.items():
            name = field.split(".")[-1]
            target = name if name in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
                placed = True
        if not placed:
            form.add_error(None, error.message)
            placed = True
    if not placed and request is not None:
        messages.error(request, error.message)


def breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    """The DSFR breadcrumb of a page: ``links`` as (url, title) from the top, then ``current``."""
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}
