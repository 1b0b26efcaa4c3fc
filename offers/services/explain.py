"""Why a need got no proposal: its nearest near-misses, each with the one constraint that
kept it out, as reasons to render (``offers.reasons``): « 3 offres de fruits à 31–40 km,
au-delà de votre rayon de 25 km », « 1 offre réfrigérée… vous n'avez pas de frigo ». When
offers were possible but went elsewhere, or when none of its categories is on offer, it says so.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from offers import matching_feed as feed_mod
from offers.matching import near_misses
from offers.models import Match, Need
from offers.services import runs

LIVE = (Match.MatchStatus.PROPOSED, Match.MatchStatus.ACCEPTED_FARM, Match.MatchStatus.ACCEPTED_STRUCTURE)


def need_near_misses(*, need: Need, today: date | None = None, limit: int = 5) -> dict:
    """``{"proposals": live proposals of the need, "reasons": [{"code", "params"}, …]}``;
    reasons are given whether or not it has proposals (pages show them when it has none)."""
    today = today or timezone.localdate()
    proposals = Match.objects.filter(need=need, status__in=LIVE).count()
    territory = runs.territory_for_organization(need.organization_id)
    if territory is None:
        return {"proposals": proposals, "reasons": []}
    params = runs.matching_params(today=today, territory=territory)
    feed = feed_mod.need_inputs(
        need=need, scope=feed_mod.Scope(territory_id=territory.pk), today=today, window_days=params.fairness_window_days
    )
    if not feed.needs:
        return {"proposals": proposals, "reasons": []}
    feasible, reasons = near_misses(
        feed.offers,
        feed.needs[0],
        params=params,
        structures=feed.structures,
        excluded_pairs=feed.excluded_pairs,
        limit=limit,
    )
    out = [r.as_dict() for r in reasons]
    if feasible and not proposals:
        out.insert(0, {"code": "allocated_elsewhere", "params": {"count": feasible}})
    if not feasible and not reasons:
        out.append({"code": "no_offer", "params": {}})
    return {"proposals": proposals, "reasons": out}
