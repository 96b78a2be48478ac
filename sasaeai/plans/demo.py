"""Demo plans: the four seed plans in their tenants, with plausible actuals and evaluations for
the fiscal years already past. Every demo figure is marked as demo data."""

from decimal import Decimal
from pathlib import Path

from django.db.models import Max
from django.utils import timezone

from sasaeai.accounts.policy import Actor
from sasaeai.core.demo import stable_unit
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, services
from sasaeai.plans.models import Evaluation, EvaluationStatus, Indicator, IndicatorActual, Plan

SEED_DIR = Path(__file__).parent / "seed_plans"
SEED_PLANS = {
    "112097": ["okegawa-community-welfare-2.yaml", "okegawa-council-activity-6.yaml"],
    "112089": ["tokorozawa-community-welfare-4.yaml"],
    "112178": ["konosu-joint-4.yaml"],
}
# Cities whose demo plan publishes its progress (/progress/<code>/).
PUBLISHED = {"112089"}
# Demo configuration, not part of the seed text: one indicator that measures itself.
METRIC_BINDINGS = {
    "避難行動要支援者名簿登載同意者数": "disaster.consented",
    "民生委員・児童委員の充足率": "accounts.commissioner_district_coverage",
    "民生委員・児童委員による相談支援件数": "commissioners.consultations",
    "民生委員・児童委員による訪問回数": "commissioners.visits",
    "高齢者の通いの場の数": "resources.gathering_places",
    "子ども食堂等子どもの居場所の設置数": "resources.children_places",
    "地域子育て支援拠点事業実施施設のある中学校区数": "resources.school_districts_with_child_rearing_hub",
    "福祉の相談窓口への相談件数": "consultation.consultations_received",
    "コミュニティソーシャルワーカー（ＣＳＷ）による総合的福祉相談支援件数": "consultation.csw_support_count",
    "市の情報発信に対する満足度": "surveys.share:information_satisfaction",
    "住宅・住環境に関する施策の満足度": "surveys.share:housing_satisfaction",
    "人権教育に関する講座の参加者の理解度": "surveys.share:human_rights_understanding",
    "ボランティア体験に参加した人数": "courses.participants:volunteer_experience",
    "社会福祉協議会による出前講座の利用件数": "courses.sessions_held:council_outreach",
    "所沢市障害のある人もない人も共に生きる社会づくり条例の周知のための出前講座開催数": (
        "courses.sessions_held:inclusive_society_ordinance"
    ),
    "認知症サポーター養成講座受講者数（累計）": "courses.completed_total:dementia_supporter",
    "障害者週間記念事業来場者数": "courses.participants:event",
    "地域福祉サポーターの登録者数": "volunteers.registered:community_welfare_supporter",
    "生涯学習ボランティア人材バンク登録者数": "volunteers.registered:talent_bank",
    "駅ボランティア登録者数（累計）": "volunteers.registered:station_volunteer",
    "災害ボランティアセンター市民スタッフ登録者数": "volunteers.registered:disaster_vc_staff",
    "ファミリーサポート事業の利用件数": "volunteers.fsc_uses",
    "ところざわほっとメール登録者数": "subscriptions.subscribers:hotmail",
    "ボランティア情報配信サービス登録者数": "subscriptions.subscribers:volunteer_info",
    "災害時における福祉避難所施設利用に関する協定締結件数": "disaster.shelter_agreements",
}
DEMO_RESULTS = "（デモ）{title}について、年間計画に沿って取組を実施した。"
DEMO_ISSUES = "（デモ）参加者・担い手の固定化が見られる。"
DEMO_NEXT = "（デモ）関係機関と連携し、周知方法を見直す。"


def load_plans(tenants: dict) -> None:
    for code, files in SEED_PLANS.items():
        tenant = tenants.get(code)
        if tenant is None:
            continue
        actor = Actor(
            user_id=None, username="demo-loader", tenant_id=tenant.pk, membership_id=None, role=None
        )
        with tenant_context(tenant.pk):
            for name in files:
                document = planfile.load((SEED_DIR / name).read_text(encoding="utf-8"))
                plan = services.plan_import(actor=actor, tenant_id=tenant.pk, document=document)
                add_demo_progress(plan)
                bound = plan.indicators.filter(name__in=METRIC_BINDINGS)
                for indicator in bound:
                    indicator.metric_key = METRIC_BINDINGS[indicator.name]
                    indicator.save(update_fields=["metric_key"])
                if bound:
                    services.metric_actuals_refresh(actor=actor, plan=plan)
                if code in PUBLISHED:
                    # The last past year's evaluations are drafts: show the year before, whose
                    # evaluations are locked, so the public page has grades to show.
                    locked = Evaluation.objects.filter(
                        node__plan=plan, status=EvaluationStatus.LOCKED
                    ).aggregate(year=Max("fiscal_year"))["year"]
                    services.plan_publication_set(
                        actor=actor, plan=plan, public_progress=True, public_year=locked
                    )


def add_demo_progress(plan: Plan, today=None) -> None:
    """Actuals near each indicator's trajectory and evaluations for every past fiscal year."""
    current = fiscal_year_of(today or timezone.localdate())
    past = [year for year in plan.fiscal_years if year < current]
    actuals = []
    for indicator in Indicator.objects.filter(plan=plan).prefetch_related("targets"):
        if indicator.baseline_value is None:
            continue
        targets = {t.fiscal_year: t.value for t in indicator.targets.all() if t.value is not None}
        final = targets[max(targets)] if targets else indicator.baseline_value
        span = max(plan.end_year - (indicator.baseline_year or plan.start_year), 1)
        for year in past:
            share = Decimal(year - (indicator.baseline_year or plan.start_year)) / span
            planned = indicator.baseline_value + (final - indicator.baseline_value) * share
            # Between 85% and 110% of the planned change, so some indicators fall behind.
            factor = Decimal(
                str(round(0.85 + 0.25 * stable_unit(plan.code, indicator.ref, year), 3))
            )
            value = indicator.baseline_value + (planned - indicator.baseline_value) * factor
            value = (
                value.quantize(Decimal("1"))
                if indicator.baseline_value == indicator.baseline_value.to_integral_value()
                else value.quantize(Decimal("0.1"))
            )
            actuals.append(IndicatorActual(
                tenant_id=plan.tenant_id, indicator=indicator, fiscal_year=year, value=value,
                source="デモデータ", is_demo=True, recorded_by="demo-loader",
            ))  # fmt: skip
    IndicatorActual.objects.bulk_create(actuals)
    grades = [g["grade"] for g in plan.grade_scale]
    evaluations = []
    for node in plan.nodes.filter(level__evaluated=True):
        for year in past:
            pick = stable_unit(plan.code, node.ref, year, "grade")
            grade = (
                grades[0]
                if pick < 0.3
                else grades[1]
                if pick < 0.8
                else grades[min(2, len(grades) - 1)]
            )
            last = year == past[-1]
            evaluations.append(Evaluation(
                tenant_id=plan.tenant_id, node=node, fiscal_year=year, grade=grade,
                results=DEMO_RESULTS.format(title=node.title or node.label), issues=DEMO_ISSUES,
                next_steps=DEMO_NEXT, department=", ".join(node.responsible),
                status=EvaluationStatus.DRAFT if last else EvaluationStatus.LOCKED,
                is_demo=True, drafted_by="demo-loader", reviewed_by="" if last else "demo-reviewer",
                locked_by="" if last else "demo-reviewer",
            ))  # fmt: skip
    Evaluation.objects.bulk_create(evaluations)
