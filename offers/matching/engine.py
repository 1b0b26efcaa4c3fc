"""Stage 4: the whole run, and the explanation of why one pair is not feasible."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from time import perf_counter

import numpy as np

from .allocation import allocate, least_served_coverage, objective_value
from .arrays import CHILLED, FROZEN, build_arrays
from .candidates import (
    excluded_keys,
    find_candidates_arrays,
    pair_cap,
    pair_distance_km,
    price_ok,
    reach_modes,
)
from .scoring import COMPONENTS, explain, fr_km, fr_number, score_candidates, top_per_need
from .types import (
    MODES,
    EngineResult,
    EngineStats,
    History,
    NeedInput,
    OfferInput,
    Params,
    Proposal,
    Weights,
)

#: Codes `check_pair` may return, each message starting with its code.
REASON_CODES = (
    "unit_mismatch",
    "category_mismatch",
    "no_fridge",
    "no_freezer",
    "cold_storage_too_small",
    "windows_disjoint",
    "window_past",
    "expired",
    "out_of_reach",
    "purchase_not_accepted",
    "price_missing",
    "price_too_high",
    "quantity_below_minimum",
    "excluded_pair",
)


def run(
    offers: Sequence[OfferInput],
    needs: Sequence[NeedInput],
    *,
    params: Params,
    weights: Weights = Weights(),  # noqa: B008 - immutable
    history: History | None = None,
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> EngineResult:
    """Candidates, scores, allocation; proposals sorted by (need_id, -score, offer_id)."""
    timings: dict[str, float] = {}
    start = perf_counter()
    o, n = build_arrays(offers, needs)
    candidates = find_candidates_arrays(o, n, params, excluded_keys(o, n, excluded_pairs))
    timings["candidates"] = perf_counter() - start

    start = perf_counter()
    scores = score_candidates(candidates, weights=weights, params=params, history=history)
    kept, kept_scores = top_per_need(candidates, scores, params.max_candidates_per_need)
    timings["scores"] = perf_counter() - start

    start = perf_counter()
    x = allocate(kept, kept_scores, params)
    timings["allocation"] = perf_counter() - start

    start = perf_counter()
    # Thousandths, never more than allocated (beyond float noise); columns built once.
    chosen = np.flatnonzero(x > 0)
    quantities = np.floor(x[chosen] * 1000 + 1e-6) / 1000
    chosen, quantities = chosen[quantities > 0], quantities[quantities > 0]
    columns = zip(
        chosen.tolist(),
        quantities.tolist(),
        o.id[kept.offer_idx[chosen]].tolist(),
        n.id[kept.need_idx[chosen]].tolist(),
        np.rint(kept_scores.score[chosen]).astype(int).tolist(),
        kept.distance_km[chosen].tolist(),
        kept.mode[chosen].tolist(),
        np.round(kept_scores.components[chosen], 4).tolist(),
        strict=True,
    )
    proposals = [
        Proposal(
            offer_id=offer_id,
            need_id=need_id,
            quantity=quantity,
            score=score,
            distance_km=round(distance, 1),
            mode=MODES[mode],  # type: ignore[arg-type]
            explanation=explain(kept, p, quantity),
            components=dict(zip(COMPONENTS, components, strict=True)),
        )
        for p, quantity, offer_id, need_id, score, distance, mode, components in columns
    ]
    proposals.sort(key=lambda pr: (pr.need_id, -pr.score, pr.offer_id))
    timings["output"] = perf_counter() - start

    stats = EngineStats(
        n_offers=len(o),
        n_needs=len(n),
        n_candidate_pairs=len(candidates),
        n_scored_pairs=len(kept),
        n_proposals=len(proposals),
        objective=objective_value(kept, kept_scores, x, params, with_fairness=False),
        objective_with_fairness=objective_value(kept, kept_scores, x, params),
        least_served_coverage=least_served_coverage(kept, x, params),
        timings_s=timings,
    )
    return EngineResult(tuple(proposals), stats)


def check_pair(
    offer: OfferInput,
    need: NeedInput,
    *,
    params: Params,
    excluded_pairs: Collection[tuple[int, int]] = frozenset(),
) -> list[str]:
    """Why this pair breaks hard constraints, as « code : message en français ».

    An empty list means the pair is feasible: exactly the pairs `find_candidates`
    returns, since both use the same vectorised rules.
    """
    o, n = build_arrays([offer], [need])
    one = np.zeros(1, dtype=np.intp)
    reasons: list[str] = []

    def fail(code: str, message: str) -> None:
        reasons.append(f"{code} : {message}")

    if offer.unit != need.unit:
        fail("unit_mismatch", f"unités différentes ({offer.unit} / {need.unit})")
    if not set(offer.category_ancestors) & need.category_ids:
        fail("category_mismatch", "la catégorie du produit ne fait pas partie des besoins")
    if o.storage[0] == CHILLED and not need.has_fridge:
        fail("no_fridge", "produit frais et la structure n'a pas de frigo")
    if o.storage[0] == FROZEN and not need.has_freezer:
        fail("no_freezer", "produit surgelé et la structure n'a pas de congélateur")

    common_start = max(offer.window_start, need.window_start)
    common_end = min(offer.window_end, need.window_end)
    earliest = max(common_start.toordinal(), params.today.toordinal())
    if common_start > common_end:
        fail("windows_disjoint", "les périodes de l'offre et du besoin ne se recouvrent pas")
    elif earliest > common_end.toordinal():
        fail("window_past", "la période commune est déjà passée")
    elif earliest > min(int(o.good_until[0]), int(n.window_end[0])):
        fail("expired", "le produit ne sera plus bon au premier jour d'enlèvement possible")

    distance = pair_distance_km(o, n, one, one, params)
    if reach_modes(o, n, one, one, distance, params)[0] < 0:
        fail("out_of_reach", _unreachable(offer, need, float(distance[0]), params))

    if not price_ok(o, n, one, one)[0]:
        if not need.accepts_purchase:
            fail("purchase_not_accepted", "la structure n'accepte que les dons")
        elif offer.price_per_unit is None:
            fail("price_missing", "vente sans prix indiqué")
        else:
            fail(
                "price_too_high",
                f"{fr_number(offer.price_per_unit, 2)} € au-dessus du maximum de "
                f"{fr_number(need.max_price_per_unit or 0, 2)} €",
            )

    cap = float(pair_cap(o, n, one, one)[0])
    if cap <= 0 or cap < offer.min_quantity:
        plain = min(offer.quantity, need.quantity)
        if plain <= 0 or plain < offer.min_quantity:
            fail(
                "quantity_below_minimum",
                f"{fr_number(plain, 1)} {offer.unit} possibles, minimum {fr_number(offer.min_quantity, 1)}",
            )
        elif not any(r.startswith(("no_fridge", "no_freezer")) for r in reasons):
            fail(
                "cold_storage_too_small",
                f"capacité froid de la structure insuffisante ({fr_number(cap, 1)} kg)",
            )

    if len(excluded_keys(o, n, excluded_pairs)):
        fail("excluded_pair", "déjà proposé puis refusé ou traité")
    return reasons


def _unreachable(offer: OfferInput, need: NeedInput, distance_km: float, params: Params) -> str:
    why = []
    if "delivery" in offer.logistics:
        why.append(f"la ferme livre jusqu'à {fr_number(offer.delivery_radius_km)} km")
    if "partner" in offer.logistics:
        why.append(f"le partenaire logistique va jusqu'à {fr_number(params.partner_radius_km)} km")
    if "pickup" in offer.logistics:
        if not need.has_vehicle or need.pickup_radius_km <= 0:
            why.append("la structure ne peut pas venir chercher")
        else:
            why.append(f"la structure vient jusqu'à {fr_number(need.pickup_radius_km)} km")
    if "gleaning" in offer.logistics:
        if need.gleaning_volunteers <= 0 or need.pickup_radius_km <= 0:
            why.append("pas de bénévoles pour le glanage")
        else:
            why.append(f"les glaneurs vont jusqu'à {fr_number(need.pickup_radius_km)} km")
    if not offer.logistics:
        why.append("aucune logistique indiquée")
    return f"{fr_km(distance_km)} ; " + " ; ".join(why)
