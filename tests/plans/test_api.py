"""The plans JSON API: lists with counts, tenants and roles, import with every problem listed,
actuals as printed, the evaluation review flow and its refusals, and the OpenAPI document."""

import copy
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import override

from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, services
from sasaeai.plans.models import (
    Evaluation,
    IndicatorActual,
    NodeTheme,
    Plan,
    PlanNode,
)
from tests.plans.test_pages import CSW, CSW_METRIC, csw_measured_by_its_metric, load_seed

ROOT = Path(__file__).resolve().parents[2]
TOKOROZAWA = ROOT / "sasaeai" / "plans" / "seed_plans" / "tokorozawa-community-welfare-4.yaml"

SMALL = {
    "format": "sasaeai-plan/1",
    "plan": {
        "code": "sample-plan",
        "title": "第1次サンプル市地域福祉計画",
        "kind": "community_welfare_plan",
        "period": {"start": 2025, "end": 2029},
        "review_points": [{"fiscal_year": 2027, "kind": "mid_term_review", "label": "中間見直し"}],
    },
    "levels": [
        {"key": "goal", "name": "基本目標"},
        {"key": "action", "name": "取組", "under": "goal", "evaluated": True},
    ],
    "actors": [{"key": "city", "name": "市"}, {"key": "residents", "name": "市民"}],
    "nodes": [
        {
            "level": "goal",
            "label": "1",
            "title": "つながりのある地域づくり",
            "sections": {"summary": "誰もがつながりを持てる地域をめざします。"},
            "children": [
                {
                    "level": "action",
                    "label": "①",
                    "title": "見守り活動の推進",
                    "priority": True,
                    "themes": ["見守り"],
                    "responsible": ["福祉総務課"],
                    "roles": {
                        "city": ["見守り協定を結ぶ事業者を増やします。"],
                        "residents": ["近所の人に声をかけましょう。"],
                    },
                    "indicators": [
                        {
                            "name": "学校における福祉教育の実施率",
                            "unit": "%",
                            "direction": "increase",
                            "baseline": {"fiscal_year": 2023, "value": "80.0（37/47校）"},
                            "targets": {"2029": 100},
                        }
                    ],
                },
                {"level": "action", "label": "②", "title": "居場所づくり"},
            ],
        }
    ],
}


def importer(tenant_id: int) -> Actor:
    return Actor(
        user_id=None, username="test-importer", tenant_id=tenant_id, membership_id=None, role=None
    )


def import_document(tenant_id: int, document: dict) -> Plan:
    with tenant_context(tenant_id):
        return services.plan_import(
            actor=importer(tenant_id), tenant_id=tenant_id, document=copy.deepcopy(document)
        )


def small_plan(world) -> Plan:
    return import_document(world.tenant_a.pk, SMALL)


def tokorozawa_plan(world) -> Plan:
    return import_document(world.tenant_b.pk, planfile.load(TOKOROZAWA.read_text("utf-8")))


def node(plan: Plan, ref: str) -> PlanNode:
    return PlanNode.objects.get(plan=plan, ref=ref)


def send(client, method: str, url: str, payload: dict | None = None):
    return getattr(client, method)(
        url, json.dumps(payload or {}, ensure_ascii=False), content_type="application/json"
    )


def evaluation_url(plan: Plan, action: PlanNode, year: int, step: str = "") -> str:
    url = f"/api/v1/plans/{plan.pk}/nodes/{action.pk}/evaluations/{year}"
    return f"{url}/{step}" if step else url


def test_list_carries_counts_per_level(world):
    plan = tokorozawa_plan(world)
    body = world.client_for(world.admin_b.user).get("/api/v1/plans").json()
    assert [p["code"] for p in body] == ["tokorozawa-community-welfare-4"]
    listed = body[0]
    assert listed["id"] == plan.pk
    assert listed["period"] == {"start": 2021, "end": 2026}
    assert listed["kind"] == "community_welfare_plan"
    counts = {
        level["level"]: (level["name"], level["count"]) for level in listed["counts"]["levels"]
    }
    assert counts["policy"] == ("基本方針", 3)
    assert counts["measure"] == ("基本施策", 11)
    assert listed["counts"]["indicators"] == 47
    assert listed["counts"]["nodes"] == sum(count for _name, count in counts.values())
    assert listed["counts"]["priority"] == PlanNode.objects.filter(plan=plan, priority=True).count()
    # 桶川市's staff do not see 所沢市's plan at all.
    assert world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/api/v1/plans").json() == []


