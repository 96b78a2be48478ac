from datetime import timedelta

from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.volunteers.models import ActivityReport, Helper, HelpRequest, Offer, OfferStatus
from tests.volunteers.factories import make_helper, make_request, offer


def _client(world, role):
    return world.client_for(world.user(role))


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_coordinator_pages_render(world):
    helper = make_helper(world)
    request = make_request(world)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    for url in (
        "/volunteers/helpers/", f"/volunteers/helpers/{helper.pk}/", "/volunteers/helpers/new/",
        "/volunteers/registries/", "/volunteers/requests/", f"/volunteers/requests/{request.pk}/",
        "/volunteers/requests/new/", "/volunteers/matching/", "/volunteers/statistics/",
    ):  # fmt: skip
        assert client.get(url).status_code == 200, url


def test_a_coordinator_registers_a_helper_through_the_form(world):
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    response = client.post(
        "/volunteers/helpers/new/",
        {"name": "新井 誠", "mobility": "car", "capacity": "2", "area": world.district.pk},
    )
    helper = Helper.objects.get(name="新井 誠")
    assert response.status_code == 302 and helper.capacity == 2
    page = client.get(f"/volunteers/helpers/{helper.pk}/").content.decode()
    assert 'data-testid="insurance-warning"' in page


def test_overlapping_availability_is_shown_as_an_error_on_the_page(world):
    helper = make_helper(world)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    response = client.post(
        f"/volunteers/helpers/{helper.pk}/",
        {"form": "availability", "slots": "月 9:00-12:00\n月 11:00-13:00"},
    )
    assert response.status_code == 200
    assert "重な" in response.content.decode()
    assert not helper.availability.exists()


def test_a_cancel_without_reason_is_refused_on_the_page(world):
    request = make_request(world)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    response = client.post(
        f"/volunteers/requests/{request.pk}/", {"to_status": "cancelled", "version": 1}
    )
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == "received"


def test_confirming_a_proposal_creates_offers_and_a_second_confirmation_is_told(world):
    helper = make_helper(world)
    first, second = make_request(world, "一"), make_request(world, "二")
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    data = {"action": "confirm", "count": "1", "keep-0": "1", "request-0": first.pk,
            "helper-0": helper.pk, "reasons-0": "近い"}  # fmt: skip
    assert client.post("/volunteers/matching/", data).status_code == 302
    assert Offer.objects.get(request=first).helper == helper
    data["request-0"] = second.pk
    response = client.post("/volunteers/matching/", data, follow=True)
    assert helper.name in response.content.decode()
    assert not Offer.objects.filter(request=second).exists()


