"""Every write on actors: one function per use case, a transaction inside, domain errors out."""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from actors import geocoding, inputs, personal_data
from actors.inputs import OrganizationData
from actors.models import (
    EPCI,
    ApiKey,
    Commune,
    FarmProfile,
    Invitation,
    Membership,
    Notification,
    Organization,
    StructureProfile,
    Territory,
    TerritoryRole,
    User,
)
from actors.permissions import (
    EditRights,
    api_key_of,
    as_user,
    edit_rights,
    managed_commune_ids,
    require_edit_organization,
    require_manage_territory,
    require_write,
)
from miam import api_cache, bulk, mail, sync
from miam.errors import DomainError, NotAllowed, invalid, validate_model
from miam.inputs import FieldErrors, input_values, parse

logger = logging.getLogger(__name__)

# --- Reference geography -------------------------------------------------------------


def commune_get(code) -> Commune:
    if isinstance(code, Commune):
        return code
    try:
        return Commune.objects.select_related("departement").get(insee_code=str(code).strip())
    except Commune.DoesNotExist:
        raise invalid("commune", _("Commune inconnue : « %(code)s ».") % {"code": code}, "unknown_commune") from None


# --- Organizations -------------------------------------------------------------------


#: ``_profile_build``'s ``current`` when the caller has not loaded the profile.
_LOAD = object()


def _profile_build(organization: Organization, data: OrganizationData, errors: FieldErrors, *, current=_LOAD):
    """The profile the kind has (a farm's, a structure's) with the values given, validated and
    not saved, a farm's productions (None: unchanged), and the profile's fields given.

    ``current``: the organization's profile as loaded (None: it has none, a registration), or
    ``_LOAD`` to read it here."""
    farm, structure = data.farm_profile, data.structure_profile
    if farm is not None and organization.kind != Organization.Kind.FARM:
        errors.add("farm_profile", _("Seule une ferme a un profil de ferme."), "wrong_kind")
    if structure is not None and organization.kind != Organization.Kind.FOOD_AID:
        errors.add("structure_profile", _("Seule une structure d'aide alimentaire a ce profil."), "wrong_kind")
    errors.raise_if_any()
    # The input checked every value (types, ranges, choices): the model's own validation runs
    # without the constraint queries, which the database still enforces as the last guard.
    if organization.kind == Organization.Kind.FARM:
        if current is _LOAD:
            current = FarmProfile.objects.filter(organization=organization).first()
        profile = current if isinstance(current, FarmProfile) else FarmProfile(organization=organization)
        values = dict(farm.values if farm else {})
        productions = values.pop("productions", None)
    elif organization.kind == Organization.Kind.FOOD_AID:
        if current is _LOAD:
            current = StructureProfile.objects.filter(organization=organization).first()
        values = dict(structure.values if structure else {})
        profile = current if isinstance(current, StructureProfile) else None
        profile = profile or StructureProfile(
            organization=organization, structure_type=values.get("structure_type") or "other"
        )
        productions = None
    else:
        return None, None, frozenset()
    given = frozenset(name for name, value in values.items() if value is not None)
    for name in given:
        setattr(profile, name, values[name])
    validate_model(profile, exclude=["organization"], constraints=False)
    return profile, productions, given


def _model_fields(data: OrganizationData) -> dict:
    """The organization's fields given, as the model stores them (an empty text is "")."""
    fields = data.fields()
    for name in ("kind", "commune", "latitude", "longitude"):
        fields.pop(name, None)
    if fields.get("is_active") is None:
        fields.pop("is_active", None)
    return fields


@dataclass(frozen=True)
class OrganizationScope:
    """What the rules of a registration or a change need to know of the person, loaded once
    for any number of organizations: the communes among those given that lie in a territory
    they manage, and which of the existing organizations given they may edit."""

    user: User | None
    has_key: bool
    managed_commune_ids: frozenset[int]
    rights: EditRights | None = None


def organization_scope(*, by, communes, organizations=()) -> OrganizationScope:
    """``communes``: where new organizations may be registered; ``organizations``: existing
    ones that may be changed (``organization_change``)."""
    return OrganizationScope(
        user=as_user(by),
        has_key=bool(api_key_of(by)),
        managed_commune_ids=managed_commune_ids(by, {c.pk for c in communes if c is not None}),
        rights=edit_rights(by, organizations) if organizations else None,
    )


