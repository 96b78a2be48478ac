"""The directory as a core.places source: a tenant's published, active places in a category."""

import pytest

from sasaeai.core import places as core_places
from sasaeai.resources.categories import ensure_default_categories
from sasaeai.resources.models import Category, ServiceStatus
from sasaeai.resources.places import places
from tests.resources.factories import make_service

pytestmark = pytest.mark.django_db


def _shelter(tenant, name, **kw):
    return make_service(tenant, name, categories=("welfare_shelter",), **kw)


def test_places_lists_published_active_locations_in_the_category(world):
    shelter = _shelter(world.tenant_a, "特養ひまわり", address="桶川市若宮1-1", phone="048-1")
    _shelter(world.tenant_a, "非公開の施設", published=False)
    closed = _shelter(world.tenant_a, "閉鎖した施設")
    closed.status = ServiceStatus.DEFUNCT
    closed.save()
    make_service(world.tenant_a, "子ども食堂")  # another category
    _shelter(world.tenant_b, "他市の施設")
    found = places(world.tenant_a.pk, "welfare_shelter")
    assert [p.name for p in found] == ["特養ひまわり"]
    place = found[0]
    location = shelter.at_locations.get().location
    assert place.id == location.pk and place.address == "桶川市若宮1-1"
    assert place.phone == "048-1" and place.latitude == 36.0


def test_a_subcategory_counts_for_its_category(world):
    terms = ensure_default_categories(world.tenant_a.pk)
    child = Category.objects.create(
        tenant=world.tenant_a, code="welfare_shelter_children", name="子ども向け福祉避難所",
        parent=terms["welfare_shelter"],
    )  # fmt: skip
    service = make_service(world.tenant_a, "障害児施設", categories=())
    service.categories.set([child])
    assert [p.name for p in places(world.tenant_a.pk, "welfare_shelter")] == ["障害児施設"]


def test_an_unknown_category_has_no_places(world):
    assert places(world.tenant_a.pk, "no_such_category") == []


def test_the_directory_is_the_registered_source(world):
    _shelter(world.tenant_a, "特養ひまわり")
    assert [
        p.name for p in core_places.places_in_category(world.tenant_a.pk, "welfare_shelter")
    ] == ["特養ひまわり"]
