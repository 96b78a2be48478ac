"""Exact matching of volunteers (担い手) with requests for help (依頼): issue 13.

Pure: plain dataclasses in, plain dataclasses out; no models, no database. The volunteers app
turns its rows into `RequestSlot`/`HelperSlot`, calls `propose` (a batch), `shortlist` (one
request) or `greedy` (today's rule, for comparison), shows the proposal with its reasons and
alternatives, and sends nothing before the coordinator confirms.

How `propose` works (docs/matching.md says why):
1. Candidate arcs: every request × helper pair when the batch is small (≤ DENSE_LIMIT pairs),
   else the k nearest feasible helpers of each request, found with a k-d tree on projected
   coordinates and widened (×4) for the requests whose nearest helpers are mostly infeasible;
   a request's past and preferred helpers are always candidates when feasible.
2. Hard filters, vectorised over the arcs, in funnel order (FILTERS). A request left without a
   candidate gets the reason of the filter that removed its last ones.
3. Cost per arc (Weights), scaled to integers, and an exact min-cost flow (OR-Tools
   SimpleMinCostFlow): request (supply helpers_needed) → helper (capacity 1: a helper at most
   once per request) → sink (helper capacity), plus request → sink "leave unassigned" at the
   penalty. `lower_bound` (bound=True) is the LP relaxation of the same arcs solved by HiGHS,
   an independent check: the network matrix is totally unimodular, so both must be equal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.optimize import linprog
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088
SCALE = 1000  # integer cost units per cost unit: 1 m when distance_per_km = 1
DENSE_LIMIT = 4_000_000  # request × helper pairs up to which every pair is a candidate
DEFAULT_K = 20  # nearest feasible helpers kept per request beyond DENSE_LIMIT
MAX_QUERY = 2000  # widest nearest-helper query when looking for k feasible ones
ALTERNATIVES = 3
CHUNK = 1_000_000  # arcs per vectorised filter pass (bounds memory)

# Hard filters in funnel order: a request without candidates is reported with the filter that
# removed the last ones (the one its closest-to-feasible helpers failed).
FILTERS = ("skills", "area", "window", "insurance", "household", "excluded", "distance", "capacity")

# Reason codes → translatable labels (Japanese in the ja catalogue).
UNASSIGNED_REASONS = {
    "skills": _("No candidate: no helper has the required skills"),
    "area": _("No candidate: no helper covers this area"),
    "window": _("No candidate: no helper is available at the requested time"),
    "insurance": _("No candidate: the helpers are not insured"),
    "household": _("No candidate: the only suitable helpers live in the same household"),
    "excluded": _("No candidate: the only suitable helpers are excluded for this request"),
    "distance": _("No candidate: the requester lives beyond the helpers' maximum distance"),
    "capacity": _("No candidate: the suitable helpers have no room left in this batch"),
    "no_helpers": _("No candidate: there are no available helpers"),
    "taken": _("The suitable helpers are all assigned to other requests"),
    "too_costly": _("The suitable helpers cost more than leaving the request unassigned"),
}
SHORT_REASON = _("Only {assigned} of the {needed} helpers needed could be assigned")
PAIR_REASONS = {
    "distance": _("Distance {km} km"),
    "continuity": _("Helped this person before"),
    "preferred": _("Preferred by the requester"),
    "skills": _("Has the required skills: {skills}"),
    "window": _("Available at the requested time"),
    "load": _("{count} activities this month"),
    "busy": _("Assigned to another request in this proposal"),
}


class MatchingInputError(ValueError):
    """Bad input: the message says which request or helper and what (translatable)."""


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class RequestSlot:
    id: int
    lat: float
    lon: float
    skills: frozenset[str] = frozenset()  # all required
    area_id: int | None = None
    window: Window | None = None  # when the help is needed
    household: str | None = None  # requester's household key
    helpers_needed: int = 1
    excluded_helpers: frozenset[int] = frozenset()
    past_helpers: frozenset[int] = frozenset()  # continuity bonus
    preferred_helpers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class HelperSlot:
    id: int
    lat: float
    lon: float
    skills: frozenset[str] = frozenset()
    area_ids: frozenset[int] = frozenset()  # empty = any area
    # The request window must fit in one of them; empty = unknown → infeasible when the
    # request has a window.
    availability: tuple[Window, ...] = ()
    insured: bool = True
    household: str | None = None
    capacity: int = 1  # assignments this batch
    load: int = 0  # activities already this month (load balance)
    max_distance_km: float | None = None


@dataclass(frozen=True)
class Weights:
    distance_per_km: float = 1.0
    continuity_bonus: float = 3.0
    preference_bonus: float = 1.0
    load_per_activity: float = 0.2
    unassigned_penalty: float = 1000.0


@dataclass
class Pair:
    request_id: int
    helper_id: int
    cost: float
    distance_km: float
    reasons: list = field(default_factory=list)  # translatable texts (lazy str)


@dataclass
class Proposal:
    pairs: list[Pair]
    unassigned: dict  # request id → translatable reason
    alternatives: dict[int, list[Pair]]  # top-3 other feasible helpers per request
    total_cost: float  # pair costs + the penalty for every helper still needed
    lower_bound: float | None
    seconds: float
    candidate_arcs: int
    status: str = "OPTIMAL"  # the flow solver's status ("GREEDY" for greedy)


# ---------------------------------------------------------------------------------------------
# Input → arrays


def _timestamp(moment: datetime, where: str) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MatchingInputError(
            format_lazy(_("{where}: the time must include a time zone"), where=where)
        )
    return moment.timestamp()


def _window(window: Window, label, id: int) -> tuple[float, float]:
    where = format_lazy(label, id=id)
    start, end = _timestamp(window.starts_at, where), _timestamp(window.ends_at, where)
    if end <= start:
        raise MatchingInputError(
            format_lazy(_("{where}: the time window ends before it starts"), where=where)
        )
    return start, end


def _check_ids(items, message) -> dict[int, int]:
    index = {}
    for i, item in enumerate(items):
        if item.id in index:
            raise MatchingInputError(format_lazy(message, id=item.id))
        index[item.id] = i
    return index


def _check_coordinates(lat, lon, items, message):
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        item = items[int(np.flatnonzero(bad)[0])]
        raise MatchingInputError(format_lazy(message, id=item.id))


def _masks(skill_sets, bits: dict[str, int], words: int) -> np.ndarray:
    out = np.zeros((len(skill_sets), words), dtype=np.uint64)
    for i, skills in enumerate(skill_sets):
        for skill in skills:
            bit = bits.get(skill)
            if bit is not None:
                out[i, bit // 64] |= np.uint64(1 << (bit % 64))
    return out


def _member(sorted_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(query.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, query), sorted_keys.size - 1)
    return sorted_keys[at] == query


class _Problem:
    """The requests and helpers as arrays, and the vectorised filters and costs over arcs."""

    def __init__(self, requests: Sequence[RequestSlot], helpers: Sequence[HelperSlot], weights):
        self.requests, self.helpers, self.weights = list(requests), list(helpers), weights
        R, H = self.requests, self.helpers
        self.n_r, self.n_h = nr, nh = len(R), len(H)
        self.r_index = _check_ids(R, _("Request {id} appears twice"))
        self.h_index = _check_ids(H, _("Helper {id} appears twice"))
        self.r_lat = np.fromiter((r.lat for r in R), float, nr)
        self.r_lon = np.fromiter((r.lon for r in R), float, nr)
        self.h_lat = np.fromiter((h.lat for h in H), float, nh)
        self.h_lon = np.fromiter((h.lon for h in H), float, nh)
        _check_coordinates(self.r_lat, self.r_lon, R, _("Request {id}: invalid coordinates"))
        _check_coordinates(self.h_lat, self.h_lon, H, _("Helper {id}: invalid coordinates"))
        self.r_need = np.fromiter((r.helpers_needed for r in R), np.int64, nr)
        if (self.r_need < 1).any():
            bad = R[int(np.flatnonzero(self.r_need < 1)[0])]
            raise MatchingInputError(
                format_lazy(_("Request {id}: at least one helper must be needed"), id=bad.id)
            )
        self.h_cap = np.fromiter((h.capacity for h in H), np.int64, nh)
        if (self.h_cap < 0).any():
            bad = H[int(np.flatnonzero(self.h_cap < 0)[0])]
            raise MatchingInputError(
                format_lazy(_("Helper {id}: the capacity cannot be negative"), id=bad.id)
            )
        self.h_load = np.fromiter((h.load for h in H), float, nh)
        self.h_insured = np.fromiter((h.insured for h in H), bool, nh)
        self.h_maxd = np.fromiter(
            (math.inf if h.max_distance_km is None else h.max_distance_km for h in H), float, nh
        )

        needed = sorted({s for r in R for s in r.skills})
        bits = {s: i for i, s in enumerate(needed)}
        self.words = max(1, -(-len(needed) // 64))
        self.has_skills = bool(needed)
        if needed:
            self.r_mask = _masks([r.skills for r in R], bits, self.words)
            self.h_mask = _masks([h.skills for h in H], bits, self.words)

        areas = {
            a: i for i, a in enumerate(sorted({r.area_id for r in R if r.area_id is not None}))
        }
        self.n_areas = max(1, len(areas))
        self.r_area = np.fromiter(
            (-1 if r.area_id is None else areas[r.area_id] for r in R), np.int64, nr
        )
        self.h_anyarea = np.fromiter((not h.area_ids for h in H), bool, nh)
        self.area_keys = np.sort(
            np.fromiter(
                (
                    i * self.n_areas + areas[a]
                    for i, h in enumerate(H)
                    for a in h.area_ids
                    if a in areas
                ),
                np.int64,
            )
        )

        houses: dict[str, int] = {}
        self.r_house = np.fromiter(
            (-1 if r.household is None else houses.setdefault(r.household, len(houses)) for r in R),
            np.int64,
            nr,
        )
        self.h_house = np.fromiter(
            (-2 if h.household is None else houses.get(h.household, -3) for h in H), np.int64, nh
        )

        self.r_has_window = np.fromiter((r.window is not None for r in R), bool, nr)
        self.r_ws = np.full(nr, np.nan)
        self.r_we = np.full(nr, np.nan)
        seen: dict[Window, tuple[float, float]] = {}  # windows repeat: convert each once
        for i, r in enumerate(R):
            if r.window is not None:
                if r.window not in seen:
                    seen[r.window] = _window(r.window, _("Request {id}"), r.id)
                self.r_ws[i], self.r_we[i] = seen[r.window]
        self.m_windows = max((len(h.availability) for h in H), default=0)
        self.h_ws = np.full((nh, self.m_windows), np.inf)
        self.h_we = np.full((nh, self.m_windows), -np.inf)
        for i, h in enumerate(H):
            for j, w in enumerate(h.availability):
                if w not in seen:
                    seen[w] = _window(w, _("Helper {id}"), h.id)
                self.h_ws[i, j], self.h_we[i, j] = seen[w]

        self.excluded_keys = self._pair_keys("excluded_helpers")
        self.r_has_excluded = np.zeros(nr, dtype=bool)
        self.r_has_excluded[self.excluded_keys // max(nh, 1)] = True
        self.past_keys = self._pair_keys("past_helpers")
        self.preferred_keys = self._pair_keys("preferred_helpers")
        self._texts: dict = {}

    def _pair_keys(self, attribute: str) -> np.ndarray:
        keys = [
            i * self.n_h + self.h_index[h]
            for i, r in enumerate(self.requests)
            for h in getattr(r, attribute)
            if h in self.h_index
        ]
        return np.unique(np.array(keys, dtype=np.int64))

    def distances(self, ri: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Haversine, km."""
        lat1, lat2 = np.radians(self.r_lat[ri]), np.radians(self.h_lat[hi])
        dlat = lat2 - lat1
        dlon = np.radians(self.h_lon[hi] - self.r_lon[ri])
        a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))

    def stages(self, ri: np.ndarray, hi: np.ndarray, dist: np.ndarray | None) -> np.ndarray:
        """0 for a feasible arc, else 1 + the index in FILTERS of the first filter it fails.
        Without `dist`, distances are computed only for helpers with a maximum distance."""
        out = np.zeros(ri.size, dtype=np.int8)
        for start in range(0, ri.size, CHUNK):
            r, h = ri[start : start + CHUNK], hi[start : start + CHUNK]
            limit = self.h_maxd[h]
            if dist is not None:
                too_far = dist[start : start + CHUNK] > limit
            else:
                too_far = np.isfinite(limit)
                if too_far.any():
                    f = np.flatnonzero(too_far)
                    too_far[f] = self.distances(r[f], h[f]) > limit[f]
            if self.has_skills:
                skills = np.any(self.r_mask[r] & ~self.h_mask[h], axis=1)
            else:
                skills = np.zeros(r.size, dtype=bool)
            area = (self.r_area[r] >= 0) & ~self.h_anyarea[h]
            if area.any():  # look up only the arcs that need it
                a = np.flatnonzero(area)
                area[a] = ~_member(self.area_keys, h[a] * self.n_areas + self.r_area[r[a]])
            excluded = self.r_has_excluded[r]
            if excluded.any():
                e = np.flatnonzero(excluded)
                excluded[e] = _member(self.excluded_keys, r[e] * self.n_h + h[e])
            window = self.r_has_window[r].copy()
            if self.m_windows and window.any():
                w = np.flatnonzero(window)
                fits = np.any(
                    (self.h_ws[h[w]] <= self.r_ws[r[w], None])
                    & (self.r_we[r[w], None] <= self.h_we[h[w]]),
                    axis=1,
                )
                window[w] = ~fits
            fails = (
                skills,
                area,
                window,
                ~self.h_insured[h],
                (self.r_house[r] >= 0) & (self.r_house[r] == self.h_house[h]),
                excluded,
                too_far,
                self.h_cap[h] <= 0,
            )
            code = np.zeros(r.size, dtype=np.int8)
            for stage in range(len(fails), 0, -1):
                code[fails[stage - 1]] = stage
            out[start : start + CHUNK] = code
        return out

    def costs(self, ri, hi, dist):
        """(cost, continuity flags, preference flags) per arc."""
        w = self.weights
        keys = ri.astype(np.int64) * self.n_h + hi
        past = _member(self.past_keys, keys)
        preferred = _member(self.preferred_keys, keys)
        cost = (
            w.distance_per_km * dist
            + w.load_per_activity * self.h_load[hi]
            - w.continuity_bonus * past
            - w.preference_bonus * preferred
        )
        return cost, past, preferred

    def pair(
        self, r: int, h: int, dist: float, cost: float, past: bool, preferred: bool, busy=False
    ):
        request, helper = self.requests[r], self.helpers[h]
        km = f"{dist:.1f}"
        # Lazy texts are cached: a prefecture batch builds 400,000 pairs with few distinct ones.
        text = self._texts.get(km)
        if text is None:
            text = self._texts[km] = format_lazy(PAIR_REASONS["distance"], km=km)
        reasons = [text]
        if past:
            reasons.append(PAIR_REASONS["continuity"])
        if preferred:
            reasons.append(PAIR_REASONS["preferred"])
        if request.skills:
            key = request.skills
            text = self._texts.get(key)
            if text is None:
                skills = "、".join(sorted(request.skills))
                text = self._texts[key] = format_lazy(PAIR_REASONS["skills"], skills=skills)
            reasons.append(text)
        if request.window is not None:
            reasons.append(PAIR_REASONS["window"])
        if helper.load:
            text = self._texts.get(helper.load)
            if text is None:
                text = self._texts[helper.load] = format_lazy(
                    PAIR_REASONS["load"], count=helper.load
                )
            reasons.append(text)
        if busy:
            reasons.append(PAIR_REASONS["busy"])
        return Pair(request.id, helper.id, round(float(cost), 3), round(float(dist), 3), reasons)


