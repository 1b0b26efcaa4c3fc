"""The directory of organizations as a spreadsheet (``miam.exports``).

Everyone gets what the directory shows (name, kind, commune); contacts (e-mail, phone, website)
only for the organizations whose contacts the person may see (their own, their territory's
for its team, all for staff): ``actors.permissions.can_see_private_fields``. Never an address.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from actors.models import Organization
from actors.permissions import editable_organizations, is_staff, organizations_in_territories, viewer_territory_ids
from miam import exports


def _private_ids(principal, queryset) -> set[int] | None:
    """The organizations whose contacts the person may see (None: all of them)."""
    if is_staff(principal):
        return None
    if not getattr(principal, "is_authenticated", False):
        return set()
    seen = Q(id__in=editable_organizations(principal).values("id"))
    territory_ids = viewer_territory_ids(principal)
    if territory_ids:
        seen |= Q(id__in=organizations_in_territories(territory_ids).values("id"))
    return set(queryset.filter(seen).values_list("id", flat=True))


def organizations_export(queryset, *, principal, title: str, meta: list | None = None) -> exports.Export:
    kinds = {code: str(label) for code, label in Organization.Kind.choices}
    private = _private_ids(principal, queryset)
    rows = []
    for pk, name, kind, commune, insee, departement, siret, email, phone, website in queryset.values_list(
        "id",
        "name",
        "kind",
        "commune__name",
        "commune__insee_code",
        "commune__departement__code",
        "siret",
        "email",
        "phone",
        "website",
    ).iterator(chunk_size=5000):
        visible = private is None or pk in private
        rows.append(
            [
                pk,
                name,
                kinds.get(kind, kind),
                commune,
                insee,
                departement,
                siret,
                email if visible else "",
                phone if visible else "",
                website,
            ]
        )
    columns = [
        _("N°"),
        _("Nom"),
        _("Type d'acteur"),
        _("Commune"),
        _("Code INSEE"),
        _("Département"),
        _("SIRET"),
        _("E-mail de contact"),
        _("Téléphone"),
        _("Site web"),
    ]
    return exports.Export(title=title, meta=meta or [], tables=[exports.Table(columns=columns, rows=rows)])
