from datetime import date

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers import services
from tests.consultation.factories import actor_of
from tests.volunteers.factories import coordinator, make_helper, make_request, offer


def test_registered_counts_members_active_at_the_end_of_the_fiscal_year(world):
    actor = coordinator(world)
    bank = services.registry_save(actor=actor, key="talent_bank", name="人材バンク")
    staying, leaving, late = (
        make_helper(world, "残る"),
        make_helper(world, "辞める"),
        make_helper(world, "遅い"),
    )
    services.registration_add(
        actor=actor, helper=staying, registry=bank, joined_on=date(2024, 5, 1)
    )
    gone = services.registration_add(
        actor=actor, helper=leaving, registry=bank, joined_on=date(2024, 5, 1)
    )
    services.registration_end(actor=actor, membership=gone, left_on=date(2025, 1, 31))
    services.registration_add(actor=actor, helper=late, registry=bank, joined_on=date(2025, 4, 1))
    value = metrics.compute(
        "volunteers.registered:talent_bank", tenant_id=world.tenant_a.pk, fiscal_year=2024
    )
    assert value == 1
    assert ("talent_bank", "人材バンク") in metrics._families["volunteers.registered"].options(
        world.tenant_a.pk
    )


def test_a_reported_fsc_activity_counts_as_a_use_and_its_hours(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world, is_fsc=True, fee_per_hour=700), helper)
    volunteer = actor_of(world, Role.VOLUNTEER)
    services.offer_respond(actor=volunteer, offer=made, accept=True)
    year = fiscal_year_of(timezone.localdate())
    assert (
        metrics.compute("volunteers.fsc_uses", tenant_id=world.tenant_a.pk, fiscal_year=year) == 0
    )
    services.report_submit(actor=volunteer, offer=made, day=timezone.localdate(), hours="2")
    assert (
        metrics.compute("volunteers.fsc_uses", tenant_id=world.tenant_a.pk, fiscal_year=year) == 1
    )
    hours = metrics.compute(
        "volunteers.activity_hours", tenant_id=world.tenant_a.pk, fiscal_year=year
    )
    assert hours == 2.0
    assert (
        metrics.compute("volunteers.fsc_uses", tenant_id=world.tenant_b.pk, fiscal_year=year) == 0
    )


def test_the_demo_binds_tokorozawas_indicators_to_volunteer_figures(db):
    from sasaeai.core.demo import load_demo
    from sasaeai.plans.models import Indicator
    from sasaeai.volunteers.models import Helper, Registry

    load_demo()
    bound = dict(
        Indicator.objects.filter(
            plan__tenant__code="112089", metric_key__startswith="volunteers."
        ).values_list("name", "metric_key")
    )
    assert (
        bound["地域福祉サポーターの登録者数"] == "volunteers.registered:community_welfare_supporter"
    )
    assert bound["ファミリーサポート事業の利用件数"] == "volunteers.fsc_uses"
    assert Registry.objects.filter(tenant__code="112089", key="station_volunteer").exists()
    assert Helper.objects.filter(tenant__code="112097", is_demo=True).count() > 0
    assert Helper.objects.filter(
        tenant__code="112089", user__username="tokorozawa-volunteer"
    ).exists()