@dataclass
class _Arcs:
    """Feasible candidate arcs, sorted by request then distance, and why requests have none."""

    ri: np.ndarray
    hi: np.ndarray
    dist: np.ndarray
    no_candidate: dict[int, str]  # request index → reason code


def _empty_arcs() -> _Arcs:
    return _Arcs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), {})


def _no_helpers(p: _Problem) -> _Arcs:
    arcs = _empty_arcs()
    arcs.no_candidate = {r: "no_helpers" for r in range(p.n_r)}
    return arcs


def _reasons_for_empty(p: _Problem, ri, stage, requests: np.ndarray) -> dict[int, str]:
    """Reason codes for the requests (indices) that have no feasible arc among ri/stage."""
    furthest = np.zeros(p.n_r, dtype=np.int8)
    np.maximum.at(furthest, ri, stage)
    found = np.zeros(p.n_r, dtype=bool)
    found[ri[stage == 0]] = True
    out = {}
    for r in requests[~found[requests]]:
        s = int(furthest[r])
        out[int(r)] = FILTERS[s - 1] if s else "no_helpers"
    return out


def _dense_arcs(p: _Problem) -> _Arcs:
    if p.n_h == 0:
        return _no_helpers(p)
    block = max(1, CHUNK // p.n_h)
    parts, reasons = [], {}
    for start in range(0, p.n_r, block):
        rows = np.arange(start, min(p.n_r, start + block))
        ri = np.repeat(rows, p.n_h)
        hi = np.tile(np.arange(p.n_h), rows.size)
        dist = p.distances(ri, hi)
        stage = p.stages(ri, hi, dist)
        reasons.update(_reasons_for_empty(p, ri, stage, rows))
        keep = stage == 0
        parts.append((ri[keep], hi[keep], dist[keep]))
    ri, hi, dist = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((dist, ri))
    return _Arcs(ri[order], hi[order], dist[order], reasons)


def _projected(lat, lon, lat0):
    return np.column_stack(
        (
            np.radians(lon) * math.cos(math.radians(lat0)) * EARTH_RADIUS_KM,
            np.radians(lat) * EARTH_RADIUS_KM,
        )
    )


def _sparse_arcs(p: _Problem, k: int) -> _Arcs:
    """The k nearest feasible helpers of each request, plus its feasible past/preferred ones.

    Requests are grouped by the skills they need; each group searches a k-d tree of the
    helpers that have those skills, are insured and have room (the filters that depend on the
    helper alone), so the nearest-neighbour query wastes little on helpers that can never fit.
    """
    if p.n_h == 0:
        return _no_helpers(p)
    lat0 = float(np.mean(p.h_lat))
    h_xy = _projected(p.h_lat, p.h_lon, lat0)
    r_xy = _projected(p.r_lat, p.r_lon, lat0)
    eligible = p.h_insured & (p.h_cap > 0)
    if p.has_skills:
        masks, group = np.unique(p.r_mask, axis=0, return_inverse=True)
        group = group.reshape(-1)
    else:
        masks, group = np.zeros((1, p.words), np.uint64), np.zeros(p.n_r, np.int64)
    parts, empty = [], []
    for g, mask in enumerate(masks):
        rows = np.flatnonzero(group == g)
        pool = eligible
        if p.has_skills:
            pool = pool & np.all((p.h_mask & mask) == mask, axis=1)
        pool = np.flatnonzero(pool)
        if pool.size == 0:
            empty.append(rows)
            continue
        found, none = _nearest_feasible(p, cKDTree(h_xy[pool]), pool, r_xy, rows, k)
        parts += found
        empty.append(none)
    extra = np.union1d(p.past_keys, p.preferred_keys)
    if extra.size:
        ri, hi = extra // p.n_h, extra % p.n_h
        dist = p.distances(ri, hi)
        keep = p.stages(ri, hi, dist) == 0
        parts.append((ri[keep], hi[keep], dist[keep]))
    parts.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)))
    ri, hi, dist = (np.concatenate(x) for x in zip(*parts, strict=True))
    _keys, first = np.unique(ri * p.n_h + hi, return_index=True)
    ri, hi, dist = ri[first], hi[first], dist[first]
    order = np.lexsort((dist, ri))
    empty = np.setdiff1d(np.concatenate(empty), ri) if empty else np.zeros(0, np.int64)
    return _Arcs(ri[order], hi[order], dist[order], _funnel(p, h_xy, r_xy, empty))


