"""MIAM matching engine: plain dataclasses in, plain dataclasses out.

No ORM, no Django, no settings, no clock: a service feeds it, a Celery task runs it.

Inputs (`types.py`, frozen dataclasses):

- `OfferInput`: what a farm still has (quantity in its `unit`, the mass of one unit when
  a documented factor gives it, pack size, minimum per delivery, pick-up window, use-by
  date, storage chain, donation or price, logistics and delivery radius, labels,
  recurrence, shelf life) and where (WGS84 lat/lon).
- `NeedInput`: what a food-aid structure still needs (accepted categories, quantity and
  unit, window, whether and how much it can pay and its own budget left, fridge/freezer
  and their capacity, how far it can collect, gleaning volunteers, preferred labels,
  urgency, frequency, distribution days).
- `StructureInput`: per structure, people served per week, kilogram-equivalents received
  over the territory's rolling window, and what is left of its monthly budget.
- `Weights` of the six score components (normalised to sum 1), `Params` (today, road
  detour factor, allocation mode 'flow' — default —, 'lp' or 'greedy', top candidates
  kept per need, fairness strength and shape, the territory's pooled rounds — `PooledRound`,
  weekday, payload, refrigerated: what the "partner" mode is —...), and `excluded_pairs`
  {(offer id, need id)} never to propose again.

Output of `run`: `EngineResult` with `proposals`, a tuple of `Proposal` (offer_id,
need_id, quantity in the offer's unit and in the need's, kilogram-equivalent, score
0–100, distance_km, mode — who carries —, the delivery date proposed, the reasons as
codes with parameters, the score components) sorted by (need_id, −score, offer_id);
`stats` (counts, objective values, least-served fill rates, per-stage timings in
seconds); and `fill_rates` per structure (entitlement, received, allocated, fill rate).

Stages, usable on their own: `find_candidates` (hard constraints through a k-d tree;
`candidates_bruteforce` checks all pairs), `score_candidates`, `fairness_model` (each
structure's entitlement and utility, fairness.py), `allocate` (exact min-cost flow of
score plus fairness — LEMON network simplex through pylmcf —, the same problem as a
sparse LP with HiGHS, or greedy; `allocate_maxmin` for comparison). `check_pair` says why
a hand-made pairing is not feasible, `near_misses` why a need got nothing, both as
reason codes (reasons.py).
"""

from .allocation import (
    allocate,
    allocate_flow,
    allocate_greedy,
    allocate_lp,
    allocate_maxmin,
    fill_rates,
    objective_value,
    spending,
)
from .candidates import CandidatePairs, candidates_bruteforce, find_candidates
from .engine import check_pair, near_misses, run
from .fairness import FairnessModel, fairness_model, least_served, segment_slopes
from .reasons import CONSTRAINT_CODES, NEAR_MISS_CODES, NO_PROPOSAL_CODES, PROPOSAL_CODES
from .scoring import COMPONENTS, Scores, score_candidates, top_per_need
from .types import (
    MODES,
    UNITS,
    EngineResult,
    EngineStats,
    NeedInput,
    OfferInput,
    Params,
    PooledRound,
    Proposal,
    Reason,
    StructureInput,
    Weights,
)

#: Every reason code the engine may give.
REASON_CODES = CONSTRAINT_CODES + PROPOSAL_CODES + NO_PROPOSAL_CODES

__all__ = [
    "COMPONENTS",
    "CONSTRAINT_CODES",
    "MODES",
    "NEAR_MISS_CODES",
    "NO_PROPOSAL_CODES",
    "PROPOSAL_CODES",
    "REASON_CODES",
    "UNITS",
    "CandidatePairs",
    "EngineResult",
    "EngineStats",
    "FairnessModel",
    "NeedInput",
    "OfferInput",
    "Params",
    "PooledRound",
    "Proposal",
    "Reason",
    "Scores",
    "StructureInput",
    "Weights",
    "allocate",
    "allocate_flow",
    "allocate_greedy",
    "allocate_lp",
    "allocate_maxmin",
    "candidates_bruteforce",
    "check_pair",
    "fairness_model",
    "fill_rates",
    "find_candidates",
    "least_served",
    "near_misses",
    "objective_value",
    "run",
    "score_candidates",
    "segment_slopes",
    "spending",
    "top_per_need",
]
