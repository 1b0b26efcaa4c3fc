"""A gleaning day's papers as files: its sheet to print (PDF, WeasyPrint) and the documents
uploaded for it (the gleaning agreement, the civil-liability insurance).

The page and the API answer with these same responses, for those ``selectors.sees_gleaning_papers``
lets in (each door checks it first and refuses in its own way: a 403 page, the API's error body).
"""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from logistics import selectors
from logistics.models import GleaningDay

#: The papers a gleaning day keeps, by the name of their download.
GLEANING_DOCUMENTS = {"convention": "agreement_document", "assurance": "insurance_document"}

#: Who signed up, and their names, are on the sheet: never kept by a browser or a proxy.
_PRIVATE = "private, no-store"


def papers_refused() -> str:
    return _("Seuls l'organisateur et les chargé·es de mission du territoire y ont accès.")


def gleaning_sheet_pdf(day: GleaningDay, *, base_url: str) -> bytes:
    """The day's sheet: the place, the hours, the papers, each slot and who signed up, the harvest.

    Rendered without a request's context (an API key is no person for the pages' context
    processors), in the active language."""
    from weasyprint import HTML

    html = render_to_string(
        "logistics/gleaning_sheet.html",
        {
            "LANGUAGE_CODE": get_language(),
            "day": day,
            "slots": [
                (slot, list(slot.signups.select_related("structure").order_by("id")))
                for slot in selectors.gleaning_slots(day)
            ],
            "harvests": list(day.harvests.select_related("structure").order_by("structure__name")),
        },
    )
    return HTML(string=html, base_url=base_url).write_pdf()


def gleaning_sheet_response(day: GleaningDay, *, request) -> HttpResponse:
    pdf = gleaning_sheet_pdf(day, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="glanage-{day.date:%Y-%m-%d}-{day.pk}.pdf"'
    response["Cache-Control"] = _PRIVATE
    return response


def gleaning_document_response(day: GleaningDay, kind: str) -> FileResponse | None:
    """A paper uploaded for the day (``kind``: a key of ``GLEANING_DOCUMENTS``), as it was stored
    (a PDF, checked when it was uploaded); None when there is none (each door answers its 404)."""
    field = GLEANING_DOCUMENTS.get(kind)
    document = getattr(day, field) if field else None
    if not document:
        return None
    response = FileResponse(document.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="glanage-{day.pk}-{kind}.pdf"'
    response["Cache-Control"] = _PRIVATE
    return response
