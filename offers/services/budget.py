"""A food-aid structure's purchase budget: what it may still spend this month, and the
check that a confirmed purchase never overspends it.

A purchase counts in the month it is confirmed (both sides agreed), for what it costs: the
amount paid once delivered, the agreed quantity at the agreed price before. The monthly
budget is the structure's profile (``StructureProfile.monthly_budget_eur``; 0 means donations
only); a need may also carry its own budget (``Need.budget_eur``), over all its purchases.
``budget_reserve`` runs when a purchase is confirmed, under a row lock on the structure's
profile, so that two confirmations at once cannot both spend the last euros; the matching
feed reads ``budget_remaining_many`` so that the engine never proposes what the budget
left cannot pay.

A season agreement's occurrence (``Match.Origin.AGREEMENT``) is confirmed when the agreement
starts, for every date of its period: it counts in the month of its date, not of its
confirmation (``_in_month``), and signing or starting an agreement checks each month it
touches at once (``budget_check_series``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from actors.models import StructureProfile
from miam.errors import DomainError
from offers.models import Match, Pricing

MS = Match.MatchStatus
#: A purchase is committed once both sides agreed, until it is cancelled or expires.
COMMITTED_STATUSES = (MS.CONFIRMED, MS.SCHEDULED, MS.DELIVERED, MS.CLOSED)
ZERO = Decimal(0)
CENT = Decimal("0.01")


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """(first day of its month, first day of the next)."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


def match_cost(match: Match) -> Decimal:
    """What confirming this match commits: nothing for a donation."""
    if match.offer.pricing == Pricing.DONATION or not match.price_per_unit:
        return ZERO
    return (match.quantity * match.price_per_unit).quantize(CENT)


def _purchases():
    amount = ExpressionWrapper(
        Coalesce(F("delivery__amount_paid_eur"), F("quantity") * F("price_per_unit")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    return (
        Match.objects.filter(status__in=COMMITTED_STATUSES, price_per_unit__isnull=False)
        .exclude(offer__pricing=Pricing.DONATION)
        .annotate(amount=amount)
    )


def _in_month(first: dt.date, following: dt.date) -> Q:
    """The purchases of a month: by confirmation, or by date for an agreement's occurrence."""
    agreement = Q(origin=Match.Origin.AGREEMENT)
    return (~agreement & Q(confirmed_at__date__gte=first, confirmed_at__date__lt=following)) | (
        agreement & Q(scheduled_for__gte=first, scheduled_for__lt=following)
    )


def budget_spent_many(*, organization_ids: Iterable[int], month: dt.date) -> dict[int, Decimal]:
    """Per structure: what its purchases confirmed in `month`'s month cost (one query)."""
    first, following = month_bounds(month)
    rows = (
        _purchases()
        .filter(_in_month(first, following), need__organization_id__in=list(organization_ids))
        .values("need__organization_id")
        .annotate(total=Sum("amount"))
        .values_list("need__organization_id", "total")
    )
    return {org: (total or ZERO) for org, total in rows}


def budget_remaining_many(*, organization_ids: Iterable[int], month: dt.date) -> dict[int, Decimal | None]:
    """Per structure: what is left of its monthly budget (never below 0); None when it has no
    profile, hence no budget known (nothing to enforce). Two queries."""
    ids = list(organization_ids)
    budgets = dict(
        StructureProfile.objects.filter(organization_id__in=ids).values_list("organization_id", "monthly_budget_eur")
    )
    spent = budget_spent_many(organization_ids=ids, month=month)
    return {org: (max(ZERO, budgets[org] - spent.get(org, ZERO)) if org in budgets else None) for org in ids}


def budget_remaining(*, structure, month: dt.date) -> Decimal | None:
    """What is left of a structure's monthly purchase budget in `month`'s month."""
    return budget_remaining_many(organization_ids=[structure.pk], month=month)[structure.pk]


def need_spent_many(*, need_ids: Iterable[int]) -> dict[int, Decimal]:
    """Per need: what its committed purchases cost, whatever the month (one query)."""
    ids = list(need_ids)
    if not ids:
        return {}
    rows = _purchases().filter(need_id__in=ids).values("need_id").annotate(total=Sum("amount"))
    return {row["need_id"]: row["total"] or ZERO for row in rows}


def budget_reserve(*, match: Match, today: dt.date) -> Decimal:
    """A purchase is being confirmed: lock the structure's budget, check that this month's
    confirmed purchases and the need's own budget still cover it; its cost, or
    ``DomainError("budget_exceeded")``. Call inside the confirming transaction."""
    cost = match_cost(match)
    if cost <= 0:
        return ZERO
    structure_id = match.need.organization_id
    if match.origin == Match.Origin.AGREEMENT and match.scheduled_for:
        today = match.scheduled_for
    profile = StructureProfile.objects.select_for_update().filter(organization_id=structure_id).first()
    if profile is not None:
        left = max(
            ZERO,
            profile.monthly_budget_eur
            - budget_spent_many(organization_ids=[structure_id], month=today).get(structure_id, ZERO),
        )
        if cost > left:
            raise DomainError(
                "budget_exceeded",
                _(
                    "Le budget d'achat du mois de la structure ne suffit pas : il reste %(left)s € pour un achat "
                    "de %(cost)s €."
                )
                % {"left": _euros(left), "cost": _euros(cost)},
            )
    if match.need.budget_eur is not None:
        left = max(ZERO, match.need.budget_eur - need_spent_many(need_ids=[match.need_id]).get(match.need_id, ZERO))
        if cost > left:
            raise DomainError(
                "budget_exceeded",
                _("Le budget de ce besoin ne suffit pas : il reste %(left)s € pour un achat de %(cost)s €.")
                % {"left": _euros(left), "cost": _euros(cost)},
            )
    return cost


def budget_check_series(*, structure_id: int, costs: dict[dt.date, Decimal], lock: bool = False) -> None:
    """A series of purchases (an agreement's occurrences, ``costs`` by first day of month) must
    fit in each month's budget beside what is already committed; else ``DomainError`` naming
    the first month that overflows. ``lock``: take the budget's row lock (starting it)."""
    profiles = StructureProfile.objects.filter(organization_id=structure_id)
    if lock:
        profiles = profiles.select_for_update()
    profile = profiles.first()
    if profile is None:
        return
    for month in sorted(costs):
        cost = costs[month]
        if cost <= 0:
            continue
        spent = budget_spent_many(organization_ids=[structure_id], month=month).get(structure_id, ZERO)
        if spent + cost > profile.monthly_budget_eur:
            from django.utils.formats import date_format

            raise DomainError(
                "budget_exceeded",
                _(
                    "Le budget d'achat mensuel de %(structure)s (%(budget)s €) ne suffit pas en %(month)s : "
                    "%(spent)s € déjà engagés et %(cost)s € pour cette convention."
                )
                % {
                    "structure": profile.organization,
                    "budget": _euros(profile.monthly_budget_eur),
                    "month": date_format(month, "F Y"),
                    "spent": _euros(spent),
                    "cost": _euros(cost),
                },
            )


def _euros(value: Decimal) -> str:
    from django.utils.formats import number_format

    return number_format(value.quantize(CENT), decimal_pos=2, use_l10n=True, force_grouping=True)