def test_other_tenants_plan_is_404(world):
    plan = tokorozawa_plan(world)
    indicator = plan.indicators.first()
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    for path in ("", "/document", "/nodes", "/indicators", "/evaluations", "/progress"):
        response = client.get(f"/api/v1/plans/{plan.pk}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    response = send(
        client,
        "put",
        f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2024",
        {"value": 1},
    )
    assert response.status_code == 404
    assert not IndicatorActual.objects.filter(indicator=indicator, fiscal_year=2024).exists()


def test_indicator_of_another_plan_is_404(world):
    plan = small_plan(world)
    other = import_document(
        world.tenant_a.pk, {**SMALL, "plan": {**SMALL["plan"], "code": "other"}}
    )
    indicator = other.indicators.get()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2025"
    assert send(client, "put", url, {"value": 1}).status_code == 404


def test_committee_member_can_read_but_cannot_record_actuals(world):
    plan = small_plan(world)
    indicator = plan.indicators.get()
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    for path in ("", "/document", "/nodes", "/indicators", "/evaluations", "/progress"):
        assert client.get(f"/api/v1/plans/{plan.pk}{path}").status_code == 200, path
    response = send(
        client,
        "put",
        f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2025",
        {"value": 90},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not IndicatorActual.objects.exists()


def test_resident_may_not_read_plans(world):
    plan = small_plan(world)
    client = world.client_for(world.user(Role.RESIDENT))
    assert client.get("/api/v1/plans").status_code == 403
    assert client.get(f"/api/v1/plans/{plan.pk}").status_code == 403


def test_plan_detail_has_levels_actors_grades_and_review_points(world):
    plan = small_plan(world)
    body = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(f"/api/v1/plans/{plan.pk}").json()
    assert [level["key"] for level in body["levels"]] == ["goal", "action"]
    assert body["levels"][1]["under"] == "goal" and body["levels"][1]["evaluated"] is True
    assert body["actors"] == [{"key": "city", "name": "市"}, {"key": "residents", "name": "市民"}]
    assert [g["grade"] for g in body["grades"]] == ["A", "B", "C", "D"]
    assert body["review_points"] == [
        {"fiscal_year": 2027, "kind": "mid_term_review", "label": "中間見直し"}
    ]
    assert body["fiscal_years"] == [2025, 2026, 2027, 2028, 2029]
    assert body["counts"]["levels"] == [
        {"level": "goal", "name": "基本目標", "count": 1},
        {"level": "action", "name": "取組", "count": 2},
    ]


def test_import_creates_the_plan_and_refuses_a_taken_code_unless_replacing(world):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = send(client, "post", "/api/v1/plans/import", SMALL)
    assert response.status_code == 201
    plan = Plan.objects.get(pk=response.json()["id"])
    assert plan.tenant_id == world.tenant_a.pk
    assert response.json()["counts"]["indicators"] == 1

    again = send(client, "post", "/api/v1/plans/import", SMALL)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "plan_exists"
    assert "sample-plan" in again.json()["error"]["message"]
    assert list(Plan.objects.values_list("pk", flat=True)) == [plan.pk]


def test_import_with_replace_swaps_the_plan(world):
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    assert send(client, "post", "/api/v1/plans/import", SMALL).status_code == 201
    retitled = {**SMALL, "plan": {**SMALL["plan"], "title": "改定版"}}
    replaced = send(client, "post", "/api/v1/plans/import?replace=true", retitled)
    assert replaced.status_code == 201
    assert list(Plan.objects.values_list("title", flat=True)) == ["改定版"]


def test_committee_member_cannot_import(world):
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    assert send(client, "post", "/api/v1/plans/import", SMALL).status_code == 403
    assert not Plan.objects.exists()


def test_import_of_a_malformed_document_returns_422_with_every_problem_listed(world):
    document = copy.deepcopy(SMALL)
    goal = document["nodes"][0]
    first = goal["children"][0]
    first["roles"]["council"] = ["社協が支えます。"]  # unknown actor
    first["indicators"][0]["baseline"]["value"] = "未定"  # no number, no annotation
    first["indicators"][0]["targets"]["2031"] = 120  # after the period ends
    goal["children"][1]["label"] = "①"  # the same label as its sibling…
    goal["children"][1]["ref"] = "second"  # …(with its own ref, so only the label clashes)
    goal["children"].append({"level": "goal", "label": "③", "title": "階層違い"})  # wrong level
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))

    response = send(client, "post", "/api/v1/plans/import", document)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    assert set(error["fields"]) == {
        "nodes[0].children[0].roles.council",
        "nodes[0].children[0].indicators[0].baseline.value",
        "nodes[0].children[0].indicators[0].targets.2031",
        "nodes[0].children[1].label",
        "nodes[0].children[2].level",
    }
    assert all(len(messages) == 1 for messages in error["fields"].values())
    assert "council" in error["fields"]["nodes[0].children[0].roles.council"][0]
    assert "未定" in error["fields"]["nodes[0].children[0].indicators[0].baseline.value"][0]
    assert "2031" in error["fields"]["nodes[0].children[0].indicators[0].targets.2031"][0]
    assert "①" in error["fields"]["nodes[0].children[1].label"][0]
    assert "基本目標" in error["fields"]["nodes[0].children[2].level"][0]
    assert not Plan.objects.exists()
    assert not PlanNode.objects.exists()


