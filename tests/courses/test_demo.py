"""The demo loader fills the plan indicators' metrics for 所沢市."""

from django.utils import timezone

from sasaeai.core import metrics
from sasaeai.core.demo import load_demo
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import all_tenants
from sasaeai.courses.models import Course, Session


def test_the_demo_gives_tokorozawa_its_courses_and_the_bound_figures(db):
    with all_tenants():
        load_demo()
        tokorozawa = Tenant.objects.get(code="112089")
        assert set(Course.objects.filter(tenant=tokorozawa).values_list("kind", flat=True)) == {
            "training", "volunteer_experience", "outreach_course", "event",
        }  # fmt: skip
        assert not Course.objects.filter(is_demo=False).exists()
        assert not Session.objects.filter(is_demo=False).exists()
        for code in ("112097", "112178"):
            assert Course.objects.filter(tenant__code=code).exists()
    year = fiscal_year_of(timezone.localdate())
    total = metrics.compute(
        "courses.completed_total:dementia_supporter", tenant_id=tokorozawa.pk, fiscal_year=year
    )
    assert total >= 22518
