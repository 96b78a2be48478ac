"""The matching engine (sasaeai.volunteers.matching): pure, so no database here."""

import datetime
import random

import pytest
from django.utils import translation

from sasaeai.volunteers.matching import (
    HelperSlot,
    MatchingInputError,
    RequestSlot,
    Weights,
    Window,
    greedy,
    propose,
    shortlist,
)

JST = datetime.timezone(datetime.timedelta(hours=9))
LAT, LON = 36.0, 139.55  # 桶川市のあたり
KM = 1 / 111.0  # degrees of latitude in a kilometre


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


def at(hour, minute=0, day=10):
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=JST)


def request(id=1, north_km=0.0, **kw):
    return RequestSlot(id=id, lat=LAT + north_km * KM, lon=LON, **kw)


def helper(id, north_km=1.0, **kw):
    return HelperSlot(id=id, lat=LAT + north_km * KM, lon=LON, **kw)


def assigned(proposal):
    return sorted((p.request_id, p.helper_id) for p in proposal.pairs)


def texts(reasons):
    return [str(r) for r in reasons]


# ---- hard filters, each removing the nearer helper ----


def test_a_helper_without_every_required_skill_is_not_matched():
    proposal = propose(
        [request(skills=frozenset({"移動支援", "家事"}))],
        [
            helper(10, 0.5, skills=frozenset({"移動支援"})),
            helper(11, 3.0, skills=frozenset({"移動支援", "家事", "傾聴"})),
        ],
    )
    assert assigned(proposal) == [(1, 11)]


def test_a_helper_restricted_to_other_areas_is_not_matched_but_an_any_area_helper_is():
    proposal = propose(
        [request(area_id=5)],
        [
            helper(10, 0.5, area_ids=frozenset({6})),
            helper(11, 2.0),
            helper(12, 1.0, area_ids=frozenset({5, 6})),
        ],
    )
    assert assigned(proposal) == [(1, 12)]
    assert {a.helper_id for a in proposal.alternatives[1]} == {11}


def test_the_request_window_must_fit_inside_one_availability_window():
    need = Window(at(10), at(12))
    proposal = propose(
        [request(window=need)],
        [
            helper(10, 0.5, availability=(Window(at(9), at(11)), Window(at(11), at(13)))),  # split
            helper(11, 0.7),  # availability unknown
            helper(12, 3.0, availability=(Window(at(8), at(9)), Window(at(9, 30), at(12)))),
        ],
    )
    assert assigned(proposal) == [(1, 12)]


def test_a_request_without_a_window_accepts_helpers_of_unknown_availability():
    assert assigned(propose([request()], [helper(10, 0.5)])) == [(1, 10)]


def test_an_uninsured_helper_is_not_matched():
    proposal = propose([request()], [helper(10, 0.5, insured=False), helper(11, 2.0)])
    assert assigned(proposal) == [(1, 11)]


def test_a_helper_from_the_requesters_household_is_not_matched():
    proposal = propose(
        [request(household="h-1")],
        [helper(10, 0.1, household="h-1"), helper(11, 2.0, household="h-2")],
    )
    assert assigned(proposal) == [(1, 11)]


def test_an_excluded_helper_is_not_matched():
    proposal = propose(
        [request(excluded_helpers=frozenset({10}))], [helper(10, 0.1), helper(11, 2.0)]
    )
    assert assigned(proposal) == [(1, 11)]


def test_a_helper_is_not_sent_beyond_their_maximum_distance():
    proposal = propose(
        [request()], [helper(10, 3.0, max_distance_km=2.0), helper(11, 4.0, max_distance_km=5.0)]
    )
    assert assigned(proposal) == [(1, 11)]


# ---- no feasible helper: reported per request with the telling reason ----


