"""Matching volunteers with requests for help (sasaeai.volunteers.matching), issue 13.

Two batches, generated with a fixed seed: city (2,000 requests × 4,000 helpers, one city of
about 15 × 15 km) and prefecture (100,000 × 200,000 over about 100 × 70 km, people clustered
around 40 towns). Hard filters in realistic proportions: a skill on one request in five,
a district on one in three (a helper in four restricted to their district), a time window on
one in two (a helper in ten of unknown availability), 3 % uninsured, 30 % with a maximum
distance, occasional exclusions, same-household pairs and past helpers.

Figures: the optimal proposal (sparse k = 20 candidates) and its time; the independent bound
(the LP relaxation of the same arcs, HiGHS), which must equal the optimum (prefecture: given
a time limit, reported if reached); and today's rule (greedy, nearest free feasible helper in
request order) on the same instance: its time, its excess total distance over the optimum,
and how many fewer helpers it assigns. The comparison uses distance-only weights, the
objective greedy's rule aims at; the default weights' run is timed too.
"""

import datetime
import math
import random
import time

from sasaeai.volunteers.matching import HelperSlot, RequestSlot, Weights, Window, greedy, propose

SIZES = {"town": (500, 1_000), "city": (2_000, 4_000), "prefecture": (100_000, 200_000)}
SKILLS = ("移動支援", "家事", "傾聴", "買い物", "配食", "手話")
JST = datetime.timezone(datetime.timedelta(hours=9))
DISTANCE_ONLY = Weights(continuity_bonus=0.0, preference_bonus=0.0, load_per_activity=0.0)
LP_TIME_LIMIT = 120.0  # seconds for the prefecture's LP bound


def instance(n_requests: int, n_helpers: int, seed: int = 13):
    rng = random.Random(seed)
    lat0, lon0 = 35.85, 139.2
    if n_requests <= 10_000:
        towns = [(lat0 + 0.07, lon0 + 0.08, 0.04)]
    else:
        towns = [
            (lat0 + rng.uniform(0, 0.63), lon0 + rng.uniform(0, 1.1), rng.uniform(0.01, 0.04))
            for _ in range(40)
        ]
    area_size = 0.02  # degrees: about 2 km districts

    def point():
        lat, lon, sigma = rng.choice(towns)
        return rng.gauss(lat, sigma), rng.gauss(lon, sigma * 1.2)

    def area(lat, lon):
        return int((lat - lat0) / area_size) * 1000 + int((lon - lon0) / area_size)

    base = datetime.datetime(2026, 12, 10, tzinfo=JST)
    households = max(10, n_requests * 3)
    requests = []
    for i in range(n_requests):
        lat, lon = point()
        start = base + datetime.timedelta(hours=rng.randint(8, 17))
        requests.append(RequestSlot(
            id=i, lat=lat, lon=lon,
            skills=frozenset({rng.choice(SKILLS)}) if rng.random() < 0.2 else frozenset(),
            area_id=area(lat, lon) if rng.random() < 0.33 else None,
            window=Window(start, start + datetime.timedelta(hours=rng.choice([1, 2]))) if rng.random() < 0.5 else None,
            household=f"h{rng.randrange(households)}",
            helpers_needed=2 if rng.random() < 0.05 else 1,
            excluded_helpers=frozenset({rng.randrange(n_helpers)}) if rng.random() < 0.02 else frozenset(),
            past_helpers=frozenset({rng.randrange(n_helpers)}) if rng.random() < 0.2 else frozenset(),
        ))  # fmt: skip
    helpers = []
    for i in range(n_helpers):
        lat, lon = point()
        roll = rng.random()
        if roll < 0.1:
            availability = ()
        elif roll < 0.6:
            availability = (
                Window(base + datetime.timedelta(hours=8), base + datetime.timedelta(hours=18)),
            )
        else:
            availability = (Window(base + datetime.timedelta(hours=9), base + datetime.timedelta(hours=12)),
                            Window(base + datetime.timedelta(hours=13), base + datetime.timedelta(hours=17)))  # fmt: skip
        helpers.append(HelperSlot(
            id=i, lat=lat, lon=lon, skills=frozenset(rng.sample(SKILLS, rng.choice([1, 2, 3]))),
            area_ids=frozenset({area(lat, lon)}) if rng.random() < 0.25 else frozenset(),
            availability=availability, insured=rng.random() < 0.97,
            household=f"h{rng.randrange(households)}", capacity=rng.choice([1, 1, 1, 2]),
            load=rng.randint(0, 6), max_distance_km=5.0 if rng.random() < 0.3 else None,
        ))  # fmt: skip
    return requests, helpers


def total_distance(proposal) -> float:
    return math.fsum(p.distance_km for p in proposal.pairs)


def clocked(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process): the machine may be shared."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def matching_benchmarks(size_name: str = "city") -> list[tuple[str, float]]:
    """Town: a small batch; city: the city batch; prefecture: the city and the prefecture batch."""
    propose([], [])  # imports and first-call costs out of the figures
    results = []
    sizes = {"town": ["town"], "city": ["city"], "prefecture": ["city", "prefecture"]}[size_name]
    for name in sizes:
        n_requests, n_helpers = SIZES[name]
        requests, helpers = instance(n_requests, n_helpers)
        label = f"matching {name} {n_requests:,}×{n_helpers:,}"
        optimal, wall, cpu = clocked(propose, requests, helpers, weights=DISTANCE_ONLY, k=20)
        _bounded, lp_wall, lp_cpu = clocked(
            propose, requests, helpers, weights=DISTANCE_ONLY, k=20, bound=True,
            bound_time_limit=LP_TIME_LIMIT if name == "prefecture" else None,
        )  # fmt: skip
        default, default_wall, default_cpu = clocked(propose, requests, helpers, k=20)
        today, greedy_wall, greedy_cpu = clocked(greedy, requests, helpers, weights=DISTANCE_ONLY)
        bound = _bounded.lower_bound
        if bound is None:
            check = "LP bound not reached in time"
        elif abs(bound - optimal.total_cost) <= 1e-6 * max(1.0, abs(optimal.total_cost)):
            check = "= LP bound"
        else:
            check = "MISMATCH with the LP bound"
        optimum_km, greedy_km = total_distance(optimal), total_distance(today)
        excess = (greedy_km / optimum_km - 1) * 100 if optimum_km else 0.0
        needed = sum(r.helpers_needed for r in requests)
        print(
            f"{label}: k=20, {optimal.candidate_arcs:,} arcs, flow {optimal.status}; optimum "
            f"{optimal.total_cost:,.3f}, LP bound {bound}; assigned {len(optimal.pairs):,}/{needed:,} "
            f"({optimum_km:,.1f} km) vs greedy {len(today.pairs):,} ({greedy_km:,.1f} km): greedy "
            f"+{excess:.1f} % distance, {len(optimal.pairs) - len(today.pairs):+,} assigned by the "
            f"optimum; CPU s: optimal {cpu:.1f}, default weights {default_cpu:.1f}, "
            f"LP {lp_cpu:.1f} (+ optimal), greedy {greedy_cpu:.1f}",
            flush=True,
        )
        results += [
            (f"{label}: optimal (k=20, {optimal.candidate_arcs:,} arcs) {check}", wall),
            (f"{label}: optimal, default weights", default_wall),
            (f"{label}: optimal + LP bound (HiGHS), independent check", lp_wall),
            (f"{label}: greedy (today) +{excess:.1f} % km, {len(today.pairs) - len(optimal.pairs):+,} assigned", greedy_wall),
        ]  # fmt: skip
    return results
