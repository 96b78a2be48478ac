"""core.intake: a concern passed by another module becomes an intake the desk sees."""

import pytest
from django.core.exceptions import ValidationError

from sasaeai.accounts.models import Role
from sasaeai.consultation.models import Channel, Consultation
from sasaeai.core import intake
from sasaeai.core.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def test_a_commissioners_concern_becomes_an_intake_with_its_source(world):
    actor = world.actor(Role.WELFARE_COMMISSIONER)
    with tenant_context(world.tenant_a.pk):
        receipt = intake.pass_concern(
            actor,
            intake.Concern(
                tenant_id=world.tenant_a.pk, description="新聞がたまっている", source="watch.contact",
                source_id=42, subject_name="見守 一子", area_id=world.district.pk,
            ),
        )  # fmt: skip
        consultation = Consultation.objects.get(pk=receipt.reference)
    assert consultation.channel == Channel.COMMISSIONER
    assert consultation.subject_name == "見守 一子"
    assert consultation.caller_relation == "watch.contact#42"
    assert receipt.url.endswith(f"/{consultation.pk}/")


def test_a_concern_for_another_tenant_is_refused(world):
    actor = world.actor(Role.COMMUNITY_SOCIAL_WORKER)
    with tenant_context(world.tenant_a.pk), pytest.raises(ValidationError) as raised:
        intake.pass_concern(
            actor,
            intake.Concern(
                tenant_id=world.tenant_b.pk, description="x", source="watch.contact", source_id=1
            ),
        )
    assert raised.value.error_dict["tenant"][0].code == "other_tenant"
    with tenant_context(world.tenant_a.pk):
        assert not Consultation.objects.exists()
