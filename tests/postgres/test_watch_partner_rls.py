"""Watch-over partners, their reports and the mutual aid maps under row-level security, as the
application role: a report sent through the public form and the API (key alone, no tenant in
the URL) is written in the key's tenant, and raw SQL in another tenant sees none of the rows."""

import json
from datetime import date

import pytest
from django.db import connection, transaction
from django.test import Client

from sasaeai.accounts.models import Role
from sasaeai.core.tenancy import tenant_context
from sasaeai.watch import mutual_aid_map as maps
from sasaeai.watch import partners
from sasaeai.watch.models import PartnerKind

pytestmark = pytest.mark.postgres

TABLES = [
    "watch_watchpartner", "watch_partnerreport", "watch_mutualaidmap", "watch_maphousehold",
    "watch_maptie",
]  # fmt: skip


def _count(cursor, table) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
    return cursor.fetchone()[0]


def _tenant_a_rows(world) -> str:
    staff = world.actor(Role.MUNICIPAL_STAFF)
    partner = partners.partner_save(
        actor=staff, name="桶川新聞販売店", kind=PartnerKind.NEWSPAPER,
        agreement_on=date(2024, 4, 1),
    )  # fmt: skip
    key = partners.partner_key_issue(actor=staff, partner=partner)
    shown = maps.map_save(
        actor=staff, title="南一丁目", area=world.district, drawn_on=date(2026, 6, 1)
    )
    first, second = (
        maps.household_save(actor=staff, mutual_aid_map=shown, label=label, x=x, y=1,
                            agreed_on=date(2026, 5, 1))
        for label, x in (("田中さん", 1), ("鈴木さん", 3))
    )  # fmt: skip
    maps.tie_add(actor=staff, mutual_aid_map=shown, source=second, target=first, kind="looks_in")
    return key


def test_reports_and_maps_stay_in_their_tenant_as_the_app_role(world, app_role):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        with tenant_context(world.tenant_a.pk):
            key = _tenant_a_rows(world)
        form = Client().post(
            f"/watch/report/{world.tenant_a.code}/",
            {"key": key, "description": "新聞がたまっている", "address": "桶川市南1-2-3"},
        )  # fmt: skip
        api = Client().post(
            "/api/v1/watch/partner-reports",
            json.dumps({"description": "電気メーターが動いていない", "address": "桶川市南2-1"}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
        )  # fmt: skip
        with tenant_context(world.tenant_a.pk):
            seen_a = {table: _count(cursor, table) for table in TABLES}
        with tenant_context(world.tenant_b.pk):
            seen_b = {table: _count(cursor, table) for table in TABLES}
        cursor.execute("RESET ROLE")
    assert form.status_code == 200, form.content[:300]
    assert api.status_code == 201, api.content[:300]
    assert seen_a == {"watch_watchpartner": 1, "watch_partnerreport": 2, "watch_mutualaidmap": 1,
                      "watch_maphousehold": 2, "watch_maptie": 1}  # fmt: skip
    assert seen_b == dict.fromkeys(TABLES, 0)


def test_the_desk_reads_the_inbox_and_the_map_pdf_as_the_app_role(world, app_role):
    with tenant_context(world.tenant_a.pk):
        key = _tenant_a_rows(world)
        partner = partners.partner_for_key(key)
        partners.report_receive(
            actor=partners.partner_actor(partner, None), partner=partner,
            description="新聞がたまっている", address="桶川市南1-2-3",
        )  # fmt: skip
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sasaeai_app")
        inbox = client.get("/watch/reports/")
        listing = client.get("/watch/maps/")
        cursor.execute("RESET ROLE")
    assert inbox.status_code == 200 and "桶川市南1-2-3" in inbox.content.decode()
    assert listing.status_code == 200 and "南一丁目" in listing.content.decode()