def test_import_of_a_document_of_the_wrong_shape_names_the_places(world):
    document = copy.deepcopy(SMALL)
    del document["plan"]["title"]
    document["nodes"][0]["children"][0]["indicators"][0]["direction"] = "sideways"
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = send(client, "post", "/api/v1/plans/import", document)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "plan",
        "nodes[0].children[0].indicators[0].direction",
    }
    assert not Plan.objects.exists()


def test_exported_document_imports_as_the_same_plan(world):
    plan = small_plan(world)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    document = client.get(f"/api/v1/plans/{plan.pk}/document").json()
    assert document["format"] == planfile.FORMAT
    assert planfile.check(document, lambda path: "") == []
    copied = {**document, "plan": {**document["plan"], "code": "sample-plan-copy"}}
    response = send(client, "post", "/api/v1/plans/import", copied)
    assert response.status_code == 201
    again = client.get(f"/api/v1/plans/{response.json()['id']}/document").json()
    assert again == copied
    assert AuditEntry.objects.filter(action="export", object_type="plans.plan").count() == 2


def test_nodes_come_in_tree_order_with_text_and_roles(world):
    plan = small_plan(world)
    body = (
        world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
        .get(f"/api/v1/plans/{plan.pk}/nodes")
        .json()
    )
    assert [(n["ref"], n["depth"]) for n in body] == [("1", 0), ("1/①", 1), ("1/②", 1)]
    goal, first, _second = body
    assert first["parent_id"] == goal["id"] and goal["parent_id"] is None
    assert first["level"] == "action" and first["priority"] is True
    assert first["roles"] == {
        "city": ["見守り協定を結ぶ事業者を増やします。"],
        "residents": ["近所の人に声をかけましょう。"],
    }
    assert goal["sections"][0]["kind"] == "summary"
    assert goal["sections"][0]["text"] == "誰もがつながりを持てる地域をめざします。"
    assert goal["sections"][0]["heading"]