def _nearest_feasible(p: _Problem, tree, pool, r_xy, rows, k):
    """Query the nearest 3k helpers of the pool, widening ×3 (up to MAX_QUERY) for the
    requests with too few feasible; returns (arc parts, requests with none)."""
    parts, empty = [], []
    todo = rows
    query = min(pool.size, 3 * k)
    while todo.size:
        _, idx = tree.query(r_xy[todo], k=query)
        idx = np.asarray(idx).reshape(todo.size, query)
        ri = np.repeat(todo, query)
        hi = pool[idx.reshape(-1)]
        feasible = (p.stages(ri, hi, None) == 0).reshape(todo.size, query)
        rank = np.cumsum(feasible, axis=1)
        # Done with k feasible; after one widening, with a quarter of k (a request in a sparse
        # corner of the batch rarely gains from its 2,000th nearest helper); at MAX_QUERY, always.
        found = rank[:, -1]
        done = (found >= k) | (query >= min(pool.size, MAX_QUERY))
        if query > 3 * k:
            done |= found >= max(1, k // 4)
        keep = (feasible & (rank <= k) & done[:, None]).reshape(-1)
        ri, hi = ri[keep], hi[keep]
        parts.append((ri, hi, p.distances(ri, hi)))  # haversine only for the kept arcs
        empty.append(todo[done & (rank[:, -1] == 0)])
        todo = todo[~done]
        query = min(pool.size, query * 3)
    return parts, np.concatenate(empty)


def _funnel(p: _Problem, h_xy, r_xy, empty: np.ndarray) -> dict[int, str]:
    """Reason codes for the requests without candidates, over their nearest helpers of all kinds."""
    if not empty.size:
        return {}
    tree = cKDTree(h_xy)
    query = min(p.n_h, MAX_QUERY)
    reasons = {}
    block = max(1, CHUNK // query)
    for start in range(0, empty.size, block):
        rows = empty[start : start + block]
        _, idx = tree.query(r_xy[rows], k=query)
        ri = np.repeat(rows, query)
        hi = np.asarray(idx).reshape(-1).astype(np.int64)
        reasons.update(_reasons_for_empty(p, ri, p.stages(ri, hi, None), rows))
    return reasons


def _candidates(p: _Problem, k: int | None) -> _Arcs:
    if p.n_r == 0:
        return _empty_arcs()
    if k is None and p.n_r * p.n_h <= DENSE_LIMIT:
        return _dense_arcs(p)
    return _sparse_arcs(p, k or DEFAULT_K)


# ---------------------------------------------------------------------------------------------
# Solvers


def _flow(p: _Problem, arcs: _Arcs, cost_int: np.ndarray, penalty: int):
    """Min-cost flow; returns (status name, optimal cost in integer units, chosen arc mask)."""
    m = arcs.ri.size
    sink = p.n_r + p.n_h
    used_helpers = np.unique(arcs.hi)
    starts = np.concatenate((arcs.ri, np.arange(p.n_r), p.n_r + used_helpers))
    ends = np.concatenate((p.n_r + arcs.hi, np.full(p.n_r, sink), np.full(used_helpers.size, sink)))
    capacities = np.concatenate((np.ones(m, np.int64), p.r_need, p.h_cap[used_helpers]))
    unit_costs = np.concatenate(
        (cost_int, np.full(p.n_r, penalty, np.int64), np.zeros(used_helpers.size, np.int64))
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        starts.astype(np.int32), ends.astype(np.int32), capacities, unit_costs
    )
    supplies = np.zeros(sink + 1, np.int64)
    supplies[: p.n_r] = p.r_need
    supplies[sink] = -int(p.r_need.sum())
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    name = status.name if hasattr(status, "name") else str(status)
    if status != solver.OPTIMAL:
        return name, None, np.zeros(m, dtype=bool)
    flows = solver.flows(np.arange(m, dtype=np.int32))
    return name, int(solver.optimal_cost()), flows > 0


def lp_bound(
    p: _Problem, arcs: _Arcs, cost_int: np.ndarray, penalty: int, time_limit: float | None = None
):
    """The LP relaxation of the same arcs (HiGHS), in cost units; None if not solved in time."""
    m, nr = arcs.ri.size, p.n_r
    if nr == 0:
        return 0.0
    columns = np.arange(m + nr)
    a_eq = sparse.csr_matrix(
        (np.ones(m + nr), (np.concatenate((arcs.ri, np.arange(nr))), columns)), shape=(nr, m + nr)
    )
    a_ub = sparse.csr_matrix((np.ones(m), (arcs.hi, np.arange(m))), shape=(max(p.n_h, 1), m + nr))
    bounds = np.column_stack(
        (np.zeros(m + nr), np.concatenate((np.ones(m), p.r_need.astype(float))))
    )
    c = np.concatenate((cost_int.astype(float), np.full(nr, float(penalty))))
    options = {"time_limit": time_limit} if time_limit else {}
    result = linprog(
        c, A_ub=a_ub, b_ub=p.h_cap.astype(float) if p.n_h else np.zeros(1), A_eq=a_eq,
        b_eq=p.r_need.astype(float), bounds=bounds, method="highs", options=options,
    )  # fmt: skip
    if result.status != 0:
        return None
    return float(result.fun) / SCALE


def propose(
    requests: Sequence[RequestSlot],
    helpers: Sequence[HelperSlot],
    *,
    weights: Weights = Weights(),  # noqa: B008 (frozen, so sharing the default is safe)
    k: int | None = None,
    bound: bool = False,
    bound_time_limit: float | None = None,
) -> Proposal:
    """The optimal assignment of a batch: see the module docstring. `bound=True` also solves the
    LP relaxation (HiGHS) and returns its value as `lower_bound` (equal to total_cost)."""
    started = time.perf_counter()
    p = _Problem(requests, helpers, weights)
    arcs = _candidates(p, k)
    cost, past, preferred = p.costs(arcs.ri, arcs.hi, arcs.dist)
    cost_int = np.rint(cost * SCALE).astype(np.int64)
    penalty = int(round(weights.unassigned_penalty * SCALE))
    status, optimum, chosen = _flow(p, arcs, cost_int, penalty)

    pairs = [
        p.pair(r, h, d, c, a, b)
        for r, h, d, c, a, b in zip(
            arcs.ri[chosen].tolist(), arcs.hi[chosen].tolist(), arcs.dist[chosen].tolist(),
            cost[chosen].tolist(), past[chosen].tolist(), preferred[chosen].tolist(), strict=True,
        )
    ]  # fmt: skip
    assigned = np.bincount(arcs.ri[chosen], minlength=p.n_r) if p.n_r else np.zeros(0, np.int64)
    unassigned = _unassigned(p, arcs, cost_int, penalty, assigned)

    # Alternatives: the cheapest other candidates of each request (cost, then distance).
    order = np.lexsort((arcs.dist, cost_int, arcs.ri))
    order = order[~chosen[order]]
    ri_sorted = arcs.ri[order]
    starts = np.searchsorted(ri_sorted, ri_sorted, side="left")
    rank = np.arange(order.size) - starts
    picked = order[rank < ALTERNATIVES]
    helper_used = np.bincount(arcs.hi[chosen], minlength=p.n_h) if p.n_h else np.zeros(0, np.int64)
    busy = (
        helper_used[arcs.hi[picked]] >= p.h_cap[arcs.hi[picked]]
        if picked.size
        else np.zeros(0, bool)
    )
    alternatives: dict[int, list[Pair]] = {}
    for r, h, d, c, a, b, busy_now in zip(
        arcs.ri[picked].tolist(), arcs.hi[picked].tolist(), arcs.dist[picked].tolist(),
        cost[picked].tolist(), past[picked].tolist(), preferred[picked].tolist(), busy.tolist(),
        strict=True,
    ):  # fmt: skip
        pair = p.pair(r, h, d, c, a, b, busy_now)
        alternatives.setdefault(pair.request_id, []).append(pair)

    seconds = time.perf_counter() - started
    lower = None
    if bound and optimum is not None:
        lower = lp_bound(p, arcs, cost_int, penalty, bound_time_limit)
    return Proposal(
        pairs=pairs,
        unassigned=unassigned,
        alternatives=alternatives,
        total_cost=(optimum or 0) / SCALE,
        lower_bound=lower,
        seconds=seconds,
        candidate_arcs=int(arcs.ri.size),
        status=status,
    )


def _unassigned(p: _Problem, arcs: _Arcs, cost_int, penalty, assigned) -> dict:
    out = {}
    short = np.flatnonzero(assigned < p.r_need)
    if not short.size:
        return out
    candidates = np.bincount(arcs.ri, minlength=p.n_r)
    affordable = np.bincount(arcs.ri[cost_int < penalty], minlength=p.n_r)
    for r in short.tolist():
        request_id = p.requests[r].id
        if assigned[r]:
            out[request_id] = format_lazy(
                SHORT_REASON, assigned=int(assigned[r]), needed=int(p.r_need[r])
            )
        elif not candidates[r]:
            out[request_id] = UNASSIGNED_REASONS[arcs.no_candidate.get(r, "no_helpers")]
        elif not affordable[r]:
            out[request_id] = UNASSIGNED_REASONS["too_costly"]
        else:
            out[request_id] = UNASSIGNED_REASONS["taken"]
    return out


def shortlist(
    request: RequestSlot,
    helpers: Sequence[HelperSlot],
    *,
    n: int = 10,
    weights: Weights = Weights(),  # noqa: B008
) -> list[Pair]:
    """The n cheapest feasible helpers for one request, with their reasons."""
    p = _Problem([request], helpers, weights)
    if not p.n_h:
        return []
    ri = np.zeros(p.n_h, np.int64)
    hi = np.arange(p.n_h)
    dist = p.distances(ri, hi)
    keep = p.stages(ri, hi, dist) == 0
    ri, hi, dist = ri[keep], hi[keep], dist[keep]
    cost, past, preferred = p.costs(ri, hi, dist)
    order = np.lexsort((dist, np.rint(cost * SCALE)))[:n]
    return [p.pair(0, int(hi[j]), dist[j], cost[j], past[j], preferred[j]) for j in order]


def greedy(
    requests: Sequence[RequestSlot],
    helpers: Sequence[HelperSlot],
    *,
    weights: Weights = Weights(),  # noqa: B008
) -> Proposal:
    """Today's rule, for comparison: requests in the given order, each takes the nearest free
    feasible helper(s). Searches all helpers (widening a nearest query when its candidates are
    taken), so it is not limited to the k-nearest candidates of `propose`."""
    started = time.perf_counter()
    p = _Problem(requests, helpers, weights)
    arcs = _candidates(p, None)
    left = p.h_cap.copy()
    bounds = np.searchsorted(arcs.ri, np.arange(p.n_r + 1))
    helpers_of = arcs.hi.tolist()
    full = p.n_r * p.n_h <= DENSE_LIMIT
    tree = lat0 = None
    pairs: list[tuple[int, int]] = []
    assigned = np.zeros(p.n_r, np.int64)
    for r in range(p.n_r):
        need = int(p.r_need[r])
        taken: list[int] = []
        for j in range(bounds[r], bounds[r + 1]):
            h = helpers_of[j]
            if left[h] > 0:
                taken.append(h)
                if len(taken) == need:
                    break
        if len(taken) < need and not full and bounds[r + 1] > bounds[r]:
            if tree is None:
                lat0 = float(np.mean(p.h_lat))
                tree = cKDTree(_projected(p.h_lat, p.h_lon, lat0))
            taken = _greedy_wider(p, tree, lat0, r, need, left)
        for h in taken:
            left[h] -= 1
            pairs.append((r, h))
        assigned[r] = len(taken)
    ri = np.array([r for r, _h in pairs], np.int64)
    hi = np.array([h for _r, h in pairs], np.int64)
    dist = p.distances(ri, hi)
    cost, past, preferred = p.costs(ri, hi, dist)
    result = [
        p.pair(int(ri[j]), int(hi[j]), dist[j], cost[j], past[j], preferred[j])
        for j in range(ri.size)
    ]
    cost_int = np.rint(cost * SCALE).astype(np.int64)
    penalty = int(round(weights.unassigned_penalty * SCALE))
    all_cost, _past, _pref = p.costs(arcs.ri, arcs.hi, arcs.dist)
    unassigned = _unassigned(p, arcs, np.rint(all_cost * SCALE).astype(np.int64), penalty, assigned)
    total = int(cost_int.sum()) + penalty * int((p.r_need - assigned).sum())
    return Proposal(
        pairs=result, unassigned=unassigned, alternatives={}, total_cost=total / SCALE,
        lower_bound=None, seconds=time.perf_counter() - started, candidate_arcs=int(arcs.ri.size),
        status="GREEDY",
    )  # fmt: skip


def _greedy_wider(p: _Problem, tree, lat0, r: int, need: int, left) -> list[int]:
    point = _projected(p.r_lat[r : r + 1], p.r_lon[r : r + 1], lat0)
    query = min(p.n_h, 4 * DEFAULT_K)
    while True:
        _, idx = tree.query(point, k=query)
        hi = np.asarray(idx, dtype=np.int64).reshape(-1)
        ri = np.full(hi.size, r, np.int64)
        dist = p.distances(ri, hi)
        ok = (p.stages(ri, hi, dist) == 0) & (left[hi] > 0)
        free = hi[ok][np.argsort(dist[ok], kind="stable")]
        if free.size >= need or query == p.n_h:
            return free[:need].tolist()
        query = min(p.n_h, query * 4)