@dataclass
class PreparedOrganization:
    """A registration that passed every rule: the rows to write."""

    organization: Organization
    profile: FarmProfile | StructureProfile | None
    productions: list | None
    admin: User | None  # who becomes its admin (someone registering their own organization)
    geocoded: bool = False  # no coordinates given: its point is the geocoder's (or the town hall's)


def organization_prepare(*, scope: OrganizationScope, data: OrganizationData, locate: bool = True):
    """Every rule of a registration, nothing written: the organization located (``locate``
    False: at its town hall, no geocoder asked, for a check) and validated, its profile."""
    errors = data.errors.copy()
    errors.raise_if_any()
    commune = data.commune
    if data.latitude is not None:
        lat, lon = data.latitude, data.longitude
        precision = Organization.Precision.ADDRESS
    else:
        point = geocoding.locate(address=data.address, commune=commune) if locate else geocoding.town_hall(commune)
        lat, lon, precision = point.latitude, point.longitude, point.precision
    organization = Organization(
        kind=data.kind,
        commune=commune,
        latitude=lat,
        longitude=lon,
        location_precision=precision,
        **_model_fields(data),
    )
    validate_model(organization, exclude=["commune"], constraints=False)  # the commune: the input's
    in_managed_territory = commune.pk in scope.managed_commune_ids
    if scope.has_key and not in_managed_territory:
        raise NotAllowed(_("Cette clé ne peut enregistrer des acteurs que dans son territoire."))
    profile, productions, _given = _profile_build(organization, data, errors, current=None)
    user = scope.user
    admin = user if user and not user.is_staff and not in_managed_territory else None
    return PreparedOrganization(
        organization=organization,
        profile=profile,
        productions=productions,
        admin=admin,
        geocoded=data.latitude is None,
    )


@transaction.atomic
def organization_create(*, by, data: OrganizationData, members: list | None = None) -> Organization:
    """Register an organization. Officers register in their territory; staff anywhere;
    anyone signed in may register their own organization (they become its admin)."""
    require_write(by)
    data.errors.copy().raise_if_any()
    prepared = organization_prepare(scope=organization_scope(by=by, communes=[data.commune]), data=data)
    organization = prepared.organization
    organization.save()
    if prepared.profile is not None:
        prepared.profile.organization = organization
        prepared.profile.save()
        if prepared.productions is not None:
            prepared.profile.productions.set(prepared.productions)
    if prepared.admin is not None:
        Membership.objects.create(user=prepared.admin, organization=organization, role=Membership.Role.ADMIN)
    for member in members or []:
        Membership.objects.get_or_create(user=member, organization=organization)
    logger.debug("organization %s created by %s", organization.pk, by)
    return organization


#: Rows per INSERT when many organizations are written at once.
BULK_BATCH = 1000


@transaction.atomic
def organizations_create_many(*, by, prepared: list[PreparedOrganization]) -> list[Organization]:
    """Write registrations that ``organization_prepare`` accepted, a few INSERTs for thousands
    (an import): the same rows ``organization_create`` writes, and what its saves set off
    (the visitors' cache, dropped once)."""
    require_write(by)
    organizations = [p.organization for p in prepared]
    for organization in organizations:
        organization.refresh_search_text()
    Organization.objects.bulk_create(organizations, batch_size=BULK_BATCH)
    farms, structures, productions, admins = [], [], [], []
    for item in prepared:
        if item.profile is not None:
            item.profile.organization = item.organization
            (farms if isinstance(item.profile, FarmProfile) else structures).append(item.profile)
        if item.admin is not None:
            admins.append(Membership(user=item.admin, organization=item.organization, role=Membership.Role.ADMIN))
    FarmProfile.objects.bulk_create(farms, batch_size=BULK_BATCH)
    StructureProfile.objects.bulk_create(structures, batch_size=BULK_BATCH)
    through = FarmProfile.productions.through
    for item in prepared:
        for category in item.productions or []:
            productions.append(through(farmprofile_id=item.profile.pk, productcategory_id=category.pk))
    through.objects.bulk_create(productions, batch_size=BULK_BATCH, ignore_conflicts=True)
    Membership.objects.bulk_create(admins, batch_size=BULK_BATCH)
    if organizations:
        # What each organization's post_save does, once, and once written (a rolled-back check
        # changes nothing visitors see).
        transaction.on_commit(api_cache.bump_anonymous_cache)
    logger.debug("%s organizations created by %s", len(organizations), by)
    return organizations


