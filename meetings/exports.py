"""The meetings list as a spreadsheet (``miam.exports``: CSV for French spreadsheets or XLSX,
formulas neutralised).

The rows are the page's queryset (``meetings.selectors.meeting_list``: only the meetings the person
may see, with the page's filters), every row instead of the first 200. A meeting's place and
counts are in the file as on its card; its video link, agenda and participants are not (the
participants have their own export, for the meeting's team).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Meeting
from miam import exports


def meetings_export(queryset, *, title: str, meta: list | None = None) -> exports.Export:
    kinds = dict(Meeting.Kind.choices)
    visibilities = dict(Meeting.Visibility.choices)
    rows = []
    for meeting in queryset:
        place = meeting.host_organization.name if meeting.host_organization_id else ""
        commune = meeting.commune.name if meeting.commune_id else ""
        if not commune and meeting.host_organization_id:
            commune = meeting.host_organization.commune.name
        rows.append(
            [
                meeting.pk,
                meeting.title,
                str(kinds.get(meeting.kind, meeting.kind)),
                meeting.territory.name,
                timezone.localtime(meeting.starts_at),
                timezone.localtime(meeting.ends_at),
                place,
                meeting.address,
                commune,
                bool(meeting.online_url),
                str(visibilities.get(meeting.visibility, meeting.visibility)),
                meeting.capacity,
                getattr(meeting, "seats_taken", None),
                _("Annulée") if meeting.cancelled_at else "",
            ]
        )
    columns = [
        _("N°"),
        _("Titre"),
        _("Type de réunion"),
        _("Territoire"),
        _("Début"),
        _("Fin"),
        _("Lieu d'accueil"),
        _("Adresse"),
        _("Commune"),
        _("En visioconférence"),
        _("Visibilité"),
        _("Nombre de places"),
        _("Inscrits"),
        _("Statut"),
    ]
    return exports.Export(title=title, meta=meta or [], tables=[exports.Table(columns=columns, rows=rows)])
