from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.notifications.models import Notification
from sasaeai.volunteers import services
from sasaeai.volunteers.models import Offer, OfferStatus, RequestStatus
from tests.consultation.factories import actor_of
from tests.volunteers.factories import coordinator, make_helper, make_request, offer


def test_overlapping_weekly_slots_are_refused_and_nothing_is_replaced(world):
    helper = make_helper(world)
    services.availability_set(
        actor=coordinator(world), helper=helper, slots=[(0, time(9), time(12))]
    )
    with pytest.raises(ValidationError) as caught:
        services.availability_set(
            actor=coordinator(world), helper=helper,
            slots=[(1, time(9), time(12)), (1, time(11), time(14))],
        )  # fmt: skip
    assert "重な" in " ".join(caught.value.messages) or "overlap" in " ".join(caught.value.messages)
    assert list(helper.availability.values_list("weekday", flat=True)) == [0]


def test_a_request_in_the_past_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        make_request(world, days=-1)
    assert "starts_at" in caught.value.error_dict


def test_a_resident_request_belongs_to_the_resident_and_tells_the_coordinators(
    world, django_capture_on_commit_callbacks
):
    resident = actor_of(world, Role.RESIDENT)
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(world, actor=resident, case_id=99)
    assert request.requester_user_id == world.user(Role.RESIDENT).pk
    assert request.source == "resident" and request.case_id is None
    assert Notification.objects.filter(
        recipient=world.user(Role.VOLUNTEER_COORDINATOR), kind="volunteers.request_received"
    ).exists()


def test_a_volunteer_cannot_create_a_request(world):
    with pytest.raises(PermissionDenied):
        make_request(world, actor=actor_of(world, Role.VOLUNTEER))


def test_cancelling_needs_a_reason_and_withdraws_live_offers(world):
    request = make_request(world)
    made = offer(world, request, make_helper(world))
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED
    with pytest.raises(ValidationError):
        services.request_transition(
            actor=coordinator(world), request=request, to_status=RequestStatus.CANCELLED
        )
    services.request_transition(
        actor=coordinator(world), request=request, to_status=RequestStatus.CANCELLED,
        reason="入院のため",
    )  # fmt: skip
    made.refresh_from_db()
    assert made.status == OfferStatus.WITHDRAWN
    assert request.changes.last().reason == "入院のため"


def test_an_impossible_transition_is_refused(world):
    request = make_request(world)
    with pytest.raises(ValidationError):
        services.request_transition(
            actor=coordinator(world), request=request, to_status=RequestStatus.COMPLETED
        )


def test_a_stale_version_is_an_edit_conflict(world):
    request = make_request(world)
    services.request_transition(
        actor=coordinator(world), request=request, to_status=RequestStatus.COORDINATING, version=1
    )
    with pytest.raises(ValidationError) as caught:
        services.request_transition(
            actor=coordinator(world), request=request, to_status=RequestStatus.MATCHED, version=1
        )
    assert caught.value.code == "conflict"


def test_confirming_creates_offers_and_only_then_notifies_the_helper(
    world, django_capture_on_commit_callbacks
):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    request = make_request(world)
    with django_capture_on_commit_callbacks(execute=True):
        made = offer(world, request, helper)
    assert made.status == OfferStatus.OFFERED
    assert Notification.objects.filter(
        recipient=world.user(Role.VOLUNTEER), kind="volunteers.offer_received",
        url=f"/volunteers/my/offers/{made.pk}/",
    ).exists()  # fmt: skip
    assert AuditEntry.objects.filter(object_type="volunteers.offer", action="create").exists()


def test_a_helper_confirmed_twice_for_overlapping_times_is_refused_the_second_time(world):
    helper = make_helper(world)
    first = make_request(world, "買い物支援")
    second = make_request(world, "庭の草取り")  # same hours
    offer(world, first, helper)
    with pytest.raises(ValidationError) as caught:
        offer(world, second, helper)
    assert helper.name in " ".join(caught.value.messages)
    assert [e.code for e in caught.value.error_list] == ["conflict"]
    assert Offer.objects.filter(request=second).count() == 0