@transaction.atomic
def organization_register_and_invite(*, by, email: str, data: OrganizationData, territory: Territory | None = None):
    """An officer registers an actor (of ``territory``, when given) and invites its contact as
    its admin: both or neither, every error of either at once."""
    errors = data.errors.copy()
    _email, email_errors, _given = parse(inputs.InvitationInput, {"email": email}, partial=True)
    errors.merge(email_errors)
    if territory is not None:
        require_manage_territory(by, territory)
        if data.commune is not None and not territory.communes.filter(pk=data.commune.pk).exists():
            errors.add("commune", _("Choisissez une commune du territoire."), "outside_territory")
    errors.raise_if_any()
    organization = organization_create(by=by, data=data)
    invitation, _raw = invitation_create(
        by=by, email=email, organization=organization, organization_role=Membership.Role.ADMIN
    )
    return organization, invitation


@dataclass
class PreparedChange:
    """A change of an organization that passed every rule of ``organization_update``: the
    organization and its profile changed in memory, and what of them to write."""

    organization: Organization
    fields: frozenset[str]  # the organization's fields set
    profile: FarmProfile | StructureProfile | None  # not saved yet when it had none (pk None)
    profile_fields: frozenset[str]  # the profile's fields set
    productions: list | None  # a farm's productions, replacing its own (None: unchanged)
    seen_updated_at: datetime | None  # when the row read had last changed: written only if still so
    geocoded: bool  # moved (commune or address), or at its town hall with an address to locate again
    # (``relocate_town_hall``), without coordinates given: its point is the geocoder's


def _moved_out_of_reach(scope: OrganizationScope, organization: Organization, data: OrganizationData) -> bool:
    """A move to a commune outside the territories of someone who edits the organization for
    their territory (an officer, a territory's API key): it would hand the organization to
    another territory's team. The organization itself (its members, its own key) may move
    anywhere, as may staff; ``scope.managed_commune_ids`` must include the new commune."""
    if "commune" not in data.given or data.commune is None or data.commune.pk == organization.commune_id:
        return False
    rights = scope.rights
    if rights.is_staff or (organization.pk and organization.pk in rights.member_ids):
        return False
    return data.commune.pk not in scope.managed_commune_ids


def organization_change(
    *,
    scope: OrganizationScope,
    organization: Organization,
    data: OrganizationData,
    profile=_LOAD,
    locate=True,
    relocate_town_hall=False,
) -> PreparedChange:
    """Every rule of a change (``organization_update``), nothing written: who may edit it (the
    ``scope`` built with it among its ``organizations``, and the new commune among its
    ``communes``), the kind that never changes, a move within the editor's reach
    (``_moved_out_of_reach``) and located again (``locate`` False: at its town hall, no
    geocoder asked, for a check or a batch geocoder), the organization and its profile validated. ``organization`` is changed in
    memory; ``profile``: its profile as loaded (None: it has none), else it is read here.
    ``relocate_town_hall``: an organization still at its town hall though it has an address (the
    geocoder did not answer, or had no provider, when it was placed) is located again as a move
    is, even at the same address (an import, whose batch geocoder asks for many at once)."""
    if scope.rights is None or not scope.rights.may_edit(organization):
        raise NotAllowed(_("Vous ne pouvez agir que pour vos propres organisations."))
    seen_updated_at = organization.updated_at
    errors = data.errors.copy()
    if "kind" in data.given and data.kind is not None and data.kind != organization.kind:
        errors.add("kind", _("Le type d'un acteur ne peut pas changer ; créez un nouvel acteur."), "kind_locked")
    if _moved_out_of_reach(scope, organization, data):
        errors.add(
            "commune",
            _(
                "Vous ne pouvez déplacer cet acteur que dans une commune d'un territoire que vous animez ; "
                "l'acteur lui-même peut déclarer son déménagement."
            ),
            "outside_territory",
        )
    errors.raise_if_any()
    fields = _model_fields(data)
    changed = set(fields)
    relocate = False
    if "commune" in data.given and data.commune is not None:
        relocate = data.commune.pk != organization.commune_id
        organization.commune = data.commune
        changed.add("commune")
    if "address" in fields:
        relocate = relocate or fields["address"] != organization.address
    for name, value in fields.items():
        setattr(organization, name, value)
    if (
        relocate_town_hall
        and organization.location_precision == Organization.Precision.COMMUNE
        and organization.address.strip()
    ):
        relocate = True
    if data.latitude is not None:
        organization.latitude, organization.longitude = data.latitude, data.longitude
        organization.location_precision = Organization.Precision.ADDRESS
        changed |= {"latitude", "longitude", "location_precision"}
        relocate = False
    elif relocate:
        point = (
            geocoding.locate(address=organization.address, commune=organization.commune)
            if locate
            else geocoding.town_hall(organization.commune)
        )
        organization.latitude, organization.longitude = point.latitude, point.longitude
        organization.location_precision = point.precision
        changed |= {"latitude", "longitude", "location_precision"}
    validate_model(organization, exclude=["commune"], constraints=False)
    profile, productions, profile_fields = _profile_build(organization, data, errors, current=profile)
    return PreparedChange(
        organization=organization,
        fields=frozenset(changed),
        profile=profile,
        profile_fields=profile_fields,
        productions=productions,
        seen_updated_at=seen_updated_at,
        geocoded=relocate,
    )


