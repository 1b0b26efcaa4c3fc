"""Funders and funding lines: who pays the gap between the fair price and the price paid.

A line pays ``share_per_kg_eur`` per kilogram delivered, never more than the gap, within its
period, categories and structures. When the last party signs an agreement, the planned gap of
all its deliveries is reserved on the line (``funding_reserve``, under the line's row lock): a
line is never promised twice, and a signature it cannot cover is refused. The reservation moves
to each occurrence when the agreement starts, goes back to the line when an occurrence is
skipped, made smaller or removed (``funding_release``), and turns into consumption when the
delivery is recorded. It is consumed when a delivery of an agreement it funds is
recorded (``offers.signals.delivery_recorded``), under the line's row lock: a delivery that the
line can no longer pay is refused, and nothing is written, even when two are recorded at once.
When what is left falls below the line's alert threshold, the territory's officers are told,
once. Lines are managed by the territory's officers.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from actors import permissions
from actors.models import Territory, TerritoryRole
from actors.services import notify
from agreements import reservation
from agreements.inputs import FundingLineData
from agreements.models import Funder, FundingLine, FundingUse, Occurrence
from miam.errors import DomainError, NotAllowed
from offers import quantities
from offers.models import Delivery, Match

CENT = Decimal("0.01")


def _euros(value: Decimal) -> str:
    return number_format(value.quantize(CENT), decimal_pos=2, use_l10n=True)


@transaction.atomic
def funder_create(*, by, territory: Territory, name: str, kind: str = Funder.Kind.OTHER, siret: str = "") -> Funder:
    permissions.require_manage_territory(by, territory)
    if not (name or "").strip():
        raise DomainError(
            "invalid", _("Certaines données sont invalides."), fields={"name": [_("Ce champ est obligatoire.")]}
        )
    return Funder.objects.create(territory=territory, name=name.strip(), kind=kind or Funder.Kind.OTHER, siret=siret)


def _apply(line: FundingLine, data: FundingLineData) -> None:
    errors = data.errors.copy()
    for name in ("name", "amount_eur", "period_start", "period_end", "share_per_kg_eur", "alert_percent"):
        if name in data.given and getattr(data, name) is not None:
            setattr(line, name, getattr(data, name))
    if line.period_start and line.period_end and line.period_end < line.period_start:
        errors.add("period_end", _("La période se termine avant de commencer."), "period_reversed")
    if line.alert_percent is not None and line.alert_percent > 100:
        errors.add("alert_percent", _("Un pourcentage de 0 à 100."), "invalid")
    held = (line.consumed_eur or 0) + (line.reserved_eur or 0)
    if line.amount_eur is not None and held and line.amount_eur < held:
        errors.add(
            "amount_eur",
            _(
                "Le montant ne peut être inférieur à ce qui est déjà consommé ou réservé par des conventions "
                "signées (%(held)s €)."
            )
            % {"held": _euros(held)},
            "below_consumed",
        )
    errors.raise_if_any()


@transaction.atomic
def funding_line_create(*, by, data: FundingLineData) -> FundingLine:
    """A new line of a funder; only an officer of the funder's territory."""
    permissions.require_write(by)
    if data.funder is None:
        data.errors.raise_if_any()
    permissions.require_manage_territory(by, data.funder.territory)
    line = FundingLine(funder=data.funder)
    _apply(line, data)
    line.save()
    line.categories.set(data.categories)
    line.structures.set(data.structures)
    return line


@transaction.atomic
def funding_line_update(*, by, line: FundingLine, data: FundingLineData) -> FundingLine:
    line = FundingLine.objects.select_for_update(of=("self",)).select_related("funder__territory").get(pk=line.pk)
    permissions.require_manage_territory(by, line.funder.territory)
    if "funder" in data.given and data.funder is not None and data.funder.pk != line.funder_id:
        raise DomainError(
            "invalid", _("Une ligne ne change pas de financeur."), fields={"funder": [_("Non modifiable.")]}
        )
    _apply(line, data)
    line.save()
    if "categories" in data.given:
        line.categories.set(data.categories)
    if "structures" in data.given:
        line.structures.set(data.structures)
    return line


