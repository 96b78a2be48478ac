"""The plan pages, as each persona sees them."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sasaeai.accounts.models import Role
from sasaeai.plans import demo, planfile, services
from sasaeai.plans.models import Evaluation, EvaluationStatus, Indicator, Plan, PlanNode
from tests.conftest import SYSTEM

SEEDS = Path("sasaeai/plans/seed_plans")


def load_seed(name: str, tenant_id: int, *, with_progress=True) -> Plan:
    document = planfile.load((SEEDS / name).read_text(encoding="utf-8"))
    plan = services.plan_import(actor=SYSTEM, tenant_id=tenant_id, document=document)
    if with_progress:
        demo.add_demo_progress(plan, today=datetime.date(2026, 11, 22))
    return plan


@pytest.fixture
def tokorozawa_in_a(world):
    return load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk)


def test_plan_list_shows_counts_per_level(world, tokorozawa_in_a):
    response = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER)).get("/plans/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "第4次所沢市地域福祉計画" in text
    assert "基本方針 3" in text and "基本施策 11" in text
    assert ">47<" in text


def test_plan_of_another_tenant_is_not_found(world):
    plan = load_seed("konosu-joint-4.yaml", world.tenant_b.pk, with_progress=False)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    assert client.get(f"/plans/{plan.pk}/dashboard/").status_code == 404


def test_roles_without_plan_access_are_refused(world, tokorozawa_in_a):
    for role in (Role.RESIDENT, Role.VOLUNTEER):
        response = world.client_for(world.user(role)).get(f"/plans/{tokorozawa_in_a.pk}/")
        assert response.status_code == 403


def test_tree_filters_priorities_and_keeps_their_path(world):
    plan = load_seed("okegawa-community-welfare-2.yaml", world.tenant_a.pk)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get(f"/plans/{plan.pk}/?priority=on&year=2025")
    text = response.content.decode()
    assert response.status_code == 200
    for action in (
        "市民参加型の地域づくり",
        "地域福祉活動への参加促進",
        "生活困窮者への支援",
        "包括的な相談支援体制の充実",
    ):
        assert action in text
    assert "情報提供の充実" not in text  # ⑫ is not a priority
    assert "市民・地域・行政等が協働で取り組むまち" in text  # the goal above ④ stays as context
    assert text.count('data-testid="node-row"') < plan.nodes.count()


def test_tree_filters_by_actor_and_theme(world):
    plan = load_seed("okegawa-community-welfare-2.yaml", world.tenant_a.pk)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    by_actor = client.get(f"/plans/{plan.pk}/?actor=citizens").content.decode()
    assert "市民参加型の地域づくり" in by_actor
    by_theme = client.get(f"/plans/{plan.pk}/?theme=相談支援").content.decode()
    assert "包括的な相談支援体制の充実" in by_theme


def test_node_page_shows_text_roles_and_evaluations(world):
    plan = load_seed("okegawa-community-welfare-2.yaml", world.tenant_a.pk)
    node = PlanNode.objects.get(plan=plan, label="⑬")
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/plans/{plan.pk}/nodes/{node.pk}/"
    )
    text = response.content.decode()
    assert "目標（目指す姿）" in text
    assert "重層的支援会議を開催し" in text
    assert "行政等" in text and "地域" in text
    assert 'data-testid="evaluations"' in text and "（デモ）" in text


def test_indicator_page_draws_chart_and_explains_the_figure(world, tokorozawa_in_a):
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    kept = Indicator.objects.get(
        plan=tokorozawa_in_a, name="総合的な学習の時間に福祉を取り上げている学校の割合"
    )
    text = client.get(
        f"/plans/{tokorozawa_in_a.pk}/indicators/{kept.pk}/?year=2024"
    ).content.decode()
    assert "83.0（39/47校）" in text  # the annotation is shown as printed
    rising = (
        Indicator.objects.filter(plan=tokorozawa_in_a, direction="increase")
        .exclude(baseline_value=None)
        .first()
    )
    text = client.get(
        f"/plans/{tokorozawa_in_a.pk}/indicators/{rising.pk}/?year=2024"
    ).content.decode()
    assert 'data-testid="indicator-chart"' in text and "<polyline" in text
    explanation = text[text.index('data-testid="explanation"') :]
    assert "−" in explanation and "÷" in explanation  # the formula with its numbers is on screen
    assert (
        f"{rising.baseline_value.normalize():,}" in explanation
        or str(rising.baseline_value.normalize()) in explanation
    )
    assert 'name="value"' not in text  # committee members only read


def test_staff_record_an_actual_with_annotation(world, tokorozawa_in_a):
    indicator = Indicator.objects.get(
        plan=tokorozawa_in_a, name="総合的な学習の時間に福祉を取り上げている学校の割合"
    )
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/plans/{tokorozawa_in_a.pk}/indicators/{indicator.pk}/"
    response = client.post(
        url, {"fiscal_year": 2026, "value": "95.7（45/47校）", "source": "教育委員会"}
    )
    assert response.status_code == 302
    actual = indicator.actuals.get(fiscal_year=2026)
    assert str(actual.value.normalize()) == "95.7" and actual.text == "95.7（45/47校）"
    bad = client.post(url, {"fiscal_year": 2026, "value": "未定"})
    assert bad.status_code == 200 and "未定" in bad.content.decode()
    assert indicator.actuals.get(fiscal_year=2026).text == "95.7（45/47校）"


def test_committee_member_cannot_record_an_actual(world, tokorozawa_in_a):
    indicator = Indicator.objects.filter(plan=tokorozawa_in_a).first()
    client = world.client_for(world.user(Role.PLAN_COMMITTEE_MEMBER))
    response = client.post(
        f"/plans/{tokorozawa_in_a.pk}/indicators/{indicator.pk}/",
        {"fiscal_year": 2025, "value": "1"},
    )
    assert response.status_code == 403


def test_dashboard_counts_statuses_and_grades(world, tokorozawa_in_a):
    text = (
        world.client_for(world.user(Role.MUNICIPAL_STAFF))
        .get(f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025")
        .content.decode()
    )
    assert 'data-testid="status-summary"' in text and 'data-testid="grade-summary"' in text
    assert text.count(f'href="/plans/{tokorozawa_in_a.pk}/indicators/') == 47


def test_evaluation_is_drafted_reviewed_by_another_and_locked(world):
    plan = load_seed("okegawa-community-welfare-2.yaml", world.tenant_a.pk, with_progress=False)
    node = PlanNode.objects.get(plan=plan, label="⑬")
    url = f"/plans/{plan.pk}/nodes/{node.pk}/evaluations/2025/"
    drafter = world.client_for(world.user(Role.COMMUNITY_SOCIAL_WORKER))
    assert (
        drafter.post(
            url, {"grade": "B", "results": "相談会を12回開催", "issues": "", "next_steps": ""}
        ).status_code
        == 302
    )
    reviewer = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    reviewer.post(url + "advance/")
    reviewer.post(url + "advance/")
    evaluation = Evaluation.objects.get(node=node, fiscal_year=2025)
    assert evaluation.status == EvaluationStatus.LOCKED
    refused = drafter.post(
        url, {"grade": "A", "results": "書き換え", "issues": "", "next_steps": ""}
    )
    assert "locked" in refused.content.decode() or "ロック" in refused.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.grade == "B"


def test_import_page_lists_every_problem_and_saves_nothing(world):
    bad = b"""format: sasaeai-plan/1
