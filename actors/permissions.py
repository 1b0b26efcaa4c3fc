"""Who may do what. The same rules serve pages, the API and jobs.

A *principal* is either a signed-in ``User`` or an ``ApiKeyPrincipal`` (a partner app
authenticated by an API key, scoped to one organization or one territory).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from actors.models import ApiKey, Commune, Membership, Organization, Territory, TerritoryRole
from miam.errors import NotAllowed


@dataclass(eq=False)
class ApiKeyPrincipal:
    """What ``request.user`` is for a request authenticated by an API key."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True
    pk = None
    id = None
    email = ""

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    def get_username(self) -> str:
        return str(self)


def api_key_of(principal) -> ApiKey | None:
    return getattr(principal, "api_key", None)


def as_user(principal):
    """The ``User`` behind a principal, or None (anonymous, API key)."""
    if principal is None or not getattr(principal, "is_authenticated", False) or api_key_of(principal):
        return None
    return principal


def is_staff(principal) -> bool:
    return bool(as_user(principal) and principal.is_staff)


def officer_territory_ids(principal) -> set[int]:
    """Territories the principal manages (officer role; a territory-scoped key)."""
    key = api_key_of(principal)
    if key:
        return {key.territory_id} if key.territory_id else set()
    user = as_user(principal)
    if not user:
        return set()
    if user.is_staff:
        return set(Territory.objects.values_list("id", flat=True))
    cache = getattr(user, "_officer_territory_ids", None)
    if cache is None:
        cache = set(
            TerritoryRole.objects.filter(user=user, role=TerritoryRole.Role.OFFICER).values_list(
                "territory_id", flat=True
            )
        )
        user._officer_territory_ids = cache
    return cache


def viewer_territory_ids(principal) -> set[int]:
    """Territories whose private dashboards the principal may read (any territory role)."""
    user = as_user(principal)
    if not user:
        return officer_territory_ids(principal)
    if user.is_staff:
        return officer_territory_ids(user)
    return set(TerritoryRole.objects.filter(user=user).values_list("territory_id", flat=True))


def member_organization_ids(principal) -> set[int]:
    key = api_key_of(principal)
    if key:
        return {key.organization_id} if key.organization_id else set()
    user = as_user(principal)
    if not user:
        return set()
    cache = getattr(user, "_member_organization_ids", None)
    if cache is None:
        cache = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
        user._member_organization_ids = cache
    return cache


def organizations_in_territories(territory_ids) -> QuerySet[Organization]:
    return Organization.objects.filter(commune__territories__in=territory_ids).distinct()


def editable_organizations(principal) -> QuerySet[Organization]:
    """Organizations the principal may edit and act for."""
    if is_staff(principal):
        return Organization.objects.all()
    org_ids = member_organization_ids(principal)
    territory_ids = officer_territory_ids(principal)
    if not org_ids and not territory_ids:
        return Organization.objects.none()
    return Organization.objects.filter(Q(id__in=org_ids) | Q(commune__territories__in=territory_ids)).distinct()


def managed_commune_ids(principal, commune_ids) -> frozenset[int]:
    """Which of these communes lie in a territory the principal manages (one query at most)."""
    ids = {pk for pk in commune_ids if pk is not None}
    territory_ids = officer_territory_ids(principal) if ids else set()
    if not territory_ids:
        return frozenset()
    return frozenset(
        Commune.objects.filter(pk__in=ids, territories__id__in=territory_ids).values_list("pk", flat=True).distinct()
    )


@dataclass(frozen=True)
class EditRights:
    """Which organizations, among some known beforehand, a principal may edit: the rule of
    ``can_edit_organization`` (staff; a member; the team of a territory holding its commune),
    loaded once for thousands (an import)."""

    is_staff: bool
    member_ids: frozenset[int]
    managed_commune_ids: frozenset[int]

    def may_edit(self, organization: Organization) -> bool:
        if self.is_staff:
            return True
        if organization.pk and organization.pk in self.member_ids:
            return True
        return organization.commune_id in self.managed_commune_ids


def edit_rights(principal, organizations) -> EditRights:
    """The ``EditRights`` of a principal over ``organizations``: one query at most (the
    communes of those that are not their own)."""
    if is_staff(principal):
        return EditRights(is_staff=True, member_ids=frozenset(), managed_commune_ids=frozenset())
    members = frozenset(member_organization_ids(principal))
    others = {o.commune_id for o in organizations if not (o.pk and o.pk in members)}
    return EditRights(is_staff=False, member_ids=members, managed_commune_ids=managed_commune_ids(principal, others))


def can_edit_organization(principal, organization: Organization) -> bool:
    return edit_rights(principal, [organization]).may_edit(organization)


def can_manage_territory(principal, territory: Territory) -> bool:
    return territory.pk in officer_territory_ids(principal)


def can_see_private_fields(principal, organization: Organization) -> bool:
    """Contact details and exact address: the organization itself, its territory's team, staff."""
    if not getattr(principal, "is_authenticated", False):
        return False
    if can_edit_organization(principal, organization):
        return True
    territory_ids = viewer_territory_ids(principal)
    return bool(territory_ids) and organization.commune.territories.filter(id__in=territory_ids).exists()


def require_write(principal) -> None:
    """A read-only API key may not write anything."""
    key = api_key_of(principal)
    if key and not key.can_write:
        raise NotAllowed(_("Cette clé d'API est en lecture seule."), code="read_only_key")


def require_edit_organization(principal, organization: Organization, *, rights: EditRights | None = None) -> None:
    """``rights``: the principal's ``edit_rights`` over organizations including this one,
    loaded once for many (an import's lines), so that this asks the database nothing."""
    require_write(principal)
    allowed = rights.may_edit(organization) if rights is not None else can_edit_organization(principal, organization)
    if not allowed:
        raise NotAllowed(_("Vous ne pouvez agir que pour vos propres organisations."))


def require_manage_territory(principal, territory: Territory) -> None:
    require_write(principal)
    if not can_manage_territory(principal, territory):
        raise NotAllowed(_("Seul·e un·e chargé·e de mission de ce territoire peut faire cela."))
