"""The go-live checklist page (/golive/): system admins of the tenant, one row per module's step."""

import dataclasses
import os
import time

import pytest
from django.test import override_settings

from sasaeai.accounts.models import Role
from sasaeai.core import checklist
from sasaeai.core import services as core_services
from sasaeai.core.models import AreaKind
from sasaeai.plans.models import Plan
from sasaeai.resources import opendata
from sasaeai.resources.models import MapSettings, Service
from sasaeai.resources.opendata_sample import generate_open_data_csv
from tests.conftest import SYSTEM, square


def states(client) -> dict[str, str]:
    response = client.get("/golive/")
    assert response.status_code == 200
    return {row.key: row.state for row in response.context["rows"]}


def test_every_module_registers_its_items_in_order():
    keys = [item.key for item in checklist.all_items()]
    assert keys == [
        "core.tenant", "core.districts", "accounts.users", "plans.plan",
        "resources.open_data", "resources.map_tiles", "golive.backups",
    ]  # fmt: skip


def test_admin_sees_the_state_of_each_step_with_links(world):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.get("/golive/")
    page = response.content.decode()
    assert "稼働準備チェックリスト" in page
    rows = {row.key: row for row in response.context["rows"]}
    assert rows["core.districts"].url == "/areas/"
    assert rows["accounts.users"].url == "/accounts/members/"
    assert rows["plans.plan"].url == "/plans/import/"
    assert rows["resources.open_data"].url == "/resources/import/"
    assert rows["resources.map_tiles"].url == "/resources/map-settings/"
    # The world's tenant has no kana and no council; its districts have boundaries, but the
    # commissioner district does not; every member has a device.
    assert rows["core.tenant"].state == "warning"
    assert rows["core.districts"].state == "warning"
    assert rows["accounts.users"].state == "done"
    assert "二要素認証の設定済み：対象 9 人中 9 人" in rows["accounts.users"].facts
    assert rows["plans.plan"].state == "todo"
    assert rows["resources.open_data"].state == "todo"
    assert rows["resources.map_tiles"].state == "todo"
    assert 'data-testid="golive-core.tenant" data-state="warning"' in page


def test_steps_become_done_as_the_work_is_done(world):
    tenant = world.tenant_a
    tenant.name_kana, tenant.welfare_council_name = "おけがわし", "桶川市社会福祉協議会"
    tenant.save()
    world.sub_district.boundary = square(36.0, 139.55, 0.005)
    world.sub_district.save()
    Plan.objects.create(tenant=tenant, code="p", title="地域福祉計画", kind="community_welfare",
                        start_year=2024, end_year=2028)  # fmt: skip
    data = generate_open_data_csv(20, municipality_code=tenant.code, municipality_name=tenant.name)
    parsed = opendata.read_open_data(data, tenant=tenant)
    actor = dataclasses.replace(SYSTEM, tenant_id=tenant.pk)
    opendata.apply_import(parsed, actor=actor, tenant_id=tenant.pk, check_permission=False)
    Service.objects.create(tenant=tenant, name="手入力の場所")  # not from open data
    MapSettings.objects.create(tenant=tenant, tile_source="custom",
                               tile_url="https://tiles.city.example/{z}/{x}/{y}.png")  # fmt: skip
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    got = states(client)
    response = client.get("/golive/")
    rows = {row.key: row for row in response.context["rows"]}
    assert rows["resources.open_data"].facts == ["介護サービス事業所一覧: 20"]
    assert {k: v for k, v in got.items() if k != "golive.backups"} == {
        "core.tenant": "done", "core.districts": "done", "accounts.users": "done",
        "plans.plan": "done", "resources.open_data": "done", "resources.map_tiles": "done",
    }  # fmt: skip


def test_users_without_two_factor_make_a_warning(world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=world.user(Role.COMMUNITY_SOCIAL_WORKER)).delete()
    assert states(world.client_for(world.user(Role.SYSTEM_ADMIN)))["accounts.users"] == "warning"


def test_gsi_tiles_are_a_warning(world):
    MapSettings.objects.create(tenant=world.tenant_a, tile_source="gsi")
    assert (
        states(world.client_for(world.user(Role.SYSTEM_ADMIN)))["resources.map_tiles"] == "warning"
    )


def test_backups_read_the_newest_file_in_backup_dir(world, tmp_path):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    with override_settings(BACKUP_DIR=None):
        assert states(client)["golive.backups"] == "warning"
    with override_settings(BACKUP_DIR=str(tmp_path)):
        assert states(client)["golive.backups"] == "todo"
        (tmp_path / "other.dump").write_text("x")
        assert states(client)["golive.backups"] == "todo"
        old = tmp_path / "sasaeai-20260101T0300.dump"
        old.write_text("x")
        two_days_ago = time.time() - 2 * 86400
        os.utime(old, (two_days_ago, two_days_ago))
        assert states(client)["golive.backups"] == "warning"
        (tmp_path / "sasaeai-20261205T0300.dump").write_text("x")
        response = client.get("/golive/")
        row = next(r for r in response.context["rows"] if r.key == "golive.backups")
        assert row.state == "done" and row.facts[0].startswith("sasaeai-20261205T0300.dump (")


@pytest.mark.parametrize(
    "role", [Role.MUNICIPAL_STAFF, Role.WELFARE_COUNCIL_STAFF, Role.WELFARE_COMMISSIONER]
)
def test_other_roles_may_not_open_the_checklist(world, role):
    assert world.client_for(world.user(role)).get("/golive/").status_code == 403


def test_admin_sees_only_their_own_tenant(world):
    core_services.area_create(
        actor=SYSTEM, tenant_id=world.tenant_b.pk, kind=AreaKind.DISTRICT, name="並木第2地区"
    )
    client = world.client_for(world.admin_b.user)
    response = client.get("/golive/")
    assert "所沢市" in response.content.decode() and "桶川市" not in response.content.decode()
    rows = {row.key: row for row in response.context["rows"]}
    assert rows["core.districts"].facts == ["区域 2 件、地区 2 件、境界なし 1 件"]


def test_navigation_shows_the_checklist_to_system_admins_only(world):
    admin_home = world.client_for(world.user(Role.SYSTEM_ADMIN)).get("/").content.decode()
    staff_home = world.client_for(world.user(Role.MUNICIPAL_STAFF)).get("/").content.decode()
    assert 'href="/golive/"' in admin_home
    assert 'href="/golive/"' not in staff_home