plan: {code: bad, title: t, kind: joint_plan, period: {start: 2025, end: 2029}}
levels: [{key: goal, name: G}, {key: action, name: A, under: goal}]
actors: [{key: city, name: City}]
nodes:
  - level: action
    label: "1"
    roles: {council: [x]}
    indicators:
      - {name: n, unit: u, direction: increase, baseline: {fiscal_year: 2024, value: 1}, targets: {2031: 5, 2029: "miss"}}
"""
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("bad.yaml", bad)})
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="problems"' in text
    assert text.count("<li><strong>") >= 4
    assert not Plan.objects.filter(code="bad").exists()


def test_import_page_saves_a_good_file(world):
    data = (SEEDS / "konosu-joint-4.yaml").read_bytes()
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("k.yaml", data)})
    assert response.status_code == 302
    assert Plan.objects.get(tenant=world.tenant_a, code="konosu-joint-4").nodes.count() == 28


def test_compare_by_theme_across_the_viewers_tenants(world):
    load_seed("okegawa-community-welfare-2.yaml", world.tenant_a.pk, with_progress=False)
    load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_b.pk, with_progress=False)
    from sasaeai.accounts import services as account_services

    officer = world.members[Role.MUNICIPAL_STAFF].user
    account_services.membership_add(
        actor=SYSTEM, user=officer, tenant=world.tenant_b, role=Role.MUNICIPAL_STAFF
    )
    client = world.client_for(officer)
    client.post("/accounts/tenant/", {"tenant": world.tenant_a.pk})
    text = client.get("/plans/compare/?theme=成年後見").content.decode()
    assert "第二次桶川市地域福祉計画" in text and "第4次所沢市地域福祉計画" in text
    assert "成年後見制度の推進" in text
    only_a = (
        world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
        .get("/plans/compare/?theme=成年後見")
        .content.decode()
    )
    assert "第4次所沢市地域福祉計画" not in only_a


def test_plan_exports_download(world, tokorozawa_in_a):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    for fmt in ("yaml", "json", "xlsx"):
        response = client.get(f"/plans/{tokorozawa_in_a.pk}/export.{fmt}")
        assert response.status_code == 200 and len(response.content) > 1000
    assert client.get(f"/plans/{tokorozawa_in_a.pk}/export.exe").status_code == 404


def test_admin_lists_plans_read_only_for_the_tenant(world, tokorozawa_in_a):
    load_seed("konosu-joint-4.yaml", world.tenant_b.pk, with_progress=False)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    text = client.get("/admin/plans/plan/").content.decode()
    assert "第4次所沢市地域福祉計画" in text and "鴻巣市" not in text
    assert client.get("/admin/plans/plan/add/").status_code == 403
    indicators = client.get("/admin/plans/indicator/?q=充足率").content.decode()
    assert "民生委員・児童委員の充足率" in indicators
