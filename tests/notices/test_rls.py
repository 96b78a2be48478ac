"""Notices under row-level security, as the application role: a tenant's notices and reading
dictionary are invisible from another, and the mail source reads in the notice's own tenant."""

import pytest
from django.db import connection, transaction

from sasaeai.core import broadcasts
from sasaeai.core.tenancy import tenant_context
from sasaeai.notices import services
from sasaeai.notices.models import Notice, ReadingEntry
from tests.notices.conftest import approve, make_notice

pytestmark = pytest.mark.postgres


def test_notices_stay_in_their_tenant_and_the_mail_source_finds_its_own(
    world, staff, no_channel, app_role
):
    with tenant_context(world.tenant_a.pk):
        notice = approve(staff, make_notice(staff))
        services.notice_publish(actor=staff, notice=notice)  # only a published notice is mailed
        services.reading_entry_save(actor=staff, surface="椿峰", reading="つばきみね")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_b.pk):
            assert not Notice.objects.exists() and not ReadingEntry.objects.exists()
        with tenant_context(world.tenant_a.pk):
            assert Notice.objects.count() == 1 and ReadingEntry.objects.count() == 1
        # As a mailing job would call it, with no tenant set.
        content = broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "ja")
        cursor.execute("RESET ROLE")
    assert content.subject == notice.title