def test_requests_without_a_feasible_helper_are_reported_each_with_its_reason():
    requests = [
        request(1, skills=frozenset({"手話"})),
        request(2, area_id=9),
        request(3, window=Window(at(20), at(21))),
        request(4, household="h-1"),
        request(5, excluded_helpers=frozenset({10})),
        request(6, north_km=30.0),
        request(7),
    ]
    helpers = [
        helper(10, 0.5, area_ids=frozenset({1}), household="h-1", max_distance_km=10,
               availability=(Window(at(9), at(17)),)),
    ]  # fmt: skip
    proposal = propose(requests, helpers)
    reasons = {rid: str(reason) for rid, reason in proposal.unassigned.items()}
    assert assigned(proposal) == [(7, 10)]
    assert reasons == {
        1: "候補なし: 必要なスキルを持つ担い手がいません",
        2: "候補なし: この地区を担当できる担い手がいません",
        3: "候補なし: 希望の時間帯に活動できる担い手がいません",
        4: "候補なし: 条件に合う担い手は同一世帯の人だけです",
        5: "候補なし: 条件に合う担い手はこの依頼から除外されています",
        6: "候補なし: 担い手の活動範囲の外です",
    }


def test_uninsured_helpers_and_no_helpers_at_all_are_reported():
    only_uninsured = propose([request()], [helper(10, insured=False)])
    nobody = propose([request()], [])
    assert str(only_uninsured.unassigned[1]) == "候補なし: 担い手が保険に加入していません"
    assert str(nobody.unassigned[1]) == "候補なし: 活動できる担い手がいません"


def test_a_request_whose_only_helper_went_elsewhere_says_so():
    # Request 2 can only take helper 10; request 1 could take 10 or 11 (far). The optimum gives
    # 10 to request 2; with a single helper both want, one is left with "taken".
    proposal = propose([request(1), request(2, north_km=0.2)], [helper(10, 0.1)])
    assert len(proposal.pairs) == 1
    (left,) = proposal.unassigned.values()
    assert str(left) == "条件に合う担い手は全員ほかの依頼に割り当てられています"


def test_bad_input_raises_a_clear_error():
    with pytest.raises(MatchingInputError, match="2回"):
        propose([request(1), request(1)], [helper(10)])
    with pytest.raises(MatchingInputError, match="タイムゾーン"):
        propose([request(window=Window(datetime.datetime(2026, 12, 10, 10), at(12)))], [helper(10)])  # noqa: DTZ001
    with pytest.raises(MatchingInputError, match="座標"):
        propose([RequestSlot(id=1, lat=95.0, lon=LON)], [helper(10)])
    with pytest.raises(MatchingInputError, match="必要人数"):
        propose([request(helpers_needed=0)], [helper(10)])


# ---- helpers_needed, capacity, continuity ----


def test_a_request_needing_two_helpers_gets_two_different_helpers():
    proposal = propose([request(helpers_needed=2)], [helper(10, 0.5, capacity=3), helper(11, 1.5)])
    assert assigned(proposal) == [(1, 10), (1, 11)]
    assert proposal.unassigned == {}


def test_a_request_short_of_helpers_reports_how_many_were_found():
    proposal = propose([request(helpers_needed=2)], [helper(10, 0.5, capacity=3)])
    assert assigned(proposal) == [(1, 10)]
    assert str(proposal.unassigned[1]) == "必要な2人のうち1人しか割り当てられませんでした"


def test_a_helper_takes_no_more_requests_than_their_capacity():
    requests = [request(i, north_km=0.1 * i) for i in range(1, 5)]
    proposal = propose(requests, [helper(10, 0.0, capacity=2), helper(11, 5.0, capacity=2)])
    per_helper = [h for _r, h in assigned(proposal)]
    assert sorted(per_helper) == [10, 10, 11, 11]


def test_a_helper_with_no_capacity_left_is_not_matched():
    proposal = propose([request()], [helper(10, 0.1, capacity=0), helper(11, 2.0)])
    assert assigned(proposal) == [(1, 11)]


def test_continuity_prefers_the_past_helper_at_a_small_extra_distance():
    requests = [request(past_helpers=frozenset({11}))]
    helpers = [helper(10, 1.0), helper(11, 2.5)]  # 1.5 km further, bonus 3
    proposal = propose(requests, helpers)
    assert assigned(proposal) == [(1, 11)]
    assert "前回も担当" in texts(proposal.pairs[0].reasons)
    far = propose([request(past_helpers=frozenset({11}))], [helper(10, 1.0), helper(11, 6.0)])
    assert assigned(far) == [(1, 10)]