def can_manage(principal, line: FundingLine) -> bool:
    return permissions.can_manage_territory(principal, line.funder.territory)


def visible_lines(principal):
    """Officers and viewers see their territories' lines; a structure or farm, the lines that
    fund its agreements."""
    lines = FundingLine.objects.select_related("funder__territory").order_by("-period_start", "id")
    if permissions.is_staff(principal):
        return lines
    territories = permissions.viewer_territory_ids(principal)
    orgs = permissions.member_organization_ids(principal)
    from django.db.models import Q

    return lines.filter(
        Q(funder__territory_id__in=territories)
        | Q(agreements__farm_id__in=orgs)
        | Q(agreements__parties__structure_id__in=orgs)
    ).distinct()


def require_see(principal, line: FundingLine) -> None:
    if not visible_lines(principal).filter(pk=line.pk).exists():
        raise NotAllowed(_("Vous ne pouvez pas voir cette ligne de financement."))


# --- Consumption ----------------------------------------------------------------------------


def _rules(line: FundingLine) -> reservation.LineRules:
    # Read once per line object: a season's occurrences ask the same line many times.
    if not hasattr(line, "_rules"):
        line._rules = reservation.LineRules.of(line)
    return line._rules


def _eligible(line: FundingLine, *, day, category, structure_id: int) -> bool:
    return reservation.eligible(
        _rules(line), day=day, category_id=category.pk, parent_id=category.parent_id, structure_id=structure_id
    )


def funding_share(*, line: FundingLine, agreement, delivery: Delivery, category, structure_id: int) -> Decimal:
    """What the line pays for this delivery: its share per kg, at most the gap, 0 when not eligible."""
    if not _eligible(line, day=delivery.delivered_on, category=category, structure_id=structure_id):
        return Decimal(0)
    return reservation.share(
        share_per_kg_eur=line.share_per_kg_eur,
        gap_per_unit=agreement.gap_per_unit,
        kg=delivery.quantity_kg,
        quantity=delivery.quantity_received,
    )


def _terms(agreement) -> dict:
    category = agreement.category
    return {
        "category_id": category.pk,
        "parent_id": category.parent_id,
        "gap_per_unit": agreement.gap_per_unit,
        "kg_per_unit": quantities.offer_kg_per_unit(category, agreement.unit),
    }


def planned_share(*, line: FundingLine, agreement, day, quantity: Decimal, structure_id: int) -> Decimal:
    """What the line will pay for a planned delivery of ``quantity`` on ``day`` (its reservation)."""
    return reservation.planned_share(
        _rules(line), day=day, quantity=quantity, structure_id=structure_id, **_terms(agreement)
    )


def planned_gap(*, line: FundingLine, agreement, days, structure_ids) -> Decimal:
    """What the line will pay for these deliveries of the agreement's quantity, all structures:
    what the agreement reserves when its last party signs (``agreements.reservation``, which the
    back-fill migration uses too)."""
    return reservation.planned_gap(
        _rules(line),
        days=list(days),
        structure_ids=list(structure_ids),
        quantity=agreement.quantity_per_delivery,
        **_terms(agreement),
    )


# --- Reservation ----------------------------------------------------------------------------


def _locked_line(line_id: int) -> FundingLine:
    return FundingLine.objects.select_for_update(of=("self",)).select_related("funder").get(pk=line_id)


def funding_reserve(*, agreement, amount: Decimal) -> Decimal:
    """Promise ``amount`` of the agreement's line, under the line's row lock, or refuse
    (``funding_exhausted``): a line is never promised twice. The caller writes who holds it."""
    if agreement.funding_line_id is None or amount <= 0:
        return Decimal(0)
    line = _locked_line(agreement.funding_line_id)
    left = line.available_eur
    if amount > left:
        raise DomainError(
            "funding_exhausted",
            _(
                "La ligne de financement « %(line)s » ne peut plus financer cet écart : il reste %(left)s € "
                "disponibles pour %(amount)s € prévus. Rien n'a été enregistré ; voyez avec le chargé de mission "
                "du territoire."
            )
            % {"line": line, "left": _euros(max(left, Decimal(0))), "amount": _euros(amount)},
            fields={"funding_line": _("Ligne de financement insuffisante.")},
        )
    FundingLine.objects.filter(pk=line.pk).update(reserved_eur=F("reserved_eur") + amount, updated_at=timezone.now())
    return amount


