"""MIAM matching engine: plain dataclasses in, plain dataclasses out.

No ORM, no Django, no settings, no clock: a service feeds it, a Celery task runs it.

Inputs (`types.py`, frozen dataclasses):

- `OfferInput`: what a farm still has (quantity in `unit`, minimum per delivery,
  pick-up window, use-by date, storage chain, donation or price, logistics and
  delivery radius, labels, recurrence, shelf life) and where (WGS84 lat/lon).
- `NeedInput`: what a food-aid structure still needs (accepted categories,
  quantity, window, whether and how much it can pay, fridge/freezer and their
  capacity, how far it can collect, gleaning volunteers, preferred labels,
  urgency, frequency, people served, quantity received recently).
- `Weights` of the eight score components (normalised to sum 1), `Params`
  (today, road detour factor, allocation mode 'flow' — default —, 'lp' or
  'greedy', top candidates kept per need,
  fairness strength, partner radius...), `history` {(offer org, need org):
  successful deliveries} and `excluded_pairs` {(offer id, need id)} never to
  propose again.

Output of `run`: `EngineResult` with `proposals`, a tuple of `Proposal`
(offer_id, need_id, quantity, score 0–100, distance_km, mode — who carries —,
a French explanation and the score components) sorted by
(need_id, −score, offer_id), and `stats` (counts, objective values,
least-served coverage and per-stage timings in seconds).

Stages, usable on their own: `find_candidates` (hard constraints through a
k-d tree; `candidates_bruteforce` checks all pairs), `score_candidates`,
`allocate` (exact min-cost flow with a fairness term — LEMON network simplex
through pylmcf —, the same
problem as a sparse LP with HiGHS, or greedy). `check_pair` says in
French why an officer's hand-made pairing is not feasible.
"""

from .allocation import (
    allocate,
    allocate_flow,
    allocate_greedy,
    allocate_lp,
    least_served_coverage,
    objective_value,
    served_ratio,
)
from .candidates import CandidatePairs, candidates_bruteforce, find_candidates
from .engine import REASON_CODES, check_pair, run
from .scoring import COMPONENTS, Scores, explain, score_candidates, top_per_need
from .types import (
    MODES,
    EngineResult,
    EngineStats,
    NeedInput,
    OfferInput,
    Params,
    Proposal,
    Weights,
)

__all__ = [
    "COMPONENTS",
    "MODES",
    "REASON_CODES",
    "CandidatePairs",
    "EngineResult",
    "EngineStats",
    "NeedInput",
    "OfferInput",
    "Params",
    "Proposal",
    "Scores",
    "Weights",
    "allocate",
    "allocate_flow",
    "allocate_greedy",
    "allocate_lp",
    "candidates_bruteforce",
    "check_pair",
    "explain",
    "find_candidates",
    "least_served_coverage",
    "objective_value",
    "run",
    "score_candidates",
    "served_ratio",
    "top_per_need",
]