def test_load_balance_prefers_the_less_busy_of_two_equally_near_helpers():
    proposal = propose([request()], [helper(10, 1.0, load=8), helper(11, 1.0, load=1)])
    assert assigned(proposal) == [(1, 11)]


def test_pairs_carry_their_reasons_in_japanese():
    proposal = propose(
        [
            request(
                skills=frozenset({"移動支援"}),
                preferred_helpers=frozenset({10}),
                window=Window(at(10), at(11)),
            )
        ],
        [
            helper(
                10,
                1.2,
                skills=frozenset({"移動支援"}),
                load=3,
                availability=(Window(at(9), at(12)),),
            )
        ],
    )
    assert texts(proposal.pairs[0].reasons) == [
        "距離 1.2 km", "本人の希望", "必要なスキル: 移動支援", "希望の時間帯に活動可能", "今月の活動 3 件",
    ]  # fmt: skip


# ---- alternatives and shortlist ----


def test_alternatives_are_the_three_next_cheapest_helpers_in_order():
    helpers = [helper(10 + i, 0.5 + i) for i in range(6)]
    proposal = propose([request()], helpers)
    assert assigned(proposal) == [(1, 10)]
    alternatives = proposal.alternatives[1]
    assert [a.helper_id for a in alternatives] == [11, 12, 13]
    assert [a.cost for a in alternatives] == sorted(a.cost for a in alternatives)


def test_an_alternative_already_assigned_elsewhere_is_marked():
    proposal = propose([request(1), request(2, north_km=3.0)], [helper(10, 0.0), helper(11, 3.0)])
    alternative = proposal.alternatives[1][0]
    assert alternative.helper_id == 11
    assert "この提案でほかの依頼に割当済み" in texts(alternative.reasons)


def test_shortlist_ranks_feasible_helpers_by_cost_and_leaves_out_the_infeasible():
    helpers = [helper(10, 3.0), helper(11, 1.0, insured=False), helper(12, 2.0), helper(13, 4.0)]
    ranked = shortlist(request(past_helpers=frozenset({13})), helpers, n=2)
    assert [p.helper_id for p in ranked] == [13, 12]  # 4 km - 3 bonus beats 2 km
    assert [p.helper_id for p in shortlist(request(), helpers)] == [12, 10, 13]


def test_nothing_to_match_gives_an_empty_proposal():
    empty = propose([], [helper(10)])
    assert (empty.pairs, empty.unassigned, empty.alternatives, empty.total_cost) == (
        [],
        {},
        {},
        0.0,
    )
    assert shortlist(request(), []) == []
    assert greedy([], []).pairs == []


# ---- optimality against an independent bound and against today's rule ----


def random_instance(seed, n_requests, n_helpers, spread_km=8.0):
    rng = random.Random(seed)
    skills = ["移動支援", "家事", "傾聴", "買い物"]

    def point():
        return LAT + rng.uniform(0, spread_km) * KM, LON + rng.uniform(0, spread_km) * KM * 1.24

    requests = []
    for i in range(n_requests):
        lat, lon = point()
        start = at(rng.randint(8, 16))
        requests.append(RequestSlot(
            id=i, lat=lat, lon=lon, skills=frozenset(rng.sample(skills, rng.choice([0, 0, 1, 1, 2]))),
            area_id=rng.choice([None, None, 1, 2]), helpers_needed=rng.choice([1, 1, 1, 2]),
            window=rng.choice([None, Window(start, start + datetime.timedelta(hours=1))]),
            household=f"h{rng.randint(0, n_requests)}",
            past_helpers=frozenset(rng.sample(range(1000, 1000 + n_helpers), 1)) if rng.random() < 0.3 else frozenset(),
            excluded_helpers=frozenset(rng.sample(range(1000, 1000 + n_helpers), 1)) if rng.random() < 0.1 else frozenset(),
        ))  # fmt: skip
    helpers = []
    for i in range(n_helpers):
        lat, lon = point()
        helpers.append(HelperSlot(
            id=1000 + i, lat=lat, lon=lon, skills=frozenset(rng.sample(skills, rng.choice([1, 2, 3]))),
            area_ids=rng.choice([frozenset(), frozenset({1}), frozenset({2}), frozenset({1, 2})]),
            availability=rng.choice([(), (Window(at(8), at(18)),), (Window(at(9), at(12)), Window(at(13), at(17)))]),
            insured=rng.random() < 0.95, household=f"h{rng.randint(0, n_requests)}",
            capacity=rng.choice([0, 1, 1, 2]), load=rng.randint(0, 6),
            max_distance_km=rng.choice([None, 3.0, 6.0]),
        ))  # fmt: skip
    return requests, helpers