@transaction.atomic
def organization_update(*, organization: Organization, by, data: OrganizationData) -> Organization:
    """Change the fields ``data`` gives (the kind never changes); moving it locates it again."""
    require_write(by)
    organization = (
        Organization.objects.select_for_update(of=("self",)).select_related("commune").get(pk=organization.pk)
    )
    communes = [data.commune] if "commune" in data.given else ()
    scope = organization_scope(by=by, communes=communes, organizations=[organization])
    change = organization_change(scope=scope, organization=organization, data=data)
    organization.save()
    if change.profile is not None:
        change.profile.save()
        if change.productions is not None:
            change.profile.productions.set(change.productions)
    return organization


@transaction.atomic
def organizations_update_many(*, by, changes: list[PreparedChange]) -> list[Organization]:
    """Write changes that ``organization_change`` accepted, a few UPDATEs for thousands (an
    import): the rows ``organization_update`` writes (only the fields each change set, grouped
    by those fields; ``miam.bulk.update_rows``, one ``UPDATE … FROM (VALUES …)`` for 1,000 rows),
    and what its saves set off (the visitors' cache, dropped once).

    The rows are locked first: one changed or deleted by someone else since it was read refuses
    the whole (a ``DomainError``, nothing written), rather than overwriting what they did."""
    require_write(by)
    if not changes:
        return []
    organizations = [c.organization for c in changes]
    current = dict(
        Organization.objects.select_for_update()
        .filter(pk__in=[o.pk for o in organizations])
        .values_list("pk", "updated_at")
    )
    for change in changes:
        if current.get(change.organization.pk) != change.seen_updated_at:
            raise DomainError(
                "changed_meanwhile",
                _("« %(name)s » a été modifié ou supprimé pendant l'import ; relancez l'import.")
                % {"name": change.organization.name},
            )
    now = timezone.now()
    groups: dict[frozenset, list[Organization]] = {}
    for change in changes:
        change.organization.refresh_search_text()
        change.organization.updated_at = now
        groups.setdefault(change.fields, []).append(change.organization)
    for fields, group in groups.items():
        bulk.update_rows(Organization, group, sorted({*fields, "search_text", "updated_at"}), batch_size=BULK_BATCH)
    new_profiles: dict[type, list] = {FarmProfile: [], StructureProfile: []}
    profile_groups: dict[tuple[type, frozenset], list] = {}
    for change in changes:
        profile = change.profile
        if profile is None:
            continue
        if profile.pk is None:
            new_profiles[type(profile)].append(profile)
        elif change.profile_fields:
            profile_groups.setdefault((type(profile), change.profile_fields), []).append(profile)
    for model, profiles in new_profiles.items():
        model.objects.bulk_create(profiles, batch_size=BULK_BATCH)
    for (model, fields), profiles in profile_groups.items():
        bulk.update_rows(model, profiles, sorted(fields), batch_size=BULK_BATCH)
    replaced = [c for c in changes if c.productions is not None and isinstance(c.profile, FarmProfile)]
    if replaced:
        through = FarmProfile.productions.through
        through.objects.filter(farmprofile_id__in=[c.profile.pk for c in replaced]).delete()
        rows = [
            through(farmprofile_id=c.profile.pk, productcategory_id=category.pk)
            for c in replaced
            for category in c.productions
        ]
        through.objects.bulk_create(rows, batch_size=BULK_BATCH, ignore_conflicts=True)
    transaction.on_commit(api_cache.bump_anonymous_cache)
    logger.debug("%s organizations changed by %s", len(organizations), by)
    return organizations


