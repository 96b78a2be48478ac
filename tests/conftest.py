"""Personas built once per test: two tenants, a user per role, clients signed in through 2FA."""

import os

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.accounts import services as account_services
from sasaeai.accounts.models import Role
from sasaeai.accounts.policy import Actor
from sasaeai.core import services as core_services
from sasaeai.core.models import AreaKind, Tenant

os.environ.setdefault("SASAEAI_ENV", "test")

PASSWORD = "correct-horse-battery-9"
SYSTEM = Actor(user_id=None, username="test", tenant_id=None, membership_id=None, role=None)


def square(lat, lon, half=0.01):
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


class World:
    """Tenant A (桶川市) and tenant B (所沢市) with areas and one membership per role in A."""

    def __init__(self):
        self.tenant_a = Tenant.objects.create(code="112097", name="桶川市", prefecture="埼玉県")
        self.tenant_b = Tenant.objects.create(code="112089", name="所沢市", prefecture="埼玉県")
        self.district = core_services.area_create(
            actor=SYSTEM, tenant_id=self.tenant_a.pk, kind=AreaKind.DISTRICT, name="桶川地区",
            name_kana="おけがわちく", boundary=square(36.0, 139.55),
        )  # fmt: skip
        self.sub_district = core_services.area_create(
            actor=SYSTEM, tenant_id=self.tenant_a.pk, kind=AreaKind.COMMISSIONER_DISTRICT,
            name="桶川第1区", name_kana="おけがわだい1く", parent_id=self.district.pk,
        )  # fmt: skip
        self.other_district = core_services.area_create(
            actor=SYSTEM, tenant_id=self.tenant_a.pk, kind=AreaKind.DISTRICT, name="加納地区",
            name_kana="かのうちく", boundary=square(36.0, 139.60),
        )  # fmt: skip
        self.area_b = core_services.area_create(
            actor=SYSTEM, tenant_id=self.tenant_b.pk, kind=AreaKind.DISTRICT, name="並木地区",
            name_kana="なみきちく", boundary=square(35.8, 139.47),
        )  # fmt: skip
        self.members = {}
        for role in Role:
            self.members[role] = self.add_member(self.tenant_a, f"a-{role.value}", role)
        account_services.membership_set_areas(
            actor=SYSTEM,
            membership=self.members[Role.WELFARE_COMMISSIONER],
            area_ids=[self.district.pk],
        )
        self.admin_b = self.add_member(self.tenant_b, "b-admin", Role.SYSTEM_ADMIN)

    def add_member(self, tenant, username, role):
        membership = account_services.member_create(
            actor=SYSTEM, tenant=tenant, username=username, password=PASSWORD, role=role
        )
        TOTPDevice.objects.create(user=membership.user, name="t", confirmed=True)
        return membership

    def user(self, role):
        return self.members[role].user

    def actor(self, role) -> Actor:
        """The actor a signed-in, two-factor-verified member of tenant A with `role` acts as,
        with their districts and every area beneath them (as ActorMiddleware builds it)."""
        from sasaeai.accounts.selectors import district_area_ids

        membership = self.members[role]
        return Actor(
            user_id=membership.user_id, username=membership.user.username,
            tenant_id=membership.tenant_id, membership_id=membership.pk, role=Role(role),
            area_ids=district_area_ids(membership), otp_verified=True,
        )  # fmt: skip

    def client_for(self, user, *, verified=True) -> Client:
        client = Client()
        client.force_login(user)
        if verified:
            device = TOTPDevice.objects.get(user=user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client


@pytest.fixture
def world(db):
    return World()


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    marked = [item for item in items if "postgres" in item.keywords]
    if marked:
        print(
            f"\nNOTICE: {len(marked)} PostgreSQL tests skipped: DATABASE_URL is not PostgreSQL. "
            ".ci/run runs them against the CI machine's PostgreSQL."
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in marked:
        item.add_marker(skip)


APP_ROLE = "sasaeai_app"


@pytest.fixture
def app_role(db):
    """The application's login role, as production has it: neither owner nor superuser."""
    from django.db import connection

    from sasaeai.core import rls

    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sasaeai_app') "
            "THEN CREATE ROLE sasaeai_app NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"
        )
    rls.grant_app_role()
    return APP_ROLE


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: database ids repeat after a rollback, so a value
    cached under one test's tenant id must not reach the next test's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_tenant_left_behind():
    """A test (like a request) must leave its thread with no tenant or user: one left behind
    would be the next request's starting point."""
    from sasaeai.core import tenancy

    yield
    left = (tenancy._current_tenant_id.get(), tenancy._current_user_id.get())
    tenancy._current_tenant_id.set(None)
    tenancy._current_user_id.set(None)
    assert left == (None, None), f"tenant/user context left set: {left}"