def test_the_helper_accepts_and_reports_two_hours(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    made = offer(world, make_request(world, is_fsc=True, fee_per_hour=700), helper)
    client = _client(world, Role.VOLUNTEER)
    page = client.get("/volunteers/my/").content.decode()
    assert f"/volunteers/my/offers/{made.pk}/" in page
    page = client.get(f"/volunteers/my/offers/{made.pk}/").content.decode()
    assert 'data-testid="accept-offer"' in page and "山田 花子" not in page
    client.post(f"/volunteers/my/offers/{made.pk}/", {"answer": "accept"})
    made.refresh_from_db()
    assert made.status == OfferStatus.ACCEPTED
    page = client.get(f"/volunteers/my/offers/{made.pk}/").content.decode()
    assert "山田 花子" in page and 'data-testid="report-hours"' in page
    response = client.post(
        f"/volunteers/my/offers/{made.pk}/report/",
        {"day": timezone.localdate().isoformat(), "hours": "2"},
    )
    assert response.status_code == 302
    report = ActivityReport.objects.get(offer=made)
    assert report.fee == 1400


def test_a_volunteer_cannot_open_coordinator_pages_nor_others_offers(world):
    other = make_helper(world, "他人")
    foreign = offer(world, make_request(world), other)
    client = _client(world, Role.VOLUNTEER)
    assert client.get("/volunteers/helpers/").status_code == 403
    assert client.get(f"/volunteers/my/offers/{foreign.pk}/").status_code == 404


def test_a_resident_asks_for_help_and_sees_only_their_request(world):
    client = _client(world, Role.RESIDENT)
    page = client.get("/volunteers/my/requests/new/").content.decode()
    assert 'data-testid="help-request-form"' in page and "case_id" not in page
    starts = timezone.now() + timedelta(days=2)
    response = client.post(
        "/volunteers/my/requests/new/",
        {"title": "買い物支援", "requester_name": "住民 八重", "starts_at": _local(starts),
         "ends_at": _local(starts + timedelta(hours=1)), "recurrence": "one_off",
         "helpers_needed": "1"},
    )  # fmt: skip
    mine = HelpRequest.objects.get(title="買い物支援")
    assert response.status_code == 302 and mine.source == "resident"
    assert client.get(f"/volunteers/my/requests/{mine.pk}/").status_code == 200
    other = make_request(world, "他人の依頼")
    assert client.get(f"/volunteers/my/requests/{other.pk}/").status_code == 404


def test_a_resident_request_in_the_past_is_refused_with_a_message(world):
    client = _client(world, Role.RESIDENT)
    starts = timezone.now() - timedelta(days=1)
    response = client.post(
        "/volunteers/my/requests/new/",
        {"title": "買い物支援", "requester_name": "住民", "starts_at": _local(starts),
         "ends_at": _local(starts + timedelta(hours=1)), "recurrence": "one_off",
         "helpers_needed": "1"},
    )  # fmt: skip
    assert response.status_code == 200 and not HelpRequest.objects.exists()
    assert "過去" in response.content.decode()


def test_the_activity_certificate_is_a_pdf(world):
    helper = make_helper(world, user=world.user(Role.VOLUNTEER))
    response = _client(world, Role.VOLUNTEER).get(
        f"/volunteers/helpers/{helper.pk}/certificate.pdf"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_statistics_export_keeps_formula_like_text_as_text(world):
    from sasaeai.volunteers import services
    from tests.volunteers.factories import coordinator

    services.registry_save(actor=coordinator(world), key="evil", name="=HYPERLINK(1)")
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    body = client.get("/volunteers/statistics/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body
    assert client.get("/volunteers/statistics/export.xlsx").status_code == 200


def test_a_coordinator_creates_a_group_with_members(world):
    from sasaeai.volunteers.models import Group

    helper = make_helper(world)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    client.post(
        "/volunteers/registries/", {"form": "group", "name": "傾聴の会", "members": [helper.pk]}
    )
    assert list(Group.objects.get(name="傾聴の会").members.all()) == [helper]


def test_the_coordinator_classifies_a_residents_request_as_fsc_with_a_fee(world):
    request = make_request(world)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    response = client.post(
        f"/volunteers/requests/{request.pk}/",
        {"form": "terms", "is_fsc": "on", "fee_per_hour": "700"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.is_fsc and request.fee_per_hour == 700 and request.status == "received"


def test_the_helper_and_request_lists_do_not_grow_queries_with_their_length(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    make_helper(world, "一人目")
    make_request(world, "一件目")
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for i in range(6):
                make_helper(world, f"追加{i}")
                make_request(world, f"追加{i}", days=4 + i)
        for url in ("/volunteers/helpers/", "/volunteers/requests/"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts[(size, url)] = len(captured)
    for url in ("/volunteers/helpers/", "/volunteers/requests/"):
        assert counts[("large", url)] == counts[("small", url)], url


def test_the_helper_list_filters_by_skill_and_district_together(world):
    from sasaeai.volunteers import services
    from tests.volunteers.factories import coordinator

    actor = coordinator(world)
    listening = services.skill_save(actor=actor, key="listening", name="傾聴")
    housework = services.skill_save(actor=actor, key="housework", name="家事")
    make_helper(world, "傾聴 地区内", skill_ids=[listening.pk])
    make_helper(world, "家事 地区内", skill_ids=[housework.pk])
    outside = make_helper(world, "傾聴 地区外", skill_ids=[listening.pk])
    Helper.objects.filter(pk=outside.pk).update(area=world.other_district)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    response = client.get(
        f"/volunteers/helpers/?skill={listening.pk}&area={world.district.pk}&skill_junk=1"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "傾聴 地区内" in body
    assert "家事 地区内" not in body and "傾聴 地区外" not in body
    assert client.get("/volunteers/helpers/?skill=x&area=-1").status_code == 200


def test_the_filtered_helper_list_does_not_grow_queries_with_its_length(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sasaeai.volunteers import services
    from tests.volunteers.factories import coordinator

    skill = services.skill_save(actor=coordinator(world), key="listening", name="傾聴")
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    url = f"/volunteers/helpers/?q=さとう&skill={skill.pk}&area={world.district.pk}"
    counts = []
    for n in (1, 8):
        for i in range(n - (1 if counts else 0)):
            make_helper(world, f"佐藤 {len(counts)}-{i}", name_kana="さとう", skill_ids=[skill.pk])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert response.content.decode().count('data-testid="helper-row"') == 8
    assert counts[0] == counts[1]


def test_pages_past_the_middle_read_from_the_far_end_show_the_same_rows_in_order(world):
    from django.core.paginator import Paginator

    from sasaeai.volunteers.views import TwoEndedPaginator

    for i in range(11):
        make_helper(world, f"佐藤 {i:02}", name_kana=f"さとう {i % 4}")
    rows = Helper.objects.filter(tenant=world.tenant_a).select_related("area")
    plain, two_ended = Paginator(rows, 3), TwoEndedPaginator(rows, 3)
    assert two_ended.num_pages == 4
    for number in range(1, 5):
        expected = [h.pk for h in plain.page(number).object_list]
        page = two_ended.get_page(number)
        assert [h.pk for h in page.object_list] == expected, number
        assert page.number == number
    assert len(two_ended.get_page(4).object_list) == 2


def test_the_helper_lists_last_page_shows_the_last_helper(world, monkeypatch):
    from sasaeai.volunteers import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for name, kana in (
        ("相田", "あいだ"),
        ("伊東", "いとう"),
        ("上野", "うえの"),
        ("渡辺", "わたなべ"),
        ("和田", "わだ"),
    ):
        make_helper(world, name, name_kana=kana)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    body = client.get("/volunteers/helpers/?page=3").content.decode()
    assert "和田" in body and "渡辺" not in body and "相田" not in body
    body = client.get("/volunteers/helpers/?page=2").content.decode()
    assert body.index("上野") < body.index("渡辺")


def test_helper_search_finds_kana_and_kanji_and_latin_names_whatever_their_case(world):
    make_helper(world, "山田 花子", name_kana="やまだ はなこ")
    make_helper(world, "Maria Santos", name_kana="まりあ さんとす")
    make_helper(world, "佐藤 和子", name_kana="さとう かずこ")
    client = _client(world, Role.VOLUNTEER_COORDINATOR)

    def found(query):
        body = client.get("/volunteers/helpers/", {"q": query}).content.decode()
        return {n for n in ("山田 花子", "Maria Santos", "佐藤 和子") if n in body}

    assert found("やまだ") == {"山田 花子"}
    assert found("山田") == {"山田 花子"}
    assert found("maria") == {"Maria Santos"}
    assert found("SANTOS") == {"Maria Santos"}


def test_a_searchs_last_page_keeps_the_lists_order(world, monkeypatch):
    from sasaeai.volunteers import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for kana in ("さとう あ", "さとう い", "さとう う", "さとう え", "さとう お"):
        make_helper(world, f"佐藤 {kana[-1]}", name_kana=kana)
    client = _client(world, Role.VOLUNTEER_COORDINATOR)
    body = client.get("/volunteers/helpers/", {"q": "さとう", "page": 3}).content.decode()
    assert "佐藤 お" in body and "佐藤 え" not in body
    body = client.get("/volunteers/helpers/", {"q": "さとう", "page": 2}).content.decode()
    assert body.index("佐藤 う") < body.index("佐藤 え")