@transaction.atomic
def membership_set(*, by, organization: Organization, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    require_edit_organization(by, organization)
    if role not in Membership.Role.values:
        raise invalid("role", _("Rôle inconnu."))
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership


# --- Territories ---------------------------------------------------------------------


def _require_staff(by) -> None:
    user = as_user(by)
    if not (user and user.is_staff):
        raise NotAllowed(_("Réservé à l'équipe MIAM."))


def _simplified_outline(communes) -> dict | None:
    shapes = [shape(c.outline) for c in communes if c.outline]
    if not shapes:
        return None
    # Simplified commune outlines leave slivers between neighbours: close them with a small
    # buffer (about 100 m) before the union, and take it back after.
    merged = unary_union([s.buffer(0.001) for s in shapes]).buffer(-0.001).simplify(0.002, preserve_topology=True)
    return json.loads(json.dumps(mapping(merged)))


@transaction.atomic
def territory_create(*, by, name: str, slug: str = "", epci_codes: list[str] | None = None, carrier=None, **fields):
    _require_staff(by)
    territory = Territory(name=name, slug=slug or slugify(name)[:80], **fields)
    if carrier is not None:
        _check_carrier(carrier)
        territory.carrier = carrier
    validate_model(territory)
    territory.save()
    if epci_codes:
        territory_set_perimeter(territory=territory, by=by, epci_codes=epci_codes)
    return territory


def _check_carrier(carrier: Organization) -> None:
    if carrier.kind != Organization.Kind.COLLECTIVITE:
        raise invalid("carrier", _("La structure porteuse d'un PAT doit être une collectivité."), "wrong_kind")


@transaction.atomic
def territory_update(*, territory: Territory, by, carrier=None, **fields) -> Territory:
    require_manage_territory(by, territory)
    territory = Territory.objects.select_for_update().get(pk=territory.pk)
    for field, value in fields.items():
        if field in {"id", "pk", "population", "outline", "communes"}:
            raise invalid(field, _("Ce champ est calculé."))
        setattr(territory, field, value)
    if carrier is not None:
        _check_carrier(carrier)
        territory.carrier = carrier
    validate_model(territory)
    territory.save()
    return territory


@transaction.atomic
def territory_set_perimeter(
    *, territory: Territory, by, epci_codes: list[str] | None = None, commune_codes: list[str] | None = None
) -> Territory:
    """Set the perimeter from whole EPCI and/or single communes; recompute population and outline."""
    require_manage_territory(by, territory)
    epci_codes = [str(c).strip() for c in (epci_codes or []) if str(c).strip()]
    commune_codes = [str(c).strip() for c in (commune_codes or []) if str(c).strip()]
    known_epci = set(EPCI.objects.filter(code__in=epci_codes).values_list("code", flat=True))
    missing = [c for c in epci_codes if c not in known_epci]
    if missing:
        raise invalid("epci_codes", _("EPCI inconnu : %(codes)s.") % {"codes": ", ".join(missing)}, "unknown_epci")
    communes = list(Commune.objects.filter(epci__code__in=epci_codes)) + list(
        Commune.objects.filter(insee_code__in=commune_codes)
    )
    found = {c.insee_code for c in communes}
    missing = [c for c in commune_codes if c not in found]
    if missing:
        raise invalid(
            "commune_codes", _("Commune inconnue : %(codes)s.") % {"codes": ", ".join(missing)}, "unknown_commune"
        )
    if not communes:
        raise invalid("epci_codes", _("Le périmètre ne peut pas être vide."), "empty_perimeter")
    territory.communes.set(communes)
    territory.epci_codes = ",".join(epci_codes)
    territory.population = sum(c.population for c in {c.pk: c for c in communes}.values())
    territory.outline = _simplified_outline({c.pk: c for c in communes}.values())
    territory.save(update_fields=["epci_codes", "population", "outline", "updated_at"])
    return territory


@transaction.atomic
def territory_role_set(*, by, territory: Territory, user: User, role: str) -> TerritoryRole:
    require_manage_territory(by, territory)
    if role not in TerritoryRole.Role.values:
        raise invalid("role", _("Rôle inconnu."))
    territory_role, _created = TerritoryRole.objects.update_or_create(
        user=user, territory=territory, defaults={"role": role}
    )
    return territory_role


# --- Invitations ---------------------------------------------------------------------


@transaction.atomic
@transaction.atomic
def invitation_create(
    *,
    by,
    email: str,
    organization: Organization | None = None,
    organization_role: str = Membership.Role.ADMIN,
    territory: Territory | None = None,
    territory_role: str = "",
) -> tuple[Invitation, str]:
    """Invite someone by e-mail to an organization and/or a territory role. Returns the
    invitation and the raw token (only ever in the e-mail's link)."""
    values = {"email": email, "organization_role": organization_role, "territory_role": territory_role}
    cleaned, errors, _given = parse(inputs.InvitationInput, values)
    if organization is None and territory is None:
        errors.add("organization", _("Invitez vers une organisation ou un territoire."), "no_target")
    for target, role in ((organization, "organization_role"), (territory, "territory_role")):
        if target is not None and not errors.has(role) and not cleaned.get(role):
            errors.add(role, _("Rôle inconnu."))
    errors.raise_if_any()
    if organization is not None:
        require_edit_organization(by, organization)
    if territory is not None:
        require_manage_territory(by, territory)
    email, organization_role, territory_role = (
        cleaned["email"].lower(),
        cleaned["organization_role"],
        cleaned["territory_role"],
    )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        token_hash=Invitation.hash_token(raw),
        organization=organization,
        organization_role=organization_role,
        territory=territory,
        territory_role=territory_role,
        invited_by=as_user(by),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    link = f"{settings.SITE_URL}/invitation/{raw}/"
    context = {"invitation": invitation, "link": link, "inviter": as_user(by)}
    # Through the outgoing-mail outbox: sent after the commit, retried while SMTP refuses it.
    mail.email_queue(
        to=email,
        subject=_("Invitation à rejoindre MIAM"),
        body=render_to_string("actors/email/invitation.txt", context),
    )
    return invitation, raw


def invitation_get(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organization", "territory")
        .filter(token_hash=Invitation.hash_token(token or ""))
        .first()
    )
    if invitation is None:
        raise DomainError("invitation_unknown", _("Ce lien d'invitation n'est pas valide."), status_code=404)
    if invitation.accepted_at:
        raise DomainError("invitation_used", _("Cette invitation a déjà été acceptée."))
    if invitation.is_expired:
        raise DomainError("invitation_expired", _("Cette invitation a expiré. Demandez-en une nouvelle."))
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, password: str = "", first_name: str = "", last_name: str = ""
) -> User:
    """Accept an invitation, creating the account if needed. Idempotent on the token."""
    invitation = invitation_get(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise DomainError("invitation_used", _("Cette invitation a déjà été acceptée."))
    if user is None or not user.is_authenticated:
        user = User.objects.filter(email=invitation.email).first()
        if user is None:
            account = input_values(
                inputs.InvitationAcceptInput, {"first_name": first_name, "last_name": last_name, "password": password}
            )
            try:
                validate_password(account["password"])
            except ValidationError as error:
                raise DomainError(
                    "invalid", _("Mot de passe trop faible."), fields={"password": error.messages}
                ) from error
            user = User.objects.create_user(email=invitation.email, **account)
        else:
            raise DomainError("login_required", _("Un compte existe déjà pour cette adresse : connectez-vous d'abord."))
    if invitation.organization_id:
        Membership.objects.update_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.organization_role}
        )
    if invitation.territory_id and invitation.territory_role:
        TerritoryRole.objects.update_or_create(
            user=user, territory=invitation.territory, defaults={"role": invitation.territory_role}
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return user


# --- API keys ------------------------------------------------------------------------


@transaction.atomic
def apikey_create(
    *, by, name: str, organization: Organization | None = None, territory: Territory | None = None, can_write=False
) -> tuple[ApiKey, str]:
    """Create a key scoped to one organization or one territory; the raw key is shown once."""
    if (organization is None) == (territory is None):
        raise invalid("organization", _("Une clé vise exactement une organisation ou un territoire."), "scope")
    if organization is not None:
        require_edit_organization(by, organization)
    else:
        require_manage_territory(by, territory)
    if not (name or "").strip():
        raise invalid("name", _("Donnez un nom à la clé."))
    raw, prefix, key_hash = ApiKey.generate()
    key = ApiKey.objects.create(
        name=name.strip(),
        prefix=prefix,
        key_hash=key_hash,
        organization=organization,
        territory=territory,
        can_write=can_write,
        created_by=as_user(by),
    )
    return key, raw


@transaction.atomic
def apikey_revoke(*, by, key: ApiKey) -> ApiKey:
    if key.organization_id:
        require_edit_organization(by, key.organization)
    else:
        require_manage_territory(by, key.territory)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


# --- Notifications -------------------------------------------------------------------


def _in_language(user: User, text):
    """``text``, or what ``text()`` says in the person's language (a notification is written
    in its recipient's language, whoever or whatever caused it)."""
    if not callable(text):
        return text
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return str(text())


def notify(*, users, kind: str, title, body="", url: str = "") -> list[Notification]:
    """In-app notification, e-mailed at once unless the person chose the daily digest.

    ``title`` and ``body`` are texts, or callables that write them: called in each recipient's
    language. The e-mail is sent after the commit, at least once and never twice: a refusal of
    the SMTP server leaves it due, and beat's ``notifications_email_retry`` tries it again."""
    created = []
    now = timezone.now()
    for user in {u.pk: u for u in users if u is not None}.values():
        immediate = user.wants_email_notifications and not user.wants_daily_digest
        notification = Notification.objects.create(
            user=user,
            kind=kind,
            title=_in_language(user, title),
            body=_in_language(user, body),
            url=url,
            email_due_at=now if immediate else None,
        )
        created.append(notification)
        if immediate:
            transaction.on_commit(lambda pk=notification.pk: notification_email_send(notification_id=pk))
    return created


def _email_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def notification_email_send(*, notification_id: int, now=None) -> bool:
    """Send a notification's e-mail if it is still due; whether it was sent now.

    The row is locked while the e-mail goes (``skip_locked``: another process sending it is left
    to it) and marked sent in the same transaction, so that it is never sent twice; a process
    killed between the send and the commit sends it again (at least once). An SMTP refusal or
    a server that does not answer is logged, and the e-mail tried again later with a backoff."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True, email_due_at__isnull=False)
            .first()
        )
        if notification is None:
            return False  # sent, given up, or being sent by another process
        user = notification.user
        if not (user.is_active and user.wants_email_notifications) or user.wants_daily_digest:
            Notification.objects.filter(pk=notification.pk).update(email_due_at=None)
            return False  # they changed their mind (the digest, if chosen, takes it)
        try:
            with translation.override(user.language or settings.LANGUAGE_CODE):
                notification_email(notification=notification)
        except (smtplib.SMTPException, OSError) as error:
            attempts = notification.email_attempts + 1
            gave_up = attempts >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
            Notification.objects.filter(pk=notification.pk).update(
                email_attempts=attempts, email_due_at=None if gave_up else now + _email_backoff(attempts)
            )
            log = logger.error if gave_up else logger.warning
            log(
                "notification %s: e-mail refused (%s: %s), attempt %d%s",
                notification.pk,
                type(error).__name__,
                error,
                attempts,
                ", given up" if gave_up else ", tried again later",
            )
            return False
        Notification.objects.filter(pk=notification.pk).update(
            emailed_at=timezone.now(), email_due_at=None, email_attempts=notification.email_attempts + 1
        )
        return True


def notifications_email_retry(*, now=None) -> int:
    """E-mails of notifications still due (the SMTP server refused them): sent again. Returns
    how many went."""
    now = now or timezone.now()
    due = Notification.objects.filter(emailed_at__isnull=True, email_due_at__lte=now).order_by("email_due_at")
    return sum(notification_email_send(notification_id=pk, now=now) for pk in due.values_list("pk", flat=True)[:500])


def notification_email(*, notification: Notification) -> None:
    """Write and send the e-mail of a notification (in the current language)."""
    context = {"notification": notification, "site_url": settings.SITE_URL}
    send_mail(
        subject=f"[MIAM] {notification.title}",
        message=render_to_string("actors/email/notification.txt", context),
        from_email=None,
        recipient_list=[notification.user.email],
    )


def notifications_send_digest() -> int:
    """One e-mail per person who chose the digest, with what they have not had yet; how many
    digests were handed to the outgoing-mail outbox.

    Per person, in one transaction: their notifications are locked (``skip_locked``: a digest
    run at the same time leaves them to the other), the digest is written to the outbox and
    they are marked e-mailed, so that a notification is never in two digests. The outbox sends
    each digest after its own commit and tries again later one the SMTP server refused: a bad
    address or a server down delays nobody else's digest and loses nothing."""
    pending = Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True, user__wants_daily_digest=True)
    queued = 0
    for user_id in sorted(set(pending.values_list("user_id", flat=True))):
        with transaction.atomic():
            items = list(
                pending.filter(user_id=user_id)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .order_by("created_at", "id")
            )
            if not items:
                continue
            user = items[0].user
            with translation.override(user.language or settings.LANGUAGE_CODE):
                mail.email_queue(
                    to=user.email,
                    subject=_("[MIAM] Votre récapitulatif du jour"),
                    body=render_to_string(
                        "actors/email/digest.txt", {"notifications": items, "site_url": settings.SITE_URL}
                    ),
                )
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                emailed_at=timezone.now(), email_due_at=None
            )
            queued += 1
    return queued


