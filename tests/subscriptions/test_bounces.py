"""Bounces: the service, the import command (all or nothing), the staff button."""

import pytest
from django.core.management import CommandError, call_command

from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import AuditEntry
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.models import Subscriber, SubscriberStatus
from sasaeai.subscriptions.services import bounce_record
from tests.subscriptions.conftest import make_subscriber

pytestmark = pytest.mark.django_db


def system(tenant):
    return Actor(user_id=None, username="test", tenant_id=tenant.pk, membership_id=None,
                 role=None)  # fmt: skip


@pytest.fixture
def hanako(world, topics):
    with tenant_context(world.tenant_a.pk):
        return make_subscriber(world.tenant_a, "hanako@example.jp", [topics["news"]])


def status_of(world, email):
    with tenant_context(world.tenant_a.pk):
        return Subscriber.objects.get(email=email)


def test_a_permanent_bounce_marks_the_address_bounced_at_once(world, hanako):
    with tenant_context(world.tenant_a.pk):
        row = bounce_record(actor=system(world.tenant_a), tenant_id=world.tenant_a.pk,
                            email=" hanako@EXAMPLE.jp", permanent=True)  # fmt: skip
    assert row.status == SubscriberStatus.BOUNCED and row.bounced_at is not None


def test_three_soft_bounces_make_it_bounced(world, hanako):
    statuses = []
    with tenant_context(world.tenant_a.pk):
        for _n in range(3):
            row = bounce_record(actor=system(world.tenant_a), tenant_id=world.tenant_a.pk,
                                email="hanako@example.jp", permanent=False)  # fmt: skip
            statuses.append(row.status)
    assert statuses == ["confirmed", "confirmed", "bounced"]
    assert row.soft_bounces == 3


def test_a_bounce_of_an_address_that_is_no_subscriber_changes_nothing(world, hanako):
    with tenant_context(world.tenant_a.pk):
        assert bounce_record(actor=system(world.tenant_a), tenant_id=world.tenant_a.pk,
                             email="nobody@example.jp", permanent=True) is None  # fmt: skip
        # nor another tenant's subscriber of the same address
        assert bounce_record(actor=system(world.tenant_b), tenant_id=world.tenant_b.pk,
                             email="hanako@example.jp", permanent=True) is None  # fmt: skip
    assert status_of(world, "hanako@example.jp").status == SubscriberStatus.CONFIRMED


def test_import_bounces_reads_a_cp932_csv_with_kinds(world, topics, hanako, tmp_path):
    with tenant_context(world.tenant_a.pk):
        make_subscriber(world.tenant_a, "soft@example.jp", [topics["news"]])
    path = tmp_path / "bounces.csv"
    path.write_bytes(
        "メールアドレス,種別\r\nhanako@example.jp,550\r\nsoft@example.jp,soft\r\n"
        "stranger@example.jp,hard\r\n".encode("cp932")
    )
    call_command("import_bounces", str(path), tenant=world.tenant_a.code)
    assert status_of(world, "hanako@example.jp").status == SubscriberStatus.BOUNCED
    soft = status_of(world, "soft@example.jp")
    assert (soft.status, soft.soft_bounces) == (SubscriberStatus.CONFIRMED, 1)


def test_import_bounces_refuses_a_bad_file_in_japanese_and_saves_nothing(world, hanako, tmp_path):
    path = tmp_path / "bounces.txt"
    path.write_text("hanako@example.jp\nnot an address\nx@example.jp,maybe\n", encoding="utf-8")
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("import_bounces", str(path), tenant=world.tenant_a.code)
    message = str(error.value)
    assert "保存していません" in message
    assert "2行目" in message and "3行目" in message
    assert status_of(world, "hanako@example.jp").status == SubscriberStatus.CONFIRMED
    assert AuditEntry.objects.count() == before


def test_import_bounces_refuses_a_file_in_an_unknown_encoding(world, hanako, tmp_path):
    path = tmp_path / "bounces.txt"
    path.write_bytes(b"\x81\x20\x81\x20abc")
    with pytest.raises(CommandError) as error:
        call_command("import_bounces", str(path), tenant=world.tenant_a.code)
    assert "文字コード" in str(error.value)
