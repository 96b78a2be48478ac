"""The module's story on the demo data with the real matching engine:
a resident's 買い物支援 → matching → confirmation → the helper accepts
→ reports 2 hours → the plan indicator moves at the next refresh."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts.models import User
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers.models import ActivityReport, Helper, HelpRequest, Offer
from tests.conftest import SYSTEM


def _signed_in(username: str) -> Client:
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_a_residents_shopping_request_reaches_the_plan_indicator(db):
    from sasaeai.core.demo import load_demo
    from sasaeai.plans import services as plan_services
    from sasaeai.plans.models import Indicator
    from sasaeai.volunteers.models import Skill

    load_demo()
    today = timezone.localtime()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    starts = saturday.replace(hour=10, minute=0, second=0, microsecond=0)
    shopping = Skill.objects.get(tenant__code="112089", key="shopping")
    resident = _signed_in("tokorozawa-resident")
    district = HelpRequest.objects.filter(tenant__code="112089").first().area_id
    response = resident.post(
        "/volunteers/my/requests/new/",
        {"title": "買い物支援", "requester_name": "住民 八重", "starts_at": _local(starts),
         "ends_at": _local(starts + timedelta(hours=2)), "recurrence": "one_off",
         "helpers_needed": "1", "skills": [shopping.pk], "area": district},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    request = HelpRequest.objects.get(tenant__code="112089", requester_name="住民 八重")

    coordinator = _signed_in("tokorozawa-coordinator")
    coordinator.post(f"/volunteers/requests/{request.pk}/", {"form": "terms", "is_fsc": "on"})
    page = coordinator.post("/volunteers/matching/", {"action": "run", "request": [request.pk]})
    body = page.content.decode()
    assert body.count('data-testid="match-row"') == 1
    mine = Helper.objects.get(user__username="tokorozawa-volunteer")
    assert f'value="{mine.pk}" selected' in body
    coordinator.post(
        "/volunteers/matching/",
        {"action": "confirm", "count": "1", "keep-0": "1", "request-0": request.pk,
         "helper-0": mine.pk, "reasons-0": "demo"},
    )  # fmt: skip
    offer = Offer.objects.get(request=request)

    volunteer = _signed_in("tokorozawa-volunteer")
    assert f"/volunteers/my/offers/{offer.pk}/" in volunteer.get("/volunteers/my/").content.decode()
    volunteer.post(f"/volunteers/my/offers/{offer.pk}/", {"answer": "accept"})
    indicator = Indicator.objects.get(
        plan__tenant__code="112089", name="ファミリーサポート事業の利用件数"
    )
    year = fiscal_year_of(timezone.localdate())
    before = indicator.actuals.filter(fiscal_year=year).values_list("value", flat=True).first()
    # The activity happened (a report's day cannot be in the future): reported as of today.
    volunteer.post(
        f"/volunteers/my/offers/{offer.pk}/report/",
        {"day": timezone.localdate().isoformat(), "hours": "2"},
    )
    assert ActivityReport.objects.get(offer=offer).hours == 2
    plan_services.metric_actuals_refresh(actor=SYSTEM, plan=indicator.plan)
    after = indicator.actuals.get(fiscal_year=year).value
    assert after == (before or 0) + 1