def notification_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- Personal data (RGPD) ------------------------------------------------------------


PROFILE_FIELDS = tuple(inputs.ProfileInput.base_fields)


@transaction.atomic
def user_update(*, user: User, by, **fields) -> User:
    """A person edits their own profile (staff may edit anyone's)."""
    actor = as_user(by)
    if not actor or (actor.pk != user.pk and not actor.is_staff):
        raise NotAllowed()
    for field in fields:
        if field not in PROFILE_FIELDS:
            raise invalid(field, _("Champ inconnu."))
    for field, value in input_values(inputs.ProfileInput, fields, partial=True).items():
        setattr(user, field, value)
    user.save(update_fields=list(fields))
    return user


def user_export_data(*, user: User) -> dict:
    """Everything MIAM holds about a person, as portable JSON."""
    return {
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "memberships": [
            {"organization": m.organization.name, "role": m.role}
            for m in user.memberships.select_related("organization")
        ],
        "territory_roles": [
            {"territory": r.territory.name, "role": r.role} for r in user.territory_roles.select_related("territory")
        ],
        "notifications": [
            {"title": n.title, "body": n.body, "created_at": n.created_at.isoformat()} for n in user.notifications.all()
        ],
        "invitations": [
            {
                "email": i.email,
                "organization": i.organization.name if i.organization_id else None,
                "territory": i.territory.name if i.territory_id else None,
                "created_at": i.created_at.isoformat(),
                "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in Invitation.objects.filter(email__iexact=user.email).select_related("organization", "territory")
        ],
        "emails": [
            {
                "to": e.to,
                "subject": e.subject,
                "body": e.body,
                "created_at": e.created_at.isoformat(),
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
            }
            for e in mail.emails_for(user.email)
        ],
        **personal_data.export_all(user),  # the other apps' share (offers, meetings, logistics…)
    }


@transaction.atomic
def user_delete(*, user: User, by) -> None:
    """Erase a person: the account goes; what organizations did stays, no longer linked to them."""
    actor = as_user(by)
    if not actor or (actor.pk != user.pk and not actor.is_staff):
        raise NotAllowed()
    user = User.objects.select_for_update().get(pk=user.pk)
    with sync.tombstones_batched():  # what the erasure deletes of synced lists: one INSERT of tombstones
        personal_data.erase_all(user, actor if actor.pk != user.pk else None)  # reassign, anonymise, erase
    Invitation.objects.filter(email__iexact=user.email).delete()
    mail.emails_for(user.email).delete()  # the e-mails kept for their address, sent or not
    user.delete()
