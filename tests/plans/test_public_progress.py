"""Public plan progress: /progress/<tenant code>/<plan code>/, read by anyone without login."""

import datetime
import re
import time
from pathlib import Path

import pytest
from django.test import Client
from django.utils.translation import override

from sasaeai.accounts.models import Role, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import demo, planfile, services
from sasaeai.plans.models import Evaluation, EvaluationStatus, Plan, PublicEvaluations
from tests.conftest import SYSTEM

SEEDS = Path("sasaeai/plans/seed_plans")
TODAY = datetime.date(2026, 11, 22)


def load_seed(name: str, tenant_id: int) -> Plan:
    document = planfile.load((SEEDS / name).read_text(encoding="utf-8"))
    with tenant_context(tenant_id):
        plan = services.plan_import(actor=SYSTEM, tenant_id=tenant_id, document=document)
        demo.add_demo_progress(plan, today=TODAY)
    return plan


def publish(plan: Plan, **options) -> Plan:
    with tenant_context(plan.tenant_id):
        return services.plan_publication_set(
            actor=SYSTEM, plan=plan, public_progress=True, **options
        )


def url(plan: Plan) -> str:
    return f"/progress/{plan.tenant.code}/{plan.code}/"


@pytest.fixture
def plan(world):
    return load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk)


@pytest.fixture
def anonymous():
    return Client()


def test_an_unpublished_plan_is_not_found(plan, anonymous):
    assert anonymous.get(url(plan)).status_code == 404
    assert plan.code not in anonymous.get(f"/progress/{plan.tenant.code}/").content.decode()


def test_an_unknown_city_is_not_found(world, anonymous):
    assert anonymous.get("/progress/999999/").status_code == 404
    assert anonymous.get("/progress/999999/some-plan/").status_code == 404


