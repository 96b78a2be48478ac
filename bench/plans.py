"""A generated plan at the size the issue names: 2,000 nodes, 500 indicators, 10 fiscal years,
with actuals and evaluations for every year, written as a plan document and imported."""

import random

from sasaeai.plans.models import DEFAULT_GRADES

START, YEARS = 2021, 10


def plan_document(*, nodes: int = 2000, indicators: int = 500, seed: int = 7) -> dict:
    rng = random.Random(seed)
    goals, policies, measures = 10, 40, 200
    actions = nodes - goals - policies - measures
    levels = [
        {"key": "goal", "name": "基本目標"},
        {"key": "policy", "name": "基本施策", "under": "goal"},
        {"key": "measure", "name": "施策", "under": "policy"},
        {"key": "action", "name": "取組事項", "under": "measure", "evaluated": True},
    ]
    actors = [
        {"key": "city", "name": "市"},
        {"key": "council", "name": "社協"},
        {"key": "residents", "name": "市民"},
    ]
    themes = ["相談支援", "担い手", "見守り", "居場所", "防災", "成年後見", "再犯防止", "生活困窮"]
    measure_nodes, action_nodes = [], []
    tree = []
    for g in range(goals):
        goal = {"level": "goal", "label": f"G{g + 1}", "title": f"基本目標{g + 1}", "children": []}
        tree.append(goal)
        for p in range(policies // goals):
            policy = {
                "level": "policy",
                "label": f"P{p + 1}",
                "title": f"基本施策{g + 1}-{p + 1}",
                "children": [],
            }
            goal["children"].append(policy)
            for m in range(measures // policies):
                measure = {
                    "level": "measure",
                    "label": f"M{m + 1}",
                    "title": f"施策{g + 1}-{p + 1}-{m + 1}",
                    "children": [],
                }
                policy["children"].append(measure)
                measure_nodes.append(measure)
    for a in range(actions):
        measure = measure_nodes[a % len(measure_nodes)]
        action = {
            "level": "action", "label": f"A{len(measure['children']) + 1}", "title": f"取組事項{a + 1}",
            "priority": a % 25 == 0, "themes": rng.sample(themes, 2),
            "sections": {"desired_state": [f"目指す姿{a + 1}"], "main_activities": ["活動1", "活動2"]},
            "roles": {"city": ["支援します。"], "residents": ["参加しましょう。"]},
            "evaluations": {
                str(START + y): {"grade": rng.choice("ABCD"), "results": "実施した。", "status": "locked"}
                for y in range(YEARS)
            },
        }  # fmt: skip
        measure["children"].append(action)
        action_nodes.append(action)
    for i in range(indicators):
        node = action_nodes[i * len(action_nodes) // indicators]
        baseline = rng.randint(50, 5000)
        target = int(baseline * rng.uniform(1.05, 1.5))
        node.setdefault("indicators", []).append({
            "name": f"指標{i + 1}", "unit": "件", "direction": "increase",
            "baseline": {"fiscal_year": START - 1, "value": baseline},
            "targets": {str(START + 4): (baseline + target) // 2, str(START + YEARS - 1): target},
            "actuals": {str(START + y): {"value": int(baseline + (target - baseline) * (y + 1) / YEARS * rng.uniform(0.8, 1.1))}
                        for y in range(YEARS)},
        })  # fmt: skip
    return {
        "format": "sasaeai-plan/1",
        "plan": {"code": "bench-plan", "title": "ベンチマーク市地域福祉計画", "kind": "community_welfare_plan",
                 "period": {"start": START, "end": START + YEARS - 1}},
        "levels": levels, "actors": actors, "grades": DEFAULT_GRADES, "nodes": tree,
    }  # fmt: skip


def public_progress_benchmarks(*, actor, plan_id: int, anonymous, get, timed, repeat: int):
    """The public progress page of the generated plan (/progress/<tenant code>/bench-plan/),
    without login: rendered afresh (cache emptied before each request) and from the cache."""
    from django.core.cache import cache

    from sasaeai.core.tenancy import tenant_context
    from sasaeai.plans import services
    from sasaeai.plans.models import Plan

    with tenant_context(actor.tenant_id):
        plan = Plan.objects.select_related("tenant").get(pk=plan_id)
        services.plan_publication_set(actor=actor, plan=plan, public_progress=True)
    url = f"/progress/{plan.tenant.code}/{plan.code}/"
    fetch = get(anonymous, url)

    def uncached():
        cache.clear()
        fetch()

    return [
        ("plans: public progress page, 2,000 nodes, uncached (GET /progress/C/P/)", timed(uncached, repeat)),
        ("plans: public progress page, 2,000 nodes, cached", timed(fetch, repeat)),
    ]  # fmt: skip