@pytest.mark.parametrize(
    ("seed", "n_requests", "n_helpers", "k"),
    [(1, 20, 15, None), (2, 60, 80, None), (3, 150, 100, None), (4, 300, 400, 8), (5, 500, 300, 5)],
)
def test_the_optimum_equals_the_lp_bound_and_is_no_worse_than_greedy(
    seed, n_requests, n_helpers, k
):
    requests, helpers = random_instance(seed, n_requests, n_helpers)
    proposal = propose(requests, helpers, k=k, bound=True)
    assert proposal.status == "OPTIMAL"
    assert proposal.lower_bound == pytest.approx(proposal.total_cost, abs=1e-6)
    recomputed = sum(p.cost for p in proposal.pairs) + 1000.0 * (
        sum(r.helpers_needed for r in requests) - len(proposal.pairs)
    )
    assert recomputed == pytest.approx(proposal.total_cost, abs=0.01 * len(requests))
    if k is None:  # greedy searches every helper; the optimum over all arcs can only be better
        assert proposal.total_cost <= greedy(requests, helpers).total_cost + 1e-6


def test_every_proposed_pair_passes_every_filter_and_no_helper_is_overbooked():
    requests, helpers = random_instance(7, 200, 150)
    proposal = propose(requests, helpers)
    by_id = {h.id: h for h in helpers}
    per_helper = {}
    for pair in proposal.pairs:
        per_helper[pair.helper_id] = per_helper.get(pair.helper_id, 0) + 1
        single = shortlist(
            next(r for r in requests if r.id == pair.request_id), [by_id[pair.helper_id]]
        )
        assert [p.helper_id for p in single] == [pair.helper_id]
    assert all(count <= by_id[h].capacity for h, count in per_helper.items())
    pairs = assigned(proposal)
    assert len(pairs) == len(set(pairs))


def test_greedy_takes_the_nearest_free_helper_in_request_order():
    # The optimum gives 10 to request 2 (who has no other choice); greedy gives it to request 1.
    requests = [request(1), request(2, north_km=0.1, skills=frozenset({"手話"}))]
    helpers = [helper(10, 0.05, skills=frozenset({"手話"})), helper(11, 2.0)]
    assert assigned(greedy(requests, helpers)) == [(1, 10)]
    assert assigned(propose(requests, helpers)) == [(1, 11), (2, 10)]


def test_sparse_candidates_keep_a_far_past_helper():
    helpers = [helper(10 + i, 0.1 * i) for i in range(30)] + [helper(99, 2.5)]
    proposal = propose(
        [request(past_helpers=frozenset({99}))], helpers, k=3, weights=Weights(continuity_bonus=5)
    )
    assert assigned(proposal) == [(1, 99)]


def test_large_batches_report_no_candidate_reasons_from_the_nearest_helpers():
    helpers = [helper(10 + i, 0.1 * i, skills=frozenset({"家事"})) for i in range(40)]
    requests = [request(1, skills=frozenset({"手話"})), request(2, household="h-1")]
    helpers += [helper(99, 0.0, household="h-1", skills=frozenset({"手話"}), capacity=0)]
    proposal = propose(requests, helpers, k=3)
    assert assigned(proposal) == [(2, 10)]
    assert str(proposal.unassigned[1]) == "候補なし: 条件に合う担い手に今回の受け入れ枠がありません"
