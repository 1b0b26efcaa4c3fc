"""Vehicles, hubs and cold rooms, opening hours: who may lend what, validated once.

Each write checks who acts (an organization's members or its territory's officers), then the
rules that need several fields or the database, and raises one ``DomainError`` with every
error; nothing is written when anything is refused."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Membership
from logistics.inputs import HubData, OpeningHoursData, VehicleData, WeekHoursData, hours_in_order
from logistics.models import Hub, OpeningHours, Vehicle
from miam.errors import NotAllowed
from miam.inputs import FieldErrors
from offers.services import runs

DEFAULT_FROM = dt.time(8, 0)
DEFAULT_UNTIL = dt.time(18, 0)


def _owner(by, organization, errors: FieldErrors):
    if organization is None:
        errors.raise_if_any()
        return
    permissions.require_edit_organization(by, organization)


def _set(instance, data, names) -> None:
    for name in names:
        if name in data.given and getattr(data, name) is not None:
            setattr(instance, name, getattr(data, name))


def _check_drivers(errors: FieldErrors, organization, drivers) -> None:
    """The driver pool is made of the organization's people (employees or volunteers)."""
    if not drivers or organization is None:
        return
    members = set(
        Membership.objects.filter(organization=organization, user__in=drivers).values_list("user_id", flat=True)
    )
    strangers = [str(u) for u in drivers if u.pk not in members]
    if strangers:
        errors.add(
            "drivers",
            _("Ces personnes ne sont pas membres de l'organisation : %(names)s.") % {"names": ", ".join(strangers)},
            "driver_not_member",
        )


@transaction.atomic
def vehicle_create(*, by, data: VehicleData) -> Vehicle:
    return _vehicle_save(Vehicle(), by=by, data=data, creating=True)


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, by, data: VehicleData) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    permissions.require_edit_organization(by, vehicle.organization)
    return _vehicle_save(vehicle, by=by, data=data, creating=False)


def _vehicle_save(vehicle: Vehicle, *, by, data: VehicleData, creating: bool) -> Vehicle:
    errors = data.errors.copy()
    organization = data.organization if "organization" in data.given and data.organization else None
    if creating:
        _owner(by, organization, errors)
        vehicle.organization = organization
    elif organization is not None and organization.pk != vehicle.organization_id:
        errors.add("organization", _("Un véhicule ne change pas d'organisation."), "immutable")
    _set(vehicle, data, ("name", "kind", "capacity_kg", "is_refrigerated", "available_from", "available_until"))
    if "days_available" in data.given and not errors.has("days_available"):
        vehicle.days_available = data.days_available or []
    if data.max_duration_min is not None:
        if data.max_duration_min <= 0:
            errors.add("max_duration_min", _("La durée maximale doit être strictement positive."), "not_positive")
        vehicle.max_duration_min = data.max_duration_min
    vehicle.available_from = vehicle.available_from or DEFAULT_FROM
    vehicle.available_until = vehicle.available_until or DEFAULT_UNTIL
    if not errors.has("available_from") and not errors.has("available_until"):
        hours_in_order(
            errors, _time(vehicle.available_from), _time(vehicle.available_until), field_name="available_until"
        )
    if "drivers" in data.given and not errors.has("drivers"):
        _check_drivers(errors, vehicle.organization if not creating else organization, data.drivers)
    errors.raise_if_any()
    vehicle.save()
    if "drivers" in data.given:
        vehicle.drivers.set(data.drivers)
    # The territory's rounds are matching's partner mode: its proposals are computed again.
    runs.matching_listing_changed(organization_id=vehicle.organization_id)
    if vehicle.hub_id:
        runs.matching_listing_changed(organization_id=vehicle.hub.organization_id)
    return vehicle


def _time(value) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


@transaction.atomic
def hub_create(*, by, data: HubData) -> Hub:
    return _hub_save(Hub(), by=by, data=data, creating=True)


@transaction.atomic
def hub_update(*, hub: Hub, by, data: HubData) -> Hub:
    hub = Hub.objects.select_for_update().get(pk=hub.pk)
    permissions.require_edit_organization(by, hub.organization)
    return _hub_save(hub, by=by, data=data, creating=False)


def _hub_save(hub: Hub, *, by, data: HubData, creating: bool) -> Hub:
    errors = data.errors.copy()
    organization = data.organization if "organization" in data.given and data.organization else None
    if creating:
        _owner(by, organization, errors)
        hub.organization = organization
    elif organization is not None and organization.pk != hub.organization_id:
        errors.add("organization", _("Un hub ne change pas d'organisation."), "immutable")
    _set(hub, data, ("name", "chilled_capacity_kg", "frozen_capacity_kg", "dry_capacity_kg", "opens_at", "closes_at"))
    if "opening_days" in data.given and not errors.has("opening_days"):
        hub.opening_days = data.opening_days or []
    if data.commune is not None:
        # A hub is a public place: it sits at its commune unless the organization is in it.
        hub.commune = data.commune
        org = hub.organization if hub.organization_id else None
        if org is not None and org.commune_id == data.commune.pk:
            hub.latitude, hub.longitude = org.latitude, org.longitude
        else:
            hub.latitude, hub.longitude = data.commune.latitude, data.commune.longitude
    hub.opens_at = hub.opens_at or DEFAULT_FROM
    hub.closes_at = hub.closes_at or DEFAULT_UNTIL
    if not errors.has("opens_at") and not errors.has("closes_at"):
        hours_in_order(errors, _time(hub.opens_at), _time(hub.closes_at), field_name="closes_at")
    if creating and not hub.commune_id and not errors.has("commune"):
        errors.add("commune", _("Ce champ est obligatoire."), "required")
    errors.raise_if_any()
    hub.save()
    return hub


@transaction.atomic
def opening_hours_add(*, by, data: OpeningHoursData) -> OpeningHours:
    """A farm's pick-up hours or a structure's reception hours, on one weekday."""
    errors = data.errors.copy()
    _owner(by, data.organization, errors)
    if data.weekday is not None and data.weekday > 6:
        errors.add("weekday", _("Jour inconnu (0 = lundi … 6 = dimanche)."), "invalid")
    hours_in_order(errors, data.opens_at, data.closes_at, field_name="closes_at")
    errors.raise_if_any()
    return OpeningHours.objects.create(
        organization=data.organization, weekday=data.weekday, opens_at=data.opens_at, closes_at=data.closes_at
    )


@transaction.atomic
def opening_hours_set(*, by, organization, data: WeekHoursData) -> list[OpeningHours]:
    """Replace an organization's week of opening hours (a farm's pick-up hours, a structure's
    reception hours) with ``data``: all of it or, on any error, nothing. An empty week means
    « no hours entered »: the rounds then follow the structure's distribution hours, else the
    working day (``rounds.windows_for``)."""
    permissions.require_edit_organization(by, organization)
    data.errors.raise_if_any()
    OpeningHours.objects.filter(organization=organization).delete()
    return OpeningHours.objects.bulk_create(
        OpeningHours(organization=organization, weekday=row.weekday, opens_at=row.opens_at, closes_at=row.closes_at)
        for row in data.hours
    )


@transaction.atomic
def opening_hours_delete(*, by, hours: OpeningHours) -> None:
    permissions.require_edit_organization(by, hours.organization)
    hours.delete()


def require_vehicle_owner(by, vehicle: Vehicle) -> None:
    if not permissions.can_edit_organization(by, vehicle.organization):
        raise NotAllowed()