def test_node_edit_changes_title_themes_and_priority_and_is_audited(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/nodes/{action.pk}"

    response = send(
        client, "patch", url, {"title": "見守り活動の充実", "themes": [" 見守り", "防災", "防災"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "見守り活動の充実"
    assert body["themes"] == ["見守り", "防災"]
    assert body["priority"] is True  # not sent, not changed
    assert set(NodeTheme.objects.filter(node=action).values_list("name", flat=True)) == {
        "見守り",
        "防災",
    }
    entry = AuditEntry.objects.filter(object_type="plans.plannode").latest("sequence")
    assert entry.detail["changes"]["title"] == {
        "from": "見守り活動の推進",
        "to": "見守り活動の充実",
    }
    committee = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    assert send(committee, "patch", url, {"priority": False}).status_code == 403


def test_actual_with_annotation_keeps_its_text_and_number(world):
    plan = small_plan(world)
    indicator = plan.indicators.get()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2025"

    response = send(client, "put", url, {"value": "83.0（39/47校）", "source": "学校教育課調べ"})

    assert response.status_code == 200
    body = response.json()
    assert body["value"] == 83.0
    assert body["text"] == "83.0（39/47校）"
    assert body["annotation"] == "39/47校"
    assert body["source"] == "学校教育課調べ"
    indicators = client.get(f"/api/v1/plans/{plan.pk}/indicators", {"fiscal_year": 2025}).json()
    listed = indicators[0]
    assert listed["baseline"] == {
        "fiscal_year": 2023,
        "value": 80.0,
        "text": "80.0（37/47校）",
        "annotation": "37/47校",
    }
    assert listed["targets"][0]["fiscal_year"] == 2029 and listed["targets"][0]["value"] == 100
    assert listed["actuals"][0]["text"] == "83.0（39/47校）"
    assert listed["actuals"][0]["value"] == 83.0
    assessment = listed["assessment"]
    assert assessment["fiscal_year"] == 2025
    assert assessment["actual"] == 83.0
    assert assessment["achievement_percent"] == 15.0  # (83 − 80) ÷ (100 − 80)
    assert assessment["status"] in {"on_track", "behind"}
    assert assessment["steps"]


def test_actual_without_a_number_is_refused_and_outside_the_period_too(world):
    plan = small_plan(world)
    indicator = plan.indicators.get()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    base = f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals"
    for value in ("集計中", True, None):
        response = send(client, "put", f"{base}/2025", {"value": value})
        assert response.status_code == 422, value
        assert list(response.json()["error"]["fields"]) == ["value"], value
    response = send(client, "put", f"{base}/2035", {"value": 90})
    assert response.status_code == 422
    assert "fiscal_year" in response.json()["error"]["fields"]
    assert not IndicatorActual.objects.exists()


def _draft_review_lock(world, plan, action, year=2025):
    drafter = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    payload = {"grade": "B", "results": "協定事業者が3社増えた。", "issues": "", "next_steps": ""}
    assert send(drafter, "put", evaluation_url(plan, action, year), payload).status_code == 200
    reviewer = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    reviewed = send(reviewer, "post", evaluation_url(plan, action, year, "advance"))
    assert reviewed.json()["status"] == "reviewed"
    locker = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    locked = send(locker, "post", evaluation_url(plan, action, year, "advance"))
    assert locked.json()["status"] == "locked"
    return drafter, payload


def test_locked_evaluation_edit_refused_with_reason(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    drafter, payload = _draft_review_lock(world, plan, action)

    response = send(drafter, "put", evaluation_url(plan, action, 2025), {**payload, "grade": "A"})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "evaluation_locked"
    # The service's own reason, as the ja catalogue renders it, naming who locked it.
    evaluation = Evaluation.objects.get(node=action, fiscal_year=2025)
    with (
        override("ja"),
        tenant_context(world.tenant_a.pk),
        pytest.raises(PermissionDenied) as refused,
    ):
        services.evaluation_save(
            actor=importer(world.tenant_a.pk), node=action, fiscal_year=2025, grade="A"
        )
    assert error["message"] == str(refused.value)
    assert world.user(Role.WELFARE_COUNCIL_STAFF).username in error["message"]
    assert Evaluation.objects.get(pk=evaluation.pk).grade == "B"


def test_drafter_cannot_review_own_evaluation(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert send(staff, "put", evaluation_url(plan, action, 2025), {"grade": "C"}).status_code == 200

    response = send(staff, "post", evaluation_url(plan, action, 2025, "advance"))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "own_draft"
    assert error["message"]
    assert Evaluation.objects.get(node=action).status == "draft"
    # Someone else may review it.
    other = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    assert send(other, "post", evaluation_url(plan, action, 2025, "advance")).status_code == 200


def test_social_worker_drafts_but_may_not_review(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert send(staff, "put", evaluation_url(plan, action, 2025), {"grade": "A"}).status_code == 200
    worker = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    response = send(worker, "post", evaluation_url(plan, action, 2025, "advance"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_evaluation_rules_give_422(world):
    plan = small_plan(world)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    goal, action = node(plan, "1"), node(plan, "1/①")
    response = send(client, "put", evaluation_url(plan, action, 2025), {"grade": "S"})
    assert response.status_code == 422 and "grade" in response.json()["error"]["fields"]
    response = send(client, "put", evaluation_url(plan, goal, 2025), {"grade": "A"})
    assert response.status_code == 422 and "node" in response.json()["error"]["fields"]
    assert not Evaluation.objects.exists()


def test_reopen_needs_the_administrator_and_a_reason(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    _draft_review_lock(world, plan, action)
    url = evaluation_url(plan, action, 2025, "reopen")
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert send(staff, "post", url, {"reason": "誤記"}).status_code == 403
    admin = world.client_for(world.user(Role.SYSTEM_ADMIN))
    blank = send(admin, "post", url, {"reason": "  "})
    assert blank.status_code == 422 and "reason" in blank.json()["error"]["fields"]
    response = send(admin, "post", url, {"reason": "実績の誤記を訂正するため"})
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert response.json()["locked_by"] == ""


def test_evaluations_and_progress_of_a_year(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    send(client, "put", evaluation_url(plan, action, 2025), {"grade": "B"})
    send(client, "put", evaluation_url(plan, action, 2026), {"grade": "D"})
    indicator = plan.indicators.get()
    send(
        client,
        "put",
        f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2025",
        {"value": 100},
    )

    listed = client.get(f"/api/v1/plans/{plan.pk}/evaluations", {"fiscal_year": 2025}).json()
    assert [(e["node_ref"], e["grade"], e["grade_label"]) for e in listed] == [
        ("1/①", "B", "おおむね計画どおり進んでいる")
    ]
    assert len(client.get(f"/api/v1/plans/{plan.pk}/evaluations").json()) == 2

    progress = client.get(f"/api/v1/plans/{plan.pk}/progress", {"fiscal_year": 2025}).json()
    assert progress["fiscal_year"] == 2025
    assert progress["total"]["statuses"]["achieved"] == 1
    assert progress["total"]["grades"] == {"A": 0, "B": 1, "C": 0, "D": 0}
    assert progress["total"]["mean_grade"] == "B"
    assert progress["total"]["status"] == "achieved"
    by_ref = {n["ref"]: n for n in progress["nodes"]}
    assert by_ref["1"]["grades"]["B"] == 1  # rolled up from its action
    assert by_ref["1/①"]["evaluation_grade"] == "B"
    assert by_ref["1/②"]["evaluation_grade"] is None and by_ref["1/②"]["status"] is None
    outside = client.get(f"/api/v1/plans/{plan.pk}/progress", {"fiscal_year": 2040})
    assert outside.status_code == 422


def test_openapi_document_lists_the_plans_paths(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}",
        "/api/v1/plans/import",
        "/api/v1/plans/{plan_id}/document",
        "/api/v1/plans/{plan_id}/nodes",
        "/api/v1/plans/{plan_id}/nodes/{node_id}",
        "/api/v1/plans/{plan_id}/indicators",
        "/api/v1/plans/{plan_id}/indicators/{indicator_id}/actuals/{fiscal_year}",
        "/api/v1/plans/{plan_id}/evaluations",
        "/api/v1/plans/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}",
        "/api/v1/plans/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}/advance",
        "/api/v1/plans/{plan_id}/nodes/{node_id}/evaluations/{fiscal_year}/reopen",
        "/api/v1/plans/{plan_id}/progress",
    ):
        assert path in paths, path
    assert paths["/api/v1/plans"]["get"]["tags"] == ["plans"]
    assert "patch" in paths["/api/v1/plans/{plan_id}/nodes/{node_id}"]


def test_null_in_a_node_patch_is_a_422_not_a_server_error(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/nodes/{action.pk}"
    for field in ("title", "themes", "responsible", "priority"):
        response = send(client, "patch", url, {field: None})
        assert response.status_code == 422, field
        assert list(response.json()["error"]["fields"]) == [field], field
    action.refresh_from_db()
    assert action.title == "見守り活動の推進"


def test_nul_in_a_node_field_is_a_422_not_a_server_error(world):
    plan = small_plan(world)
    action = node(plan, "1/①")
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/nodes/{action.pk}"
    for payload in ({"title": "見守り\u0000"}, {"themes": ["防災\u0000"]}):
        response = send(client, "patch", url, payload)
        assert response.status_code == 422, payload
        assert response.json()["error"]["code"] == "validation_error"


def test_an_actual_too_large_to_store_is_a_422_on_value(world):
    plan = small_plan(world)
    indicator = plan.indicators.get()
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/api/v1/plans/{plan.pk}/indicators/{indicator.pk}/actuals/2025"
    for value in (1e30, "1e30", -1e30):
        response = send(client, "put", url, {"value": value})
        assert response.status_code == 422, value
        assert list(response.json()["error"]["fields"]) == ["value"], value
    assert not IndicatorActual.objects.exists()


def test_indicators_api_gives_the_metric_name_and_the_baseline_text_beside_the_raw_figures(
    world,
):
    plan = load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk)
    csw_measured_by_its_metric(plan, 1362)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/api/v1/plans/{plan.pk}/indicators?fiscal_year=2025")
    assert response.status_code == 200
    (item,) = [i for i in response.json() if i["name"] == CSW]
    assert item["metric_key"] == CSW_METRIC
    assert item["metric_label"] and item["metric_label"] != CSW_METRIC
    assert item["assessment"]["below_baseline"] is True
    assert item["assessment"]["achievement_percent"] < 0  # the raw ratio stays for machines
    assert "1,362" in item["assessment"]["achievement_display"]
