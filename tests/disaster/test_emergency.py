"""Disaster mode: declaring and ending, what it opens to whom, the banner, the progress per
area (table, SVG), the report of who saw what and the completion metric."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.audit.services import audit_object, audit_reads
from sasaeai.core import metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.disaster import emergency, progress_map, rules
from sasaeai.disaster.models import Declaration, RegisterEntry, SafetyState
from tests.conftest import square
from tests.disaster.test_emergency_scene import Scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    return Scene(world)


def visible(world, role):
    actor = world.actor(role)
    return set(
        RegisterEntry.objects.filter(pk__in=rules.visible_entry_ids(actor)).values_list(
            "resident_key", flat=True
        )
    )


def mark(world, declaration, entry, state, *, role=Role.MUNICIPAL_STAFF, at=None, place=""):
    return emergency.safety_mark(
        actor=world.actor(role), declaration=declaration, entry=entry,
        data=emergency.MarkInput(state=state, place=place, marked_at=at),
    )  # fmt: skip


# ---- declaring and ending --------------------------------------------------------------------


def test_declaration_covers_the_areas_and_every_area_beneath_them(world, scene):
    declaration = scene.declare()
    assert set(declaration.covered_areas.values_list("pk", flat=True)) == {
        world.district.pk,
        world.sub_district.pk,
    }
    assert list(declaration.recipients.all()) == [scene.organisation]
    entry = AuditEntry.objects.get(object_type="disaster.declaration", action=Action.CREATE)
    assert entry.detail["areas"] == [world.district.pk]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.SYSTEM_ADMIN])
def test_only_a_system_admin_may_declare(world, scene, role):
    with pytest.raises(PermissionDenied):
        emergency.declaration_declare(
            actor=world.actor(role), reason="x", area_ids=[world.district.pk]
        )
    assert not Declaration.objects.exists()


def test_another_tenants_area_is_refused_and_nothing_saved(world, scene):
    with pytest.raises(ValidationError) as error:
        emergency.declaration_declare(
            actor=world.actor(Role.SYSTEM_ADMIN), reason="x", area_ids=[world.area_b.pk]
        )
    assert "areas" in error.value.message_dict
    assert not Declaration.objects.exists()


def test_ending_records_the_note_and_a_second_end_is_refused(world, scene):
    declaration = scene.declare()
    admin = world.actor(Role.SYSTEM_ADMIN)
    ended = emergency.declaration_end(actor=admin, declaration=declaration, note="水が引いた")
    assert ended.ended_at is not None and ended.end_note == "水が引いた"
    with pytest.raises(emergency.DeclarationEnded):
        emergency.declaration_end(actor=admin, declaration=declaration, note="again")
    assert Declaration.objects.get().end_note == "水が引いた"


def test_municipal_staff_may_not_end_a_declaration(world, scene):
    declaration = scene.declare()
    with pytest.raises(PermissionDenied):
        emergency.declaration_end(actor=world.actor(Role.MUNICIPAL_STAFF), declaration=declaration)
    assert Declaration.objects.get().is_active


def test_declare_and_end_through_the_pages(world, scene):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.post(
        reverse("disaster:emergency_declare"),
        {"reason": "地震", "areas": [world.district.pk], "recipients": [scene.organisation.pk],
         "includes_commissioners": "on"},
    )  # fmt: skip
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("disaster:emergency_end", args=[declaration.pk]), {"note": "終"})
    declaration.refresh_from_db()
    assert declaration.ended_at is not None and declaration.end_note == "終"


def test_a_declaration_without_areas_shows_a_japanese_error(world, scene, settings):
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.post(
        reverse("disaster:emergency_declare"), {"reason": "地震"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 200
    assert "必須" in response.content.decode()
    assert not Declaration.objects.exists()


# ---- visibility switches with the declaration ------------------------------------------------


def test_a_recipient_sees_a_non_consenting_person_only_while_declared(world, scene):
    assert visible(world, Role.EVACUATION_HELPER) == {"A-002"}
    declaration = scene.declare()
    assert visible(world, Role.EVACUATION_HELPER) == {"A-001", "A-002"}
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    assert visible(world, Role.EVACUATION_HELPER) == {"A-002"}


def test_a_declaration_elsewhere_opens_nothing_in_other_areas(world, scene):
    scene.declare(areas=[world.other_district])
    # Named on the declaration: the helper sees the declared district's people, not A-001.
    assert visible(world, Role.EVACUATION_HELPER) == {"A-002", "A-003"}


def test_an_organisation_not_named_sees_no_more_than_in_normal_times(world, scene):
    scene.declare(recipients=[])
    assert visible(world, Role.EVACUATION_HELPER) == {"A-002"}


def test_commissioners_see_all_of_their_declared_districts_unless_left_out(world, scene):
    assert visible(world, Role.WELFARE_COMMISSIONER) == {"A-002"}
    declaration = scene.declare(includes_commissioners=False)
    assert visible(world, Role.WELFARE_COMMISSIONER) == {"A-002"}
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    scene.declare(includes_commissioners=True)
    assert visible(world, Role.WELFARE_COMMISSIONER) == {"A-001", "A-002"}


# ---- the banner --------------------------------------------------------------------------------


def test_the_banner_shows_while_active_to_members_with_a_disaster_permission(world, scene):
    url = reverse("disaster:emergency_list")
    staff = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    assert "disaster-banner" not in staff.get(url).content.decode()
    declaration = scene.declare()
    page = staff.get("/", follow=True).content.decode()
    assert "disaster-banner" in page and world.district.name in page
    resident = world.client_for(world.user(Role.RESIDENT))
    assert "disaster-banner" not in resident.get("/").content.decode()
    emergency.declaration_end(actor=world.actor(Role.SYSTEM_ADMIN), declaration=declaration)
    assert "disaster-banner" not in staff.get(url).content.decode()


# ---- progress ----------------------------------------------------------------------------------


def test_progress_counts_each_state_and_the_share_done_per_declared_area(world, scene):
    declaration = scene.declare(areas=[world.district, world.other_district])
    mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    mark(world, declaration, scene.consented, SafetyState.UNKNOWN)
    mark(world, declaration, scene.elsewhere, SafetyState.NEEDS_HELP)
    rows = {r.area.pk: r for r in emergency.progress_by_area(declaration)}
    district, other = rows[world.district.pk], rows[world.other_district.pk]
    assert (district.listed, district.done, district.percent) == (2, 1, 50.0)
    assert district.counts == {SafetyState.SAFE: 1, SafetyState.UNKNOWN: 1}
    assert (other.listed, other.done, other.percent) == (1, 1, 100.0)
    assert other.counts[SafetyState.NEEDS_HELP] == 1


def test_unmarked_people_count_as_unknown(world, scene):
    declaration = scene.declare()
    (row,) = emergency.progress_by_area(declaration)
    assert row.counts == {SafetyState.UNKNOWN: 2} and row.percent == 0.0


def test_the_progress_page_and_svg_draw_one_path_per_area_without_names(world, scene):
    declaration = scene.declare(areas=[world.district, world.other_district])
    mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    page = client.get(reverse("disaster:emergency_progress", args=[declaration.pk]))
    svg = client.get(reverse("disaster:emergency_progress_svg", args=[declaration.pk]))
    assert page.status_code == svg.status_code == 200
    assert svg["Content-Type"].startswith("image/svg+xml")
    body = svg.content.decode()
    assert len(re.findall(r"<path ", body)) == 2
    assert "50.0%" in body and "0.0%" in body
    for text in (page.content.decode(), body):
        assert scene.unconsented.name not in text and "tile" not in text.lower()


def test_projection_fits_the_bbox_and_keeps_north_up():
    drawing = progress_map.build(
        [(1, "北", square(36.1, 139.5), 100.0), (2, "南", square(36.0, 139.5), None)]
    )
    north, south = drawing.shapes
    assert north.label_y < south.label_y
    assert north.fill == progress_map.BANDS[-1][1] and south.fill == progress_map.NO_DATA
    xs = [float(v) for v in re.findall(r"[ML]([\d.]+) ", north.path + " " + south.path)]
    assert min(xs) >= progress_map.PADDING - 0.1
    assert max(xs) <= progress_map.WIDTH - progress_map.PADDING + 0.1


def test_an_area_without_boundary_is_listed_not_drawn():
    drawing = progress_map.build([(1, "境界なし", None, 10.0)])
    assert drawing.shapes == [] and drawing.unmapped == ["境界なし"]


# ---- who saw what ------------------------------------------------------------------------------


def test_the_report_lists_every_audited_read_during_the_declaration(world, scene):
    staff = world.actor(Role.MUNICIPAL_STAFF)
    audit_object(staff, Action.READ, scene.unconsented)  # before: not in the report
    declaration = scene.declare()
    helper = world.actor(Role.EVACUATION_HELPER)
    audit_reads(helper, [scene.unconsented, scene.consented])  # the register list page
    audit_object(helper, Action.READ, scene.unconsented)  # the entry page
    audit_object(staff, Action.READ, scene.elsewhere)
    viewers = {v.username: v for v in emergency.declaration_report(staff, declaration)}
    assert set(viewers) == {"a-evacuation_helper", "a-municipal_staff"}
    helper_row = viewers["a-evacuation_helper"]
    assert helper_row.views == 3
    assert {label: n for _pk, label, n in helper_row.entries} == {
        "同意なし一郎 (A-001)": 2,
        "同意あり花子 (A-002)": 1,
    }
    assert viewers["a-municipal_staff"].views == 1


def test_reads_after_the_end_are_not_in_the_report(world, scene):
    declaration = scene.declare()
    admin = world.actor(Role.SYSTEM_ADMIN)
    emergency.declaration_end(actor=admin, declaration=declaration)
    Declaration.objects.filter(pk=declaration.pk).update(
        ended_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    declaration.refresh_from_db()
    audit_object(world.actor(Role.EVACUATION_HELPER), Action.READ, scene.unconsented)
    assert emergency.declaration_report(admin, declaration) == []


def test_system_admins_see_entry_numbers_not_names(world, scene):
    declaration = scene.declare()
    audit_object(world.actor(Role.EVACUATION_HELPER), Action.READ, scene.unconsented)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    page = client.get(reverse("disaster:emergency_report", args=[declaration.pk])).content
    assert "A-001" in page.decode() and scene.unconsented.name not in page.decode()
    csv = client.get(reverse("disaster:emergency_report_csv", args=[declaration.pk]))
    text = csv.content.decode("utf-8-sig")
    assert "A-001" in text and scene.unconsented.name not in text
    assert AuditEntry.objects.filter(
        object_type="disaster.declaration", action=Action.EXPORT
    ).exists()


def test_municipal_staff_see_names_and_their_report_reads_are_audited(world, scene):
    declaration = scene.declare()
    audit_object(world.actor(Role.EVACUATION_HELPER), Action.READ, scene.unconsented)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.get(reverse("disaster:emergency_report", args=[declaration.pk])).content
    assert scene.unconsented.name in page.decode()
    assert AuditEntry.objects.filter(
        actor_username="a-municipal_staff", subject_type="disaster.registerentry",
        subject_id=str(scene.unconsented.pk),
    ).exists()  # fmt: skip


def test_the_report_csv_is_formula_safe(world, scene):
    declaration = scene.declare()
    RegisterEntry.objects.filter(pk=scene.unconsented.pk).update(name="=HYPERLINK(1)")
    audit_object(world.actor(Role.EVACUATION_HELPER), Action.READ, scene.unconsented)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    text = client.get(reverse("disaster:emergency_report_csv", args=[declaration.pk])).content
    assert "'=HYPERLINK(1)" in text.decode("utf-8-sig")


def test_the_register_pages_reads_appear_in_the_report(world, scene):
    """Any read the register's own pages audit (object or list, subject = the entry) counts."""
    declaration = scene.declare()
    helper = world.actor(Role.EVACUATION_HELPER)
    # As the register list page and the safety list do: audit_reads of the page's entries.
    client = world.client_for(world.user(Role.EVACUATION_HELPER))
    assert (
        client.get(reverse("disaster:emergency_safety", args=[declaration.pk])).status_code == 200
    )
    viewers = emergency.declaration_report(world.actor(Role.MUNICIPAL_STAFF), declaration)
    (row,) = [v for v in viewers if v.username == helper.username]
    assert {pk for pk, _label, _n in row.entries} == {scene.unconsented.pk, scene.consented.pk}


# ---- metric ------------------------------------------------------------------------------------


def test_the_completion_metric_is_the_share_known_in_the_latest_declaration(world, scene):
    metric = metrics.get("disaster.safety_check_completion")
    year = fiscal_year_of(timezone.localdate())
    assert metric.compute(world.tenant_a.pk, year) is None
    declaration = scene.declare(areas=[world.district, world.other_district])
    mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    mark(world, declaration, scene.consented, SafetyState.UNKNOWN)
    assert metric.compute(world.tenant_a.pk, year) == pytest.approx(33.3)
    assert metric.compute(world.tenant_a.pk, year - 1) is None


def test_a_person_removed_after_a_mark_leaves_the_progress_counts(world, scene):
    declaration = scene.declare()
    mark(world, declaration, scene.unconsented, SafetyState.SAFE)
    mark(world, declaration, scene.consented, SafetyState.NEEDS_HELP)
    RegisterEntry.objects.filter(pk=scene.unconsented.pk).update(status="removed")
    (row,) = emergency.progress_by_area(declaration)
    assert row.listed == 1
    assert row.counts == {SafetyState.SAFE: 0, SafetyState.NEEDS_HELP: 1, SafetyState.UNKNOWN: 0}
    assert row.percent == 100.0
