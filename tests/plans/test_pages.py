"""The plan pages, as each persona sees them."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from pypdf import PdfReader

from sasaeai.accounts.models import Role
from sasaeai.core import metrics
from sasaeai.plans import demo, planfile, selectors, services
from sasaeai.plans.models import (
    Evaluation,
    EvaluationStatus,
    Indicator,
    IndicatorActual,
    Plan,
    PlanNode,
)
from tests.conftest import SYSTEM
from tests.jobs.helpers import report_bytes

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


# --- dashboards that read true (issue 11, item 18) --------------------------------------

CSW = "コミュニティソーシャルワーカー（ＣＳＷ）による総合的福祉相談支援件数"
CSW_METRIC = "consultation.csw_support_count"


def csw_measured_by_its_metric(plan: Plan, value: int, year: int = 2025) -> Indicator:
    """The CSW indicator bound to its metric, with a first count far below the baseline."""
    indicator = Indicator.objects.get(plan=plan, name=CSW)
    indicator.metric_key = CSW_METRIC
    indicator.save(update_fields=["metric_key"])
    IndicatorActual.objects.update_or_create(
        indicator=indicator, fiscal_year=year,
        defaults={"tenant_id": plan.tenant_id, "value": value, "source": f"metric:{CSW_METRIC}"},
    )  # fmt: skip
    return indicator


def metric_label_ja(key: str) -> str:
    with override("ja"):
        return str(metrics.get(key).label)


def test_dashboard_shows_below_the_baseline_instead_of_a_huge_negative_percentage(
    world, tokorozawa_in_a
):
    csw_measured_by_its_metric(tokorozawa_in_a, 1362)
    text = (
        world.client_for(world.user(Role.MUNICIPAL_STAFF))
        .get(f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025")
        .content.decode()
    )
    row = text[text.index(CSW) :].split("</tr>", 1)[0]
    assert "基準値を下回る" in row and "1,362" in row and "3,232" in row
    assert not re.search(r"-\d[\d.]*%", text)  # no negative percentage anywhere


def test_achievement_bars_on_the_dashboard_stay_between_empty_and_full(world, tokorozawa_in_a):
    csw_measured_by_its_metric(tokorozawa_in_a, 9999)  # far beyond the target: 2,500 %
    text = (
        world.client_for(world.user(Role.MUNICIPAL_STAFF))
        .get(f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025")
        .content.decode()
    )
    widths = [int(w) for w in re.findall(r'class="achievement-bar"[^>]*><rect width="(\d+)"', text)]
    assert widths and max(widths) == 100 and min(widths) >= 0
    row = text[text.index(CSW) :].split("</tr>", 1)[0]
    assert "2525.0%" in row  # the figure itself is shown honestly


def test_metric_bound_indicator_shows_the_metric_name_not_its_key_on_every_page(
    world, tokorozawa_in_a
):
    indicator = csw_measured_by_its_metric(tokorozawa_in_a, 1362)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    label = metric_label_ja(CSW_METRIC)
    pages = {
        "indicator": f"/plans/{tokorozawa_in_a.pk}/indicators/{indicator.pk}/?year=2025",
        "dashboard": f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025",
        "node": f"/plans/{tokorozawa_in_a.pk}/nodes/{indicator.node_id}/?year=2025",
    }
    for page, url in pages.items():
        text = client.get(url).content.decode()
        assert label in text, page
        assert CSW_METRIC not in text, page


def test_committee_report_pdf_shows_below_the_baseline_not_a_negative_percentage(
    world, tokorozawa_in_a
):
    csw_measured_by_its_metric(tokorozawa_in_a, 1362)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    content = report_bytes(client, tokorozawa_in_a, "pdf", 2025)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "基準値を下回る" in text
    assert not re.search(r"-\d[\d.]*%", text)


def test_dashboard_opens_on_the_latest_fiscal_year_that_has_data(world, tokorozawa_in_a):
    # The demo progress stops at FY2025; the current fiscal year (2026 or later) is empty.
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/plans/{tokorozawa_in_a.pk}/dashboard/"
    )
    assert response.context["year"] == 2025


def test_dashboard_of_a_plan_without_any_data_opens_on_the_current_year(world):
    plan = load_seed("tokorozawa-community-welfare-4.yaml", world.tenant_a.pk, with_progress=False)
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/plans/{plan.pk}/dashboard/"
    )
    assert response.context["year"] == selectors.current_plan_year(plan)


def test_okegawa_plans_say_they_have_no_automatically_counted_indicators(world):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    for name in ("okegawa-community-welfare-2.yaml", "okegawa-council-activity-6.yaml"):
        plan = load_seed(name, world.tenant_a.pk)
        text = client.get(f"/plans/{plan.pk}/dashboard/").content.decode()
        assert "この計画には自動集計の指標がありません" in text, name


def test_a_plan_with_a_metric_bound_indicator_does_not_say_it_has_none(world, tokorozawa_in_a):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    url = f"/plans/{tokorozawa_in_a.pk}/dashboard/?year=2025"
    assert "この計画には自動集計の指標がありません" in client.get(url).content.decode()
    csw_measured_by_its_metric(tokorozawa_in_a, 1362)
    assert "この計画には自動集計の指標がありません" not in client.get(url).content.decode()


# --- hostile plan files on the import page (issue 11, item 7) ---------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"a: &x [*x]\n",
        b"format: sasaeai-plan/1\nplan: &p {code: x, self: *p}\n",
        b'a: &a ["l","l","l","l","l","l","l","l","l"]\n'
        + b"".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode()
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ],
    ids=["self-alias", "mapping-alias", "alias-bomb"],
)
def test_import_page_refuses_a_recursive_or_exploding_alias_and_saves_nothing(world, data):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("x.yaml", data)})
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="problems"' in text
    assert "エイリアス" in text
    assert not Plan.objects.exists()


def test_import_page_refuses_a_nul_character_in_a_field_and_saves_nothing(world):
    data = (SEEDS / "konosu-joint-4.yaml").read_text(encoding="utf-8")
    data = data.replace("title: ", 'title: "\\0" # ', 1).encode()
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    response = client.post("/plans/import/", {"file": SimpleUploadedFile("k.yaml", data)})
    text = response.content.decode()
    assert response.status_code == 200 and "NUL" in text
    assert not Plan.objects.exists()


def test_a_figure_taken_from_a_metric_this_year_does_not_open_the_dashboard_on_an_empty_year(
    world, tokorozawa_in_a
):
    # Metrics are taken nightly for the current year; the year's own results come later.
    csw_measured_by_its_metric(
        tokorozawa_in_a, 1362, year=selectors.current_plan_year(tokorozawa_in_a)
    )
    response = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get(
        f"/plans/{tokorozawa_in_a.pk}/dashboard/"
    )
    assert response.context["year"] == 2025
