"""Gleaning days: organised on a farm's gleaning offer, posted to every structure in reach
that has volunteers (a job, within a minute), moved with the weather (everyone signed up is
told), confirmed only with the gleaning agreement and the insurance, and the kilograms each
structure took home recorded afterwards."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Organization, User
from actors.services import notify
from logistics import harvests
from logistics.distances import CrowFlightRoads
from logistics.inputs import GleaningData, SignupData
from logistics.models import GleaningDay, GleaningHarvest, GleaningSignup, GleaningSlot
from miam import mail
from miam.dispatch import dispatch
from miam.errors import DomainError, refused
from miam.formatting import long_date
from miam.inputs import FieldErrors
from offers import quantities
from offers.models import Logistics, Offer
from offers.services import listings
from offers.services import matches as match_services
from offers.services.notices import members_by_organization

logger = logging.getLogger(__name__)

GS = GleaningDay.GleaningStatus
ALERT_TASK = "logistics.tasks.gleaning_alert"


def gleaning_url(day: GleaningDay) -> str:
    return reverse("logistics:gleaning_detail", args=[day.pk])


def _require_organiser(by, day_or_offer) -> None:
    offer = getattr(day_or_offer, "offer", day_or_offer)
    permissions.require_edit_organization(by, offer.organization)


@transaction.atomic
def gleaning_create(*, by, data: GleaningData) -> GleaningDay:
    """A gleaning day on a gleaning offer, with its slots; a draft until it is posted."""
    errors = data.errors.copy()
    offer = data.offer
    if offer is not None:
        _require_organiser(by, offer)
        if Logistics.GLEANING not in (offer.logistics or []):
            errors.add("offer", _("Cette offre n'est pas proposée au glanage."), "not_gleaning")
    if data.commune is not None and offer is not None:
        territory_ids = set(offer.organization.commune.territories.values_list("pk", flat=True))
        if territory_ids and not data.commune.territories.filter(pk__in=territory_ids).exists():
            errors.add("commune", _("Le lieu de glanage doit être sur le territoire de la ferme."), "outside_territory")
    if not data.slots and not errors.has("slots"):
        errors.add("slots", _("Ajoutez au moins un créneau."), "required")
    for index, slot in enumerate(data.slots):
        known = slot.starts_at and data.starts_at and slot.ends_at and data.ends_at
        if known and (slot.starts_at < data.starts_at or slot.ends_at > data.ends_at):
            errors.add(f"slots.{index}.starts_at", _("Le créneau doit tenir dans la journée."), "slot_outside_day")
    errors.raise_if_any()
    day = GleaningDay.objects.create(
        offer=offer,
        place=data.place,
        commune=data.commune,
        latitude=data.commune.latitude,
        longitude=data.commune.longitude,
        date=data.date,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        agreement_reference=data.agreement_reference,
        insurance_reference=data.insurance_reference,
        created_by=permissions.as_user(by),
    )
    GleaningSlot.objects.bulk_create(
        GleaningSlot(day=day, starts_at=s.starts_at, ends_at=s.ends_at, volunteer_capacity=s.volunteer_capacity)
        for s in data.slots
    )
    return day


def _lock(day: GleaningDay) -> GleaningDay:
    return GleaningDay.objects.select_for_update(of=("self",)).select_related("offer__organization").get(pk=day.pk)


@transaction.atomic
def gleaning_post(*, by, day: GleaningDay) -> GleaningDay:
    """Announce the day: every structure in reach with volunteers is alerted by a job."""
    day = _lock(day)
    _require_organiser(by, day)
    if day.status != GS.DRAFT:
        raise DomainError("already_posted", _("Cette journée est déjà annoncée."))
    day.status, day.posted_at = GS.POSTED, timezone.now()
    day.save(update_fields=["status", "posted_at", "updated_at"])
    dispatch(ALERT_TASK, kwargs={"day_id": day.pk}, countdown=0)
    return day


def structures_in_reach(day: GleaningDay) -> list[Organization]:
    """Active food-aid structures with gleaning volunteers within ``GLEANING_REACH_KM`` (road
    estimate) of the place, whether or not an allocation would pick them."""
    candidates = list(
        Organization.objects.filter(
            kind=Organization.Kind.FOOD_AID, is_active=True, structure_profile__gleaning_volunteers__gt=0
        ).only("pk", "name", "latitude", "longitude")
    )
    if not candidates:
        return []
    roads = CrowFlightRoads(detour_factor=float(settings.ROAD_DETOUR_FACTOR))
    km, _seconds = roads.matrices([(day.latitude, day.longitude)] + [(o.latitude, o.longitude) for o in candidates])
    reach = float(settings.GLEANING_REACH_KM)
    return [org for index, org in enumerate(candidates, start=1) if km[0, index] <= reach]


def gleaning_alert(*, day_id: int) -> int:
    """Tell the structures in reach (once: a redelivered job sends nothing more)."""
    with transaction.atomic():
        day = GleaningDay.objects.select_for_update(of=("self",)).select_related("offer__organization").get(pk=day_id)
        if day.alerted_at or day.status not in (GS.POSTED, GS.CONFIRMED):
            return 0
        structures = structures_in_reach(day)
        members = members_by_organization([s.pk for s in structures])
        users = [u for s in structures for u in members.get(s.pk, [])]

        def title():  # in each recipient's language
            return _("Journée de glanage le %(date)s à %(commune)s") % {
                "date": long_date(day.date),
                "commune": day.commune.name,
            }

        def body():
            return _(
                "%(farm)s organise une journée de glanage (%(product)s), %(start)s–%(end)s. Inscrivez vos bénévoles."
            ) % {
                "farm": day.offer.organization.name,
                "product": day.offer.product_name,
                "start": day.starts_at.strftime("%H:%M"),
                "end": day.ends_at.strftime("%H:%M"),
            }

        notify(users=users, kind="gleaning_posted", title=title, body=body, url=gleaning_url(day))
        day.alerted_at = timezone.now()
        day.save(update_fields=["alerted_at"])
    return len(structures)


@transaction.atomic
def gleaning_move(*, by, day: GleaningDay, date: dt.date, starts_at: dt.time, ends_at: dt.time) -> GleaningDay:
    """The weather moves the day: its slots shift by as much, and everyone signed up is told."""
    day = _lock(day)
    _require_organiser(by, day)
    if day.status in (GS.DONE, GS.CANCELLED):
        raise DomainError("gleaning_closed", _("Cette journée est close."))
    if ends_at <= starts_at:
        raise refused("ends_at", _("L'heure de fin doit être après l'heure de début."), "window_reversed")
    before = dt.datetime.combine(day.date, day.starts_at)
    shift = dt.datetime.combine(date, starts_at) - before
    for slot in day.slots.all():
        slot.starts_at = (dt.datetime.combine(day.date, slot.starts_at) + shift).time()
        slot.ends_at = (dt.datetime.combine(day.date, slot.ends_at) + shift).time()
        if slot.ends_at <= slot.starts_at or slot.ends_at > ends_at:
            slot.ends_at = ends_at
        slot.save(update_fields=["starts_at", "ends_at"])
    old = (day.date, day.starts_at)
    day.date, day.starts_at, day.ends_at = date, starts_at, ends_at
    day.save(update_fields=["date", "starts_at", "ends_at", "updated_at"])
    if old != (date, starts_at):
        _tell_signed_up(day)
    return day


def _tell_signed_up(day: GleaningDay) -> None:
    def title():  # in each recipient's language (the current one for residents without an account)
        return _("La journée de glanage de %(place)s change : %(date)s, %(start)s–%(end)s") % {
            "place": day.place,
            "date": long_date(day.date),
            "start": day.starts_at.strftime("%H:%M"),
            "end": day.ends_at.strftime("%H:%M"),
        }

    signups = list(GleaningSignup.objects.filter(slot__day=day).select_related("user"))
    users = [s.user for s in signups if s.user_id]
    structure_members = members_by_organization({s.structure_id for s in signups if s.structure_id})
    users += [u for members in structure_members.values() for u in members]
    notify(users=users, kind="gleaning_moved", title=title, url=gleaning_url(day))
    # Residents without an account: by e-mail, once the change is committed.
    emails = sorted({s.email for s in signups if not s.user_id and s.email and s.consent})
    subject = title()
    for email in emails:  # after the commit, retried while SMTP refuses (miam.mail)
        mail.email_queue(to=email, subject=subject, body=subject)


@transaction.atomic
def gleaning_confirm(*, by, day: GleaningDay) -> GleaningDay:
    """Confirmed only with the gleaning agreement and the civil-liability insurance recorded."""
    day = _lock(day)
    _require_organiser(by, day)
    errors = FieldErrors()
    if not day.has_agreement:
        errors.add("agreement_reference", _("La convention de glanage est obligatoire pour confirmer."), "no_agreement")
    if not day.has_insurance:
        errors.add(
            "insurance_reference",
            _("L'assurance responsabilité civile est obligatoire pour confirmer."),
            "no_insurance",
        )
    if errors:
        raise DomainError(errors.codes[0], _("Impossible de confirmer cette journée."), fields=errors.fields)
    if day.status not in (GS.DRAFT, GS.POSTED):
        raise DomainError("gleaning_closed", _("Cette journée ne peut plus être confirmée."))
    was_draft = day.status == GS.DRAFT
    day.status = GS.CONFIRMED
    day.posted_at = day.posted_at or timezone.now()
    day.save(update_fields=["status", "posted_at", "updated_at"])
    if was_draft:
        dispatch(ALERT_TASK, kwargs={"day_id": day.pk}, countdown=0)
    return day


@transaction.atomic
def gleaning_record_papers(
    *,
    by,
    day: GleaningDay,
    agreement_reference=None,
    insurance_reference=None,
    agreement_document=None,
    insurance_document=None,
):
    """The agreement and the insurance: a reference, a PDF (checked by ``inputs.PdfField``), or both."""
    day = _lock(day)
    _require_organiser(by, day)
    if agreement_reference is not None:
        day.agreement_reference = agreement_reference
    if insurance_reference is not None:
        day.insurance_reference = insurance_reference
    if agreement_document is not None:
        day.agreement_document = agreement_document
    if insurance_document is not None:
        day.insurance_document = insurance_document
    day.save(
        update_fields=[
            "agreement_reference",
            "insurance_reference",
            "agreement_document",
            "insurance_document",
            "updated_at",
        ]
    )
    return day


@transaction.atomic
def gleaning_signup(*, slot: GleaningSlot, by, data: SignupData) -> GleaningSignup:
    """Sign up to a slot: for a structure (its volunteers) or as a resident (name and consent).
    A slot never takes more volunteers than it expects."""
    errors = data.errors.copy()
    slot = GleaningSlot.objects.select_for_update().select_related("day").get(pk=slot.pk)
    user = permissions.as_user(by)
    if slot.day.status not in (GS.POSTED, GS.CONFIRMED):
        raise DomainError("gleaning_not_open", _("Les inscriptions à cette journée ne sont pas ouvertes."))
    if data.structure is not None:
        if data.structure.kind != Organization.Kind.FOOD_AID:
            errors.add("structure", _("Seule une structure d'aide alimentaire inscrit des bénévoles."), "wrong_kind")
        elif not permissions.can_edit_organization(by, data.structure):
            errors.add("structure", _("Vous ne pouvez inscrire que les bénévoles de vos structures."), "not_member")
    if user is None and not data.consent and not errors.has("consent"):
        errors.add(
            "consent", _("Votre accord est nécessaire pour que l'organisateur vous contacte."), "consent_required"
        )
    volunteers = data.volunteers or 1
    taken = slot.signups.aggregate(n=Sum("volunteers"))["n"] or 0
    if not errors and taken + volunteers > slot.volunteer_capacity:
        left = max(0, slot.volunteer_capacity - taken)
        errors.add(
            "volunteers",
            _("Ce créneau est complet : il reste %(left)s place(s) sur %(capacity)s.")
            % {"left": left, "capacity": slot.volunteer_capacity},
            "slot_full",
        )
    errors.raise_if_any()
    return GleaningSignup.objects.create(
        slot=slot,
        structure=data.structure,
        user=user,
        name=data.name,
        email=data.email or (user.email if user else ""),
        volunteers=volunteers,
        consent=bool(data.consent) or user is not None,
    )


@transaction.atomic
def gleaning_record_harvest(*, by, day: GleaningDay, structure: Organization, quantity_kg: Decimal):
    """The kilograms a structure took home (once per structure; recording again corrects it)."""
    day = _lock(day)
    _require_organiser(by, day)
    if day.status not in (GS.CONFIRMED, GS.DONE):
        raise DomainError("gleaning_not_confirmed", _("Seule une journée confirmée a une récolte."))
    if timezone.localdate() < day.date:
        raise refused("quantity_kg", _("La récolte se saisit après la journée."), "too_early")
    if structure.kind != Organization.Kind.FOOD_AID:
        raise refused("structure", _("La récolte revient à une structure d'aide alimentaire."), "wrong_kind")
    offer = Offer.objects.select_for_update().select_related("category").get(pk=day.offer_id)
    previous = GleaningHarvest.objects.select_for_update().filter(day=day, structure=structure).first()
    if previous is None:
        already = match_services.gleaning_pair_reserved(offer=offer, structure=structure)
        held_before = Decimal(0)
    else:
        already = previous.offer_quantity - previous.offer_quantity_held
        held_before = previous.offer_quantity_held
    # What is left of the offer drops by what was carried away, as for a delivery: the part its
    # confirmed match did not already reserve is held now (a correction gives back or takes
    # more). A field that gave more than the offer said empties it, never below nothing.
    # The arithmetic is ``logistics.harvests``, which the back-fill of older harvests shares.
    take = harvests.harvest_take(
        quantity_kg=quantity_kg,
        kg_per_unit=quantities.offer_kg_per_unit(offer.category, offer.unit, offer.crate_kg),
        already=already,
        available=offer.quantity_available,
        reserved=offer.quantity_reserved,
        held_before=held_before,
    )
    held = held_before + listings.offer_quantity_hold(offer_id=offer.pk, change=take.change, partial=True)
    harvest, _created = GleaningHarvest.objects.update_or_create(
        day=day,
        structure=structure,
        defaults={
            "quantity_kg": quantity_kg,
            "recorded_by": permissions.as_user(by),
            "offer_quantity": already + held,
            "offer_quantity_held": held,
        },
    )
    # It feeds the deliveries: the structure's need that accepts the product counts it.
    delivery = match_services.delivery_record_gleaned(
        offer=day.offer, structure=structure, quantity_kg=quantity_kg, delivered_on=day.date, by=by
    )
    if harvest.delivery_id != (delivery.pk if delivery else None):
        harvest.delivery = delivery
        harvest.save(update_fields=["delivery"])
    if day.status != GS.DONE:
        day.status = GS.DONE
        day.save(update_fields=["status", "updated_at"])
    return harvest


def gleaned_kg_by_structure(*, territory=None, since: dt.date | None = None, until: dt.date | None = None) -> dict:
    """Kilograms gleaned per structure (what indicators add to deliveries)."""
    qs = GleaningHarvest.objects.all()
    if territory is not None:
        qs = qs.filter(structure__commune__territories=territory)
    if since:
        qs = qs.filter(day__date__gte=since)
    if until:
        qs = qs.filter(day__date__lte=until)
    return {row["structure"]: row["kg"] for row in qs.values("structure").annotate(kg=Sum("quantity_kg"))}


def personal_data(user: User) -> list[dict]:
    """A person's gleaning sign-ups, for their account export."""
    return [
        {"day": str(s.slot.day), "name": s.name, "email": s.email, "volunteers": s.volunteers}
        for s in GleaningSignup.objects.filter(user=user).select_related("slot__day")
    ]