def test_a_batch_with_one_clash_saves_nothing(world):
    a, b = make_helper(world, "A"), make_helper(world, "B")
    first, second = make_request(world, "一"), make_request(world, "二")
    with pytest.raises(ValidationError):
        services.offers_confirm(
            actor=coordinator(world),
            pairs=[services.PairChoice(first.pk, a.pk), services.PairChoice(second.pk, a.pk)],
        )
    assert Offer.objects.count() == 0
    services.offers_confirm(
        actor=coordinator(world),
        pairs=[services.PairChoice(first.pk, a.pk), services.PairChoice(second.pk, b.pk)],
    )
    assert Offer.objects.count() == 2


def test_a_helper_answers_only_their_own_offer_once(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world), helper)
    volunteer = actor_of(world, Role.VOLUNTEER)
    services.offer_respond(actor=volunteer, offer=made, accept=True)
    with pytest.raises(ValidationError):
        services.offer_respond(actor=volunteer, offer=made, accept=False)
    other = make_helper(world, "他人")
    foreign = offer(world, make_request(world, days=5), other)
    with pytest.raises(Exception) as caught:
        services.offer_respond(actor=volunteer, offer=foreign, accept=True)
    assert caught.type.__name__ == "Http404"


def test_a_paid_activity_without_hours_is_refused_and_with_hours_gets_its_fee(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world, fee_per_hour=800, is_fsc=True), helper)
    volunteer = actor_of(world, Role.VOLUNTEER)
    services.offer_respond(actor=volunteer, offer=made, accept=True)
    with pytest.raises(ValidationError) as caught:
        services.report_submit(actor=volunteer, offer=made, day=timezone.localdate(), hours="")
    assert "hours" in caught.value.error_dict
    report = services.report_submit(
        actor=volunteer, offer=made, day=timezone.localdate(), hours="1.5"
    )
    assert report.hours == Decimal("1.5") and report.fee == 1200
    services.report_sign_off(actor=coordinator(world), report=report)
    report.refresh_from_db()
    assert report.status == "signed_off"


def test_insurance_is_one_per_fiscal_year(world):
    helper = make_helper(world, insured=False)
    today = timezone.localdate()
    assert not services.is_insured(helper, today)
    services.insurance_record(
        actor=coordinator(world), helper=helper, fiscal_year=fiscal_year_of(today),
        plan="disaster", enrolled_on=today,
    )  # fmt: skip
    assert services.is_insured(helper, today)
    with pytest.raises(ValidationError):
        services.insurance_record(
            actor=coordinator(world), helper=helper, fiscal_year=fiscal_year_of(today),
            plan="basic", enrolled_on=today,
        )  # fmt: skip


def test_a_volunteer_registers_themselves_once(world):
    volunteer = actor_of(world, Role.VOLUNTEER)
    helper = services.helper_save(actor=volunteer, name="奉仕 七海", user_id=12345)
    assert helper.user_id == world.user(Role.VOLUNTEER).pk
    with pytest.raises(ValidationError):
        services.helper_save(actor=volunteer, name="二重登録")


def test_a_registry_key_is_unique_per_tenant(world):
    services.registry_save(actor=coordinator(world), key="talent_bank", name="人材バンク")
    with pytest.raises(ValidationError):
        services.registry_save(actor=coordinator(world), key="talent_bank", name="別")


def test_a_request_without_coordinates_is_placed_at_its_districts_centre(world):
    starts_at = timezone.now() + timedelta(days=2)
    request = services.request_create(
        actor=actor_of(world, Role.RESIDENT),
        data=services.RequestInput(
            title="買い物支援", requester_name="住民", starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1), area_id=world.district.pk,
        ),
    )  # fmt: skip
    assert request.latitude == pytest.approx(36.0) and request.longitude == pytest.approx(139.55)


def test_withdrawing_an_offer_tells_the_helper(world, django_capture_on_commit_callbacks):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world), helper)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_withdraw(actor=coordinator(world), offer=made, reason="日程変更")
    assert Notification.objects.filter(
        recipient=world.user(Role.VOLUNTEER), kind="volunteers.offer_withdrawn"
    ).exists()
