import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.commissioners import services
from sasaeai.commissioners.models import ActivityEntry, MonthlyRecord, RecordStatus
from tests.commissioners.conftest import last_month


def _visit(actor, day, count=1, **extra):
    return services.entry_create(
        actor=actor, day=day, kind="visit", detail="watch", count=count, **extra
    )


def test_an_entry_is_the_commissioners_own_in_their_district_and_audited(world):
    actor = world.actor(Role.WELFARE_COMMISSIONER)
    entry = _visit(actor, last_month(), count=2)
    assert entry.commissioner_id == actor.user_id
    assert entry.area_id == world.district.pk
    assert entry.tenant_id == world.tenant_a.pk
    assert AuditEntry.objects.filter(
        object_type="commissioners.activityentry", object_id=str(entry.pk), action="create"
    ).exists()


def test_a_commissioner_cannot_write_for_a_colleague(world):
    from tests.commissioners.conftest import second_commissioner

    other = second_commissioner(world)
    entry = _visit(world.actor(Role.WELFARE_COMMISSIONER), last_month(),
                   commissioner_id=other.user_id)  # fmt: skip
    assert entry.commissioner_id == world.user(Role.WELFARE_COMMISSIONER).pk


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "consultation", "field": "", "topic": "health"}, "field"),
        ({"kind": "consultation", "field": "elderly", "topic": "nonsense"}, "topic"),
        ({"kind": "visit", "detail": "survey"}, "detail"),
        ({"kind": "liaison", "detail": ""}, "detail"),
        ({"kind": "visit", "detail": "watch", "count": 0}, "count"),
        ({"kind": "visit", "detail": "watch", "count": 1000}, "count"),
        ({"kind": "visit", "detail": "watch", "note": "山田さん宅を訪問"}, "note"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_nothing_saved(world, data, field):
    with pytest.raises(ValidationError) as caught:
        services.entry_create(actor=world.actor(Role.WELFARE_COMMISSIONER), day=last_month(),
                              **data)  # fmt: skip
    assert field in caught.value.error_dict
    assert not ActivityEntry.objects.exists()


def test_a_day_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        _visit(world.actor(Role.WELFARE_COMMISSIONER),
               timezone.localdate() + datetime.timedelta(days=1))  # fmt: skip
    assert "day" in caught.value.error_dict


def test_roles_without_the_permission_cannot_write(world):
    for role in (Role.SYSTEM_ADMIN, Role.VOLUNTEER, Role.RESIDENT, Role.COMMUNITY_SOCIAL_WORKER,
                 Role.CARE_PLANNER, Role.EVACUATION_HELPER):  # fmt: skip
        with pytest.raises((PermissionDenied, Http404)):
            _visit(world.actor(role), last_month(), commissioner_id=world.user(
                Role.WELFARE_COMMISSIONER).pk)  # fmt: skip
    assert not ActivityEntry.objects.exists()


def test_a_locked_month_takes_corrections_from_staff_only(world):
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    office = world.actor(Role.WELFARE_COUNCIL_STAFF)
    month = last_month()
    entry = _visit(commissioner, month)
    record = services.record_submit(actor=commissioner, month=month)
    assert record.status == RecordStatus.SUBMITTED
    # Submitted, not locked: the commissioner may still correct.
    services.entry_update(actor=commissioner, entry=entry, day=month, kind="visit",
                          detail="watch", count=2)  # fmt: skip
    services.record_lock(actor=office, month=month, commissioner_id=commissioner.user_id)
    with pytest.raises(ValidationError):
        _visit(commissioner, month.replace(day=2))
    with pytest.raises(ValidationError):
        services.entry_update(actor=commissioner, entry=entry, day=month, kind="visit",
                              detail="watch", count=5)  # fmt: skip
    with pytest.raises(ValidationError):
        services.entry_delete(actor=commissioner, entry=entry)
    with pytest.raises(ValidationError):
        services.record_submit(actor=commissioner, month=month)
    entry.refresh_from_db()
    assert entry.count == 2
    # The office corrects the locked month.
    services.entry_update(actor=office, entry=entry, day=month, kind="visit", detail="watch",
                          count=4)  # fmt: skip
    fixed = _visit(office, month.replace(day=3), commissioner_id=commissioner.user_id)
    assert fixed.commissioner_id == commissioner.user_id
    entry.refresh_from_db()
    assert entry.count == 4


def test_only_the_office_locks_and_unlocks(world):
    commissioner = world.actor(Role.WELFARE_COMMISSIONER)
    month = last_month()
    with pytest.raises(PermissionDenied):
        services.record_lock(actor=commissioner, month=month, commissioner_id=commissioner.user_id)
    record = services.record_lock(actor=world.actor(Role.MUNICIPAL_STAFF), month=month,
                                  commissioner_id=commissioner.user_id)  # fmt: skip
    with pytest.raises((PermissionDenied, Http404)):
        services.record_unlock(actor=commissioner, record=record)
    services.record_unlock(actor=world.actor(Role.WELFARE_COUNCIL_STAFF), record=record)
    assert MonthlyRecord.objects.get().status == RecordStatus.SUBMITTED
    _visit(commissioner, month)  # open again


def test_a_month_not_yet_begun_cannot_be_submitted(world):
    following = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    with pytest.raises(ValidationError):
        services.record_submit(actor=world.actor(Role.WELFARE_COMMISSIONER), month=following)


def test_a_commissioner_cannot_touch_a_colleagues_entry(world):
    from tests.commissioners.conftest import second_commissioner

    other = second_commissioner(world)
    office = world.actor(Role.WELFARE_COUNCIL_STAFF)
    theirs = _visit(office, last_month(), commissioner_id=other.user_id)
    with pytest.raises(Http404):
        services.entry_delete(actor=world.actor(Role.WELFARE_COMMISSIONER), entry=theirs)
    assert ActivityEntry.objects.filter(pk=theirs.pk).exists()