def funding_release(*, line_id: int | None, amount: Decimal) -> Decimal:
    """Give back a reservation that will not be delivered (a skipped, removed or smaller delivery)."""
    if line_id is None or amount <= 0:
        return Decimal(0)
    line = _locked_line(line_id)
    amount = min(amount, line.reserved_eur)
    if amount > 0:
        FundingLine.objects.filter(pk=line.pk).update(
            reserved_eur=F("reserved_eur") - amount, updated_at=timezone.now()
        )
    return amount


def funding_consume(*, match: Match, delivery: Delivery) -> FundingUse | None:
    """A delivery of a funded agreement was recorded: its line pays its share, or the delivery
    is refused (``funding_exhausted``). Runs inside the recording transaction."""
    occurrence = (
        Occurrence.objects.filter(match_id=match.pk)
        .select_related("agreement__funding_line", "agreement__category")
        .first()
    )
    if occurrence is None or occurrence.agreement.funding_line_id is None:
        return None
    agreement = occurrence.agreement
    line = _locked_line(agreement.funding_line_id)
    amount = funding_share(
        line=line,
        agreement=agreement,
        delivery=delivery,
        category=agreement.category,
        structure_id=occurrence.structure_id,
    )
    # What was reserved for this delivery when it was planned is now consumed or given back.
    released = min(occurrence.funding_reserved_eur, line.reserved_eur)
    if amount <= 0:
        if released > 0:
            FundingLine.objects.filter(pk=line.pk).update(reserved_eur=F("reserved_eur") - released)
        return None
    left = line.amount_eur - line.consumed_eur - (line.reserved_eur - released)
    if amount > left:
        raise DomainError(
            "funding_exhausted",
            _(
                "La ligne de financement « %(line)s » ne peut plus payer cette livraison : il reste %(left)s € pour "
                "%(amount)s €. Rien n'a été enregistré ; voyez avec le chargé de mission du territoire."
            )
            % {"line": line, "left": _euros(max(left, Decimal(0))), "amount": _euros(amount)},
        )
    FundingLine.objects.filter(pk=line.pk).update(reserved_eur=F("reserved_eur") - released)
    FundingLine.objects.filter(pk=line.pk).update(consumed_eur=F("consumed_eur") + amount, updated_at=timezone.now())
    use = FundingUse.objects.create(
        line=line, delivery=delivery, quantity_kg=delivery.quantity_kg or 0, amount_eur=amount
    )
    remaining = line.amount_eur - line.consumed_eur - amount
    if line.alerted_at is None and remaining * 100 < line.amount_eur * line.alert_percent:
        FundingLine.objects.filter(pk=line.pk).update(alerted_at=timezone.now())
        officers = [
            r.user
            for r in TerritoryRole.objects.filter(
                territory_id=line.funder.territory_id, role=TerritoryRole.Role.OFFICER, user__is_active=True
            ).select_related("user")
        ]
        if officers:
            notify(
                users=officers,
                kind="funding_low",
                title=lambda line=line: _("Ligne de financement bientôt épuisée : %(line)s") % {"line": line},
                body=lambda line=line, remaining=remaining: (
                    _("Il reste %(left)s € sur %(amount)s €.")
                    % {"left": _euros(remaining), "amount": _euros(line.amount_eur)}
                ),
                url=reverse("agreements:funding_lines"),
            )
    return use


def on_delivery_recorded(sender, *, match: Match, delivery: Delivery, **kwargs) -> None:
    """``offers.signals.delivery_recorded``: consume the agreement's funding line."""
    funding_consume(match=match, delivery=delivery)
