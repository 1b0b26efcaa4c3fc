"""Funders and funding lines: who pays the gap between the fair price and the price paid.

A line pays ``share_per_kg_eur`` per kilogram delivered, never more than the gap, within its
period, categories and structures. It is consumed when a delivery of an agreement it funds is
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
from agreements.inputs import FundingLineData
from agreements.models import Funder, FundingLine, FundingUse, Occurrence
from miam.errors import DomainError, NotAllowed
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
    if line.amount_eur is not None and line.consumed_eur and line.amount_eur < line.consumed_eur:
        errors.add(
            "amount_eur",
            _("Le montant ne peut être inférieur à ce qui est déjà consommé (%(consumed)s €).")
            % {"consumed": _euros(line.consumed_eur)},
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


def funding_share(*, line: FundingLine, agreement, delivery: Delivery, category, structure_id: int) -> Decimal:
    """What the line pays for this delivery: its share per kg, at most the gap, 0 when not eligible."""
    if not (line.period_start <= delivery.delivered_on <= line.period_end):
        return Decimal(0)
    eligible_categories = set(line.categories.values_list("pk", flat=True))
    if eligible_categories and not ({category.pk, category.parent_id} & eligible_categories):
        return Decimal(0)
    eligible_structures = set(line.structures.values_list("pk", flat=True))
    if eligible_structures and structure_id not in eligible_structures:
        return Decimal(0)
    kg = delivery.quantity_kg if delivery.quantity_kg is not None else Decimal(0)
    share = line.share_per_kg_eur * kg
    gap = agreement.gap_per_unit * delivery.quantity_received
    return max(Decimal(0), min(share, gap)).quantize(CENT)


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
    line = FundingLine.objects.select_for_update().select_related("funder__territory").get(pk=agreement.funding_line_id)
    amount = funding_share(
        line=line,
        agreement=agreement,
        delivery=delivery,
        category=agreement.category,
        structure_id=occurrence.structure_id,
    )
    if amount <= 0:
        return None
    left = line.amount_eur - line.consumed_eur
    if amount > left:
        raise DomainError(
            "funding_exhausted",
            _(
                "La ligne de financement « %(line)s » ne peut plus payer cette livraison : il reste %(left)s € pour "
                "%(amount)s €. Rien n'a été enregistré ; voyez avec le chargé de mission du territoire."
            )
            % {"line": line, "left": _euros(left), "amount": _euros(amount)},
        )
    FundingLine.objects.filter(pk=line.pk).update(consumed_eur=F("consumed_eur") + amount, updated_at=timezone.now())
    use = FundingUse.objects.create(
        line=line, delivery=delivery, quantity_kg=delivery.quantity_kg or 0, amount_eur=amount
    )
    remaining = left - amount
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
