"""Build volunteers records for tests through the real services."""

from datetime import timedelta

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.volunteers import services
from tests.consultation.factories import actor_of


def coordinator(world):
    return actor_of(world, Role.VOLUNTEER_COORDINATOR)


def make_helper(world, name="佐藤 和子", *, user=None, insured=True, **fields):
    actor = coordinator(world)
    helper = services.helper_save(
        actor=actor, name=name, area=world.district, latitude=36.0, longitude=139.55,
        user_id=user.pk if user else None, **fields,
    )  # fmt: skip
    if insured:
        today = timezone.localdate()
        services.insurance_record(
            actor=actor, helper=helper, fiscal_year=fiscal_year_of(today), plan="basic",
            enrolled_on=today - timedelta(days=1),
        )  # fmt: skip
    return helper


def make_request(world, title="買い物支援", *, days=3, hours=2, actor=None, **fields):
    starts_at = (timezone.localtime() + timedelta(days=days)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    data = services.RequestInput(
        title=title, requester_name="山田 花子", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours), area_id=world.district.pk,
        latitude=36.001, longitude=139.551, **fields,
    )  # fmt: skip
    return services.request_create(actor=actor or coordinator(world), data=data)


def offer(world, request, helper):
    return services.offers_confirm(
        actor=coordinator(world),
        pairs=[services.PairChoice(request_id=request.pk, helper_id=helper.pk, reasons="近い")],
    )[0]
