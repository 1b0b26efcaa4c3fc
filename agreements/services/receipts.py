"""Donations, traceable: the donor statement and the receipt for gifts in kind.

A donation's lot number and use-by date travel from the offer to the delivery (copied when it is
recorded) and appear on the delivery note, the donor statement and the receipt. The receipt
(the fields of the cerfa 2041-MEC, gifts in kind of a company, article 238 bis du CGI) is issued
by the receiving structure, only when its profile says it is entitled to (with the reference of
that entitlement), for the donations of one donor over a period that are on no valid receipt
yet. It is numbered per structure and year (« 2026-0001 ») under the structure profile's row
lock, and frozen once issued: a mistake is cancelled and a new receipt issued in its place.

Valuation: each donation at the offer's usual price per unit (what the farm would have sold it
for), 0 when the farm gave none; the structure is responsible for that valuation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Organization, StructureProfile
from agreements.models import DonationReceipt, DonationReceiptItem
from agreements.selectors import donation_value, donations
from miam.errors import DomainError, NotAllowed
from miam.formatting import long_date

CENT = Decimal("0.01")


def _require_period(start: dt.date | None, end: dt.date | None) -> None:
    if start is None or end is None or end < start:
        raise DomainError(
            "period_reversed",
            _("La période se termine avant de commencer."),
            fields={"period_end": [_("La période se termine avant de commencer.")]},
        )


def _snapshot(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "siret": organization.siret,
        "address": organization.address,
        "postal_code": (organization.commune.postal_codes or "").split(",")[0].strip(),
        "commune": organization.commune.name,
    }


@transaction.atomic
def receipt_issue(
    *,
    by,
    structure: Organization,
    donor: Organization,
    period_start: dt.date,
    period_end: dt.date,
    replaces: DonationReceipt | None = None,
    today: dt.date | None = None,
) -> DonationReceipt:
    """The structure receipts a donor's gifts in kind over a period (those on no valid receipt)."""
    permissions.require_write(by)
    if structure.pk not in permissions.member_organization_ids(by):
        raise NotAllowed(_("Seule la structure qui a reçu les dons délivre leur reçu."))
    _require_period(period_start, period_end)
    profile = StructureProfile.objects.select_for_update().filter(organization=structure).first()
    if profile is None or not profile.issues_donation_receipts or not profile.donation_receipt_reference.strip():
        raise DomainError(
            "not_entitled",
            _(
                "« %(structure)s » n'est pas habilitée à délivrer des reçus fiscaux : son profil doit l'indiquer, "
                "avec la référence de son habilitation."
            )
            % {"structure": structure},
        )
    taken = DonationReceiptItem.objects.filter(cancelled=False).values("delivery_id")
    deliveries = list(
        donations(donor=donor, start=period_start, end=period_end, structure=structure).exclude(pk__in=taken)
    )
    if not deliveries:
        raise DomainError(
            "nothing_to_receipt",
            _("Aucun don de %(donor)s à %(structure)s du %(start)s au %(end)s qui ne soit déjà sur un reçu.")
            % {
                "donor": donor,
                "structure": structure,
                "start": long_date(period_start),
                "end": long_date(period_end),
            },
        )
    year = (today or timezone.localdate()).year
    last = DonationReceipt.objects.filter(structure=structure, year=year).aggregate(last=Max("sequence"))["last"] or 0
    structure_snapshot = {
        **_snapshot(structure),
        "reference": profile.donation_receipt_reference.strip(),
        "structure_type": profile.get_structure_type_display(),
    }
    items, total = [], Decimal(0)
    for delivery in deliveries:
        unit_value, value = donation_value(delivery)
        total += value
        items.append(
            DonationReceiptItem(
                delivery=delivery,
                delivered_on=delivery.delivered_on,
                product=delivery.match.offer.product_name,
                quantity=delivery.quantity_received,
                unit=delivery.unit,
                quantity_kg=delivery.quantity_kg,
                lot_number=delivery.lot_number,
                use_by=delivery.use_by,
                unit_value_eur=unit_value,
                value_eur=value,
            )
        )
    receipt = DonationReceipt.objects.create(
        structure=structure,
        donor=donor,
        year=year,
        sequence=last + 1,
        period_start=period_start,
        period_end=period_end,
        total_value_eur=total,
        structure_snapshot=structure_snapshot,
        donor_snapshot=_snapshot(donor),
        issued_by=permissions.as_user(by),
        replaces=replaces,
    )
    for item in items:
        item.receipt = receipt
    DonationReceiptItem.objects.bulk_create(items)
    return receipt


def _lock_receipt(by, receipt: DonationReceipt) -> DonationReceipt:
    permissions.require_write(by)
    receipt = DonationReceipt.objects.select_for_update().select_related("structure", "donor").get(pk=receipt.pk)
    if receipt.structure_id not in permissions.member_organization_ids(by):
        raise NotAllowed(_("Seule la structure qui a délivré ce reçu peut l'annuler."))
    if receipt.status == DonationReceipt.Status.CANCELLED:
        raise DomainError("receipt_cancelled", _("Ce reçu est déjà annulé."))
    return receipt


def _cancel(receipt: DonationReceipt, reason: str) -> None:
    reason = (reason or "").strip()[:300]
    if not reason:
        raise DomainError(
            "reason_required",
            _("Indiquez le motif de l'annulation."),
            fields={"reason": [_("Ce champ est obligatoire.")]},
        )
    DonationReceipt.objects.filter(pk=receipt.pk).update(
        status=DonationReceipt.Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason
    )
    DonationReceiptItem.objects.filter(receipt=receipt).update(cancelled=True)


@transaction.atomic
def receipt_cancel(*, by, receipt: DonationReceipt, reason: str) -> DonationReceipt:
    """A receipt issued by mistake is cancelled (it stays, marked cancelled, its number used)."""
    receipt = _lock_receipt(by, receipt)
    _cancel(receipt, reason)
    return DonationReceipt.objects.get(pk=receipt.pk)


@transaction.atomic
def receipt_reissue(*, by, receipt: DonationReceipt, reason: str, today: dt.date | None = None) -> DonationReceipt:
    """Cancel a receipt and issue its replacement (a new number) for the same donor and period."""
    receipt = _lock_receipt(by, receipt)
    _cancel(receipt, reason)
    return receipt_issue(
        by=by,
        structure=receipt.structure,
        donor=receipt.donor,
        period_start=receipt.period_start,
        period_end=receipt.period_end,
        replaces=receipt,
        today=today,
    )


def visible_receipts(principal):
    """The receipts of one's structure or farm, and of one's territories (officers, viewers)."""
    from django.db.models import Q

    rows = DonationReceipt.objects.select_related("structure", "donor").order_by("-issued_at", "-id")
    if permissions.is_staff(principal):
        return rows
    orgs = permissions.member_organization_ids(principal)
    territories = permissions.viewer_territory_ids(principal)
    return rows.filter(
        Q(structure_id__in=orgs) | Q(donor_id__in=orgs) | Q(structure__commune__territories__in=territories)
    ).distinct()