def test_a_published_plan_is_shown_without_login(plan, anonymous):
    publish(plan)
    listing = anonymous.get(f"/progress/{plan.tenant.code}/")
    assert listing.status_code == 200 and url(plan) in listing.content.decode()
    with override("ja"):
        response = anonymous.get(url(plan))
    assert response.status_code == 200
    text = response.content.decode()
    assert plan.title in text
    assert 'data-testid="public-tree"' in text and "<caption>" in text
    node = plan.nodes.filter(indicators__isnull=False).first()
    page = anonymous.get(f"{url(plan)}nodes/{node.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="indicator-chart"' in body and "<title id=" in body
    assert not re.search(r'(src|href)="https?://', body)


def test_a_node_of_another_plan_is_not_found(world, plan, anonymous):
    publish(plan)
    other = load_seed("konosu-joint-4.yaml", world.tenant_a.pk)
    node = other.nodes.first()
    assert anonymous.get(f"{url(plan)}nodes/{node.pk}/").status_code == 404


def test_draft_evaluations_are_never_shown(plan, anonymous):
    evaluations = Evaluation.objects.filter(node__plan=plan)
    draft = evaluations.filter(status=EvaluationStatus.DRAFT).first()
    assert draft is not None
    draft.results = "下書きの秘密の実績"
    draft.save()
    locked = evaluations.filter(status=EvaluationStatus.LOCKED).first()
    locked.results = "確定した実績の文"
    locked.save()
    publish(plan, public_year=draft.fiscal_year)
    draft_page = anonymous.get(f"{url(plan)}nodes/{draft.node_id}/").content.decode()
    assert "下書きの秘密の実績" not in draft_page
    locked_page = anonymous.get(f"{url(plan)}nodes/{locked.node_id}/").content.decode()
    assert "確定した実績の文" in locked_page
    # No draft's grade counts in the tree either: every grade shown is of a final evaluation.
    tree = anonymous.get(url(plan)).content.decode()
    assert "下書きの秘密の実績" not in tree
    publish(plan, public_evaluations=PublicEvaluations.NONE)
    assert (
        "確定した実績の文"
        not in anonymous.get(f"{url(plan)}nodes/{locked.node_id}/").content.decode()
    )


def test_no_staff_name_or_internal_field_is_shown(world, plan, anonymous):
    staff = world.user(Role.MUNICIPAL_STAFF)
    staff.display_name = "職員太郎"
    staff.save()
    reviewer = world.user(Role.SYSTEM_ADMIN)
    reviewer.display_name = "審査花子"
    reviewer.save()
    node = plan.nodes.filter(level__evaluated=True).first()
    indicator = plan.indicators.first()
    with tenant_context(plan.tenant_id):
        actor = Actor(
            user_id=staff.pk, username=staff.username, tenant_id=plan.tenant_id,
            membership_id=None, role=Role.MUNICIPAL_STAFF,
        )  # fmt: skip
        evaluation = services.evaluation_save(
            actor=actor, node=node, fiscal_year=2025, grade="A", results="公開される実績"
        )
        review = Actor(
            user_id=reviewer.pk, username=reviewer.username, tenant_id=plan.tenant_id,
            membership_id=None, role=Role.SYSTEM_ADMIN,
        )  # fmt: skip
        services.evaluation_advance(actor=review, evaluation=evaluation)
        services.evaluation_advance(actor=review, evaluation=evaluation)
        services.actual_record(
            actor=actor, indicator=indicator, fiscal_year=2025, value="12",
            source="内部の出典メモ", note="内部メモ：担当者確認済み",
        )  # fmt: skip
    publish(plan, public_year=2025)
    pages = [
        anonymous.get(f"/progress/{plan.tenant.code}/"),
        anonymous.get(url(plan)),
        anonymous.get(f"{url(plan)}nodes/{node.pk}/"),
        anonymous.get(f"{url(plan)}nodes/{indicator.node_id}/"),
    ]
    html = "".join(page.content.decode() for page in pages)
    assert "公開される実績" in html
    for user in User.objects.all():
        assert user.username not in html, user.username
        if user.display_name:
            assert user.display_name not in html, user.display_name
    for secret in (
        "demo-loader",
        "demo-reviewer",
        "内部の出典メモ",
        "内部メモ",
        "drafted_by",
        "reviewed_by",
    ):
        assert secret not in html


def test_another_citys_code_shows_only_its_own_plans(world, plan, anonymous):
    publish(plan)
    other = load_seed("konosu-joint-4.yaml", world.tenant_b.pk)
    publish(other)
    listing = anonymous.get(f"/progress/{world.tenant_b.code}/").content.decode()
    assert other.title in listing and plan.title not in listing
    wrong_city = f"/progress/{world.tenant_b.code}/{plan.code}/"
    assert anonymous.get(wrong_city).status_code == 404
    node = plan.nodes.first()
    assert (
        anonymous.get(f"/progress/{world.tenant_b.code}/{other.code}/nodes/{node.pk}/").status_code
        == 404
    )


def test_publishing_requires_manage_plan_and_is_audited(world, plan):
    data = {"public_progress": "on", "public_year": "", "public_evaluations": "locked"}
    for role in (Role.PLAN_COMMITTEE_MEMBER, Role.COMMUNITY_SOCIAL_WORKER):
        response = world.client_for(world.user(role)).post(f"/plans/{plan.pk}/publication/", data)
        assert response.status_code == 403
    plan.refresh_from_db()
    assert not plan.public_progress
    planner = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert 'data-testid="publication-form"' in planner.get(f"/plans/{plan.pk}/").content.decode()
    response = planner.post(f"/plans/{plan.pk}/publication/", data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.public_progress and plan.public_evaluations == "locked"
    entry = AuditEntry.objects.filter(object_id=str(plan.pk)).order_by("-pk").first()
    assert entry is not None and "publication" in entry.detail
    assert Client().get(url(plan)).status_code == 200
    planner.post(f"/plans/{plan.pk}/publication/", {"public_evaluations": "reviewed"})
    assert Client().get(url(plan)).status_code == 404


def test_the_cached_page_follows_new_actuals_and_evaluations(
    plan, anonymous, django_capture_on_commit_callbacks
):
    publish(plan, public_year=2024)
    indicator = plan.indicators.filter(metric_key="", targets__value__isnull=False).first()
    first = anonymous.get(url(plan)).content.decode()
    with tenant_context(plan.tenant_id), django_capture_on_commit_callbacks(execute=True):
        services.actual_record(
            actor=SYSTEM, indicator=indicator, fiscal_year=2024, value="987654321"
        )
    second = anonymous.get(url(plan)).content.decode()
    assert "987654321" not in first and "987654321" in second


def test_query_count_is_bounded_on_the_benchmark_plan(
    world, anonymous, django_assert_max_num_queries
):
    from bench.plans import plan_document

    document = plan_document()
    with tenant_context(world.tenant_a.pk):
        plan = services.plan_import(actor=SYSTEM, tenant_id=world.tenant_a.pk, document=document)
    publish(plan, public_year=2028)
    started = time.perf_counter()
    # tree, tenant, plan; on PostgreSQL the RLS setting; +2: the public navigation's "is a plan
    # published?" and "is a notice published?" (core.public_site: one small query per page
    # that may have nothing to show)
    with django_assert_max_num_queries(15):
        response = anonymous.get(url(plan))
    assert response.status_code == 200
    assert response.content.decode().count('class="depth-') == 2000
    assert time.perf_counter() - started < 30
    with django_assert_max_num_queries(6):  # cached: the tenant, the plan, the navigation (+ RLS)
        assert anonymous.get(url(plan)).status_code == 200


def test_actuals_after_the_published_year_are_not_shown(plan, anonymous):
    indicator = plan.indicators.filter(metric_key="").first()
    with tenant_context(plan.tenant_id):
        services.actual_record(actor=SYSTEM, indicator=indicator, fiscal_year=2025, value="7777777")
    publish(plan, public_year=2024)
    page = anonymous.get(f"{url(plan)}nodes/{indicator.node_id}/").content.decode()
    assert "7,777,777" not in page and "7777777" not in page
    publish(plan, public_year=2025)
    page = anonymous.get(f"{url(plan)}nodes/{indicator.node_id}/").content.decode()
    assert "7,777,777" in page


def test_the_cached_page_follows_a_review(plan, anonymous, django_capture_on_commit_callbacks):
    draft = Evaluation.objects.filter(node__plan=plan, status=EvaluationStatus.DRAFT).first()
    publish(plan, public_year=draft.fiscal_year)
    before = anonymous.get(url(plan)).content.decode()
    reviewer = Actor(
        user_id=None, username="reviewer-x", tenant_id=plan.tenant_id, membership_id=None,
        role=Role.SYSTEM_ADMIN,
    )  # fmt: skip
    with tenant_context(plan.tenant_id), django_capture_on_commit_callbacks(execute=True):
        services.evaluation_advance(actor=reviewer, evaluation=draft)
    after = anonymous.get(url(plan)).content.decode()
    assert before.count('class="badge grade"') + 1 == after.count('class="badge grade"')
