"""Fairness as the allocation's own objective: who is least served relative to the people
it serves comes first.

Entitlement and fill rate (per structure s, quantities in kilogram-equivalents):

- R_s: what s received over the territory's rolling window (delivered and confirmed
  matches, given by the service as `StructureInput.received_kg`);
- A_s: what this run allocates to s (its needs counted in a unit with a known mass);
- ρ = (Σ R + S) / Σ p, the kilograms per person served that the window's receipts plus
  this run's supply S would give if shared in proportion to people served, over the
  structures this run can serve (those with candidate pairs; S = the smaller of what
  their candidate offers hold and what their needs ask);
- entitlement E_s = p_s × ρ, with p_s its people served per week;
- fill rate f_s = (R_s + A_s) / E_s: 1 is exactly its fair share, 0 is nothing.

The allocation maximises Σ score × quantity + Σ_s λ · 100 · E_s · G(f_s), where G is
concave and piecewise linear: G(0) = 0 and, between breakpoints b_{k−1} < f < b_k, slope
g_k, the chord of the α-fair utility u(f) = ((f + δ)^(1−α) − δ^(1−α)) / (1 − α) (log
for α = 1), normalised so that u'(0) = 1, with δ = b_1; beyond the last breakpoint the
slope is 0 and score alone decides. Each extra kilogram to s is therefore worth
λ · 100 · g_k points on top of its score, g_k falling as s fills: the least-served
structure's first kilograms outweigh the best-served one's score, and the whole remains
a min-cost flow (each segment an arc from the structure to the sink, costs rising with
k, so the flow fills them in order).

Receiving more (a larger R_s) moves every breakpoint of s to the left (its kilograms
are worth less); serving more people (a larger p_s) moves them to the right (worth more);
the other structures' move the other way. So past receipts lower a structure's share
and more people raise it — property tests check both on the exact allocation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arrays import MASS
from .candidates import CandidatePairs
from .types import Params


def segment_slopes(breakpoints: tuple[float, ...], alpha: float) -> np.ndarray:
    """g_k for each segment [b_{k−1}, b_k] (b_0 = 0), in (0, 1], non-increasing."""
    delta = breakpoints[0]

    def u(f: float) -> float:
        if math.isclose(alpha, 1.0):
            return delta * math.log((f + delta) / delta)
        return delta**alpha * ((f + delta) ** (1 - alpha) - delta ** (1 - alpha)) / (1 - alpha)

    points = (0.0, *breakpoints)
    return np.array([(u(b) - u(a)) / (b - a) for a, b in zip(points, points[1:], strict=False)])


@dataclass(frozen=True, slots=True, eq=False)
class FairnessModel:
    """What the allocation needs to value fill rates; structures indexed like c.structures."""

    need_structure: np.ndarray  # per need: its structure index, -1 when fairness does not apply
    entitlement: np.ndarray  # per structure, kg (0 when it does not take part)
    received: np.ndarray  # per structure, kg before the run
    ends: np.ndarray  # (structures, K): allocation (kg) at which each segment ends
    slopes: np.ndarray  # (K,): value of one kg on each segment, score points
    kg_per_person: float  # ρ

    @property
    def active(self) -> bool:
        return bool((self.need_structure >= 0).any()) and bool(self.slopes.any())

    def pair_structure(self, c: CandidatePairs) -> np.ndarray:
        return self.need_structure[c.need_idx]

    def allocated(self, c: CandidatePairs, x: np.ndarray) -> np.ndarray:
        """Per structure: kilograms allocated by `x` (base units per pair)."""
        t = self.pair_structure(c)
        on = t >= 0
        return np.bincount(t[on], weights=x[on], minlength=len(self.entitlement))

    def value(self, allocated: np.ndarray) -> float:
        """Σ_s λ·100·E_s·(G(f_s) − G(R_s/E_s)): the fairness part of the objective."""
        starts = np.concatenate([np.zeros((len(self.ends), 1)), self.ends[:, :-1]], axis=1)
        filled = np.clip(allocated[:, None] - starts, 0.0, self.ends - starts)
        return float((filled * self.slopes).sum())

    def fill_rates(self, allocated: np.ndarray) -> np.ndarray:
        """Per structure: (received + allocated) / entitlement; NaN where it does not take part."""
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (self.received + allocated) / self.entitlement
        return np.where(self.entitlement > 0, rate, np.nan)

    def taking_part(self, c: CandidatePairs) -> np.ndarray:
        """Structures with at least one candidate pair: the ones the run can serve."""
        t = self.pair_structure(c)
        out = np.zeros(len(self.entitlement), dtype=bool)
        out[t[t >= 0]] = True
        return out & (self.entitlement > 0)


def fairness_model(c: CandidatePairs, params: Params, *, strength: float | None = None) -> FairnessModel:
    """The entitlements, segments and slopes of a run over candidate pairs `c`."""
    strength = params.fairness_strength if strength is None else strength
    s, n, o = c.structures, c.needs, c.offers
    n_struct = len(s)
    k = len(params.fairness_breakpoints)
    empty = FairnessModel(
        need_structure=np.full(len(n), -1, dtype=np.int64),
        entitlement=np.zeros(n_struct),
        received=s.received_kg.copy(),
        ends=np.zeros((n_struct, k)),
        slopes=np.zeros(k),
        kg_per_person=0.0,
    )
    if strength <= 0 or not n_struct or not len(c):
        return empty
    # Every structure with candidate pairs counts in ρ (even one declaring nobody served),
    # so that declaring people never raises the others' entitlements.
    base = np.where((n.structure >= 0) & (n.dimension == MASS), n.structure, -1)
    pair_base = base[c.need_idx]
    with_pairs = pair_base >= 0
    if not with_pairs.any():
        return empty
    taking_part = np.zeros(n_struct, dtype=bool)
    taking_part[pair_base[with_pairs]] = True
    people = s.people
    total_people = float(people[taking_part].sum())
    if total_people <= 0:
        return empty
    supply = float(o.quantity[np.unique(c.offer_idx[with_pairs])].sum())
    demand = float(n.quantity[np.unique(c.need_idx[with_pairs])].sum())
    rho = (float(s.received_kg[taking_part].sum()) + min(supply, demand)) / total_people
    if rho <= 0:
        return empty
    served = np.zeros(n_struct, dtype=bool)
    served[base[base >= 0]] = people[base[base >= 0]] > 0
    need_structure = np.where((base >= 0) & served[np.maximum(base, 0)], base, -1)
    entitlement = np.where(taking_part & (people > 0), people * rho, 0.0)
    breakpoints = np.asarray(params.fairness_breakpoints)
    ends = np.maximum(0.0, entitlement[:, None] * breakpoints[None, :] - s.received_kg[:, None])
    return FairnessModel(
        need_structure=need_structure,
        entitlement=entitlement,
        received=s.received_kg.copy(),
        ends=ends,
        slopes=100.0 * strength * segment_slopes(params.fairness_breakpoints, params.fairness_alpha),
        kg_per_person=rho,
    )


def least_served(fill_rates: np.ndarray, share: float = 0.1) -> tuple[float, float]:
    """(lowest fill rate, mean fill rate of the least-served `share`) of the finite ones."""
    rates = np.sort(fill_rates[np.isfinite(fill_rates)])
    if not len(rates):
        return math.nan, math.nan
    count = max(1, int(math.ceil(share * len(rates))))
    return float(rates[0]), float(rates[:count].mean())
