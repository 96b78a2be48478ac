"""The notice services: target validation, readings approval, publishing through the channel."""

import pytest
from django.core.exceptions import ValidationError

from sasaeai.accounts.models import Role
from sasaeai.audit.models import AuditEntry
from sasaeai.core import broadcasts, metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.notices import selectors, services
from sasaeai.notices.models import Notice, NoticeStatus, ReadingEntry
from tests.consultation.factories import actor_for
from tests.notices.conftest import approve, make_notice


def codes(error: ValidationError) -> set:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def test_a_notice_is_created_as_a_draft_and_audited(world, staff, channel):
    notice = make_notice(staff, topic_keys=["events"], area_ids=[world.district.pk],
                         audience_keys=["elderly"])  # fmt: skip
    assert notice.status == NoticeStatus.DRAFT and notice.tenant_id == world.tenant_a.pk
    assert AuditEntry.objects.filter(
        object_type="notices.notice", object_id=str(notice.pk)
    ).exists()


def test_areas_of_another_tenant_are_refused(world, staff, channel):
    with pytest.raises(ValidationError) as caught:
        make_notice(staff, area_ids=[world.area_b.pk])
    assert "unknown_area" in codes(caught.value)
    assert not Notice.objects.exists()


def test_unknown_topics_and_audiences_are_refused(world, staff, channel):
    with pytest.raises(ValidationError) as caught:
        make_notice(staff, topic_keys=["nope"], audience_keys=["martians"])
    assert {"unknown_topic", "unknown_audience"} <= codes(caught.value)


def test_a_commissioner_cannot_write_notices(world, channel):
    commissioner = actor_for(world.members[Role.WELFARE_COMMISSIONER])
    with pytest.raises(Exception) as caught:
        make_notice(commissioner)
    assert type(caught.value).__name__ in {"PermissionDenied", "Http404"}


def test_approval_needs_a_reading_for_every_unknown_word(world, staff, channel):
    notice = make_notice(staff, body="龘山さんが来ます。")
    review = selectors.readings_review(notice)
    assert any(w.surface == "龘山" and w.reading is None for w in review.words)
    readings = {w.surface: w.reading or "" for w in review.words}
    with pytest.raises(ValidationError) as caught:
        services.readings_approve(actor=staff, notice=notice, readings=readings,
                                  text_hash=review.text_hash)  # fmt: skip
    assert "reading_missing" in codes(caught.value)
    notice.refresh_from_db()
    assert not notice.readings_approved


def test_a_reading_must_be_hiragana(world, staff, channel):
    notice = make_notice(staff)
    with pytest.raises(ValidationError) as caught:
        approve(staff, notice, 小手指="kotesashi")
    assert "not_hiragana" in codes(caught.value)


def test_approved_readings_are_stored_with_the_person_and_can_add_to_the_dictionary(
    world, staff, channel
):
    notice = make_notice(staff)
    review = selectors.readings_review(notice)
    readings = {w.surface: w.reading or "よみ" for w in review.words}
    readings["小手指"] = "こてざし"  # a correction
    notice = services.readings_approve(actor=staff, notice=notice, readings=readings,
                                       text_hash=review.text_hash, add_to_dictionary=["小手指"])  # fmt: skip
    assert notice.readings_approved and notice.approved_by_id == staff.user_id
    pairs = notice.readings["fields"]["title"]
    assert ["小手指", "こてざし"] in pairs
    entry = ReadingEntry.objects.get(tenant_id=world.tenant_a.pk, surface="小手指")
    assert entry.reading == "こてざし"


def test_approval_of_a_text_that_changed_since_the_review_is_refused(world, staff, channel):
    notice = make_notice(staff)
    review = selectors.readings_review(notice)
    services.notice_update(actor=staff, notice=notice, body="別の本文です。")
    with pytest.raises(ValidationError) as caught:
        services.readings_approve(actor=staff, notice=notice,
                                  readings={w.surface: "よみ" for w in review.words},
                                  text_hash=review.text_hash)  # fmt: skip
    assert "text_changed" in codes(caught.value)


def test_editing_the_text_voids_the_approval_but_editing_the_target_does_not(world, staff, channel):
    notice = approve(staff, make_notice(staff))
    notice = services.notice_update(actor=staff, notice=notice, audience_keys=["elderly"])
    assert notice.readings_approved
    notice = services.notice_update(actor=staff, notice=notice, body="本文を直しました。")
    assert not notice.readings_approved and notice.readings is None


def test_publishing_is_refused_while_readings_are_not_approved(world, staff, channel):
    notice = make_notice(staff, topic_keys=["events"])
    with pytest.raises(ValidationError) as caught:
        services.notice_publish(actor=staff, notice=notice)
    assert "readings_not_approved" in codes(caught.value)
    assert channel.sent == []


def test_publishing_counts_and_sends_through_the_channel(world, staff, channel):
    notice = approve(staff, make_notice(staff, topic_keys=["events"],
                                        area_ids=[world.district.pk], audience_keys=["elderly"]))  # fmt: skip
    result = services.notice_publish(actor=staff, notice=notice)
    target = broadcasts.Target(tenant_id=world.tenant_a.pk, topic_keys=("events",),
                               area_ids=(world.district.pk,), audience_keys=("elderly",))  # fmt: skip
    assert channel.counted[-1] == target
    assert channel.sent == [(staff, target, "notices.notice", notice.pk)]
    assert (result.job_id, result.recipients) == (4242, 3)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.mail_job_id == 4242
    assert notice.published_by_id == staff.user_id


def test_a_target_that_matches_no_one_is_refused_unless_published_on_the_site_only(
    world, staff, channel
):
    channel.recipients = 0
    notice = approve(staff, make_notice(staff, topic_keys=["care"]))
    with pytest.raises(ValidationError) as caught:
        services.notice_publish(actor=staff, notice=notice)
    assert "no_recipients" in codes(caught.value)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT and notice.readings_approved  # nothing lost
    result = services.notice_publish(actor=staff, notice=notice, site_only=True)
    assert result.job_id is None and channel.sent == []
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.mail_job_id is None


def test_without_a_mailing_module_publishing_works_on_the_site(world, staff, no_channel):
    notice = approve(staff, make_notice(staff))
    result = services.notice_publish(actor=staff, notice=notice)
    assert result.recipients is None and result.job_id is None
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED


def test_a_failed_send_publishes_nothing(world, staff, channel):
    def broken(*args):
        raise RuntimeError("queue down")

    broadcasts._channel[:] = [broadcasts.Channel(count=channel.count, send=broken)]
    notice = approve(staff, make_notice(staff, topic_keys=[]))
    with pytest.raises(RuntimeError):
        services.notice_publish(actor=staff, notice=notice)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT


def test_a_published_notice_is_withdrawn_and_cannot_be_edited(world, staff, no_channel):
    notice = approve(staff, make_notice(staff))
    services.notice_publish(actor=staff, notice=notice)
    with pytest.raises(ValidationError):
        services.notice_update(actor=staff, notice=notice, title="変更")
    notice = services.notice_withdraw(actor=staff, notice=notice)
    assert notice.status == NoticeStatus.WITHDRAWN and notice.withdrawn_at


def test_the_broadcast_source_renders_english_only_when_written(world, staff, no_channel):
    notice = approve(staff, make_notice(staff, title_en="Gathering", body_en="Come along."))
    plain = approve(staff, make_notice(staff))
    for each in (notice, plain):
        services.notice_publish(actor=staff, notice=each)
    english = broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "en")
    assert (english.subject, english.text) == ("Gathering", "Come along.")
    assert english.path == f"/notices/112097/{notice.pk}/"
    fallback = broadcasts.render("notices.notice", world.tenant_a.pk, plain.pk, "en")
    assert fallback.subject == plain.title
    japanese = broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "ja")
    assert japanese.subject == notice.title


def test_a_draft_or_withdrawn_notice_is_not_mailed(world, staff, no_channel):
    notice = approve(staff, make_notice(staff))
    with pytest.raises(broadcasts.Withdrawn):
        broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "ja")
    services.notice_publish(actor=staff, notice=notice)
    assert broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "ja").subject
    services.notice_withdraw(actor=staff, notice=notice)
    with pytest.raises(broadcasts.Withdrawn):
        broadcasts.render("notices.notice", world.tenant_a.pk, notice.pk, "ja")


def test_an_english_title_without_text_is_refused(world, staff, no_channel):
    with pytest.raises(ValidationError) as caught:
        make_notice(staff, title_en="Only a title")
    assert "body_en" in caught.value.error_dict


def test_dictionary_entries_need_kanji_and_hiragana_and_are_unique(world, staff):
    services.reading_entry_save(actor=staff, surface="椿峰", reading="ツバキミネ")
    assert ReadingEntry.objects.get(surface="椿峰").reading == "つばきみね"
    with pytest.raises(ValidationError):
        services.reading_entry_save(actor=staff, surface="椿峰", reading="つばき")
    with pytest.raises(ValidationError):
        services.reading_entry_save(actor=staff, surface="つばき", reading="つばき")
    with pytest.raises(ValidationError):
        services.reading_entry_save(actor=staff, surface="小手指", reading="kotesashi")


def test_a_dictionary_import_saves_all_or_nothing(world, staff):
    with pytest.raises(ValidationError):
        services.reading_entries_import(actor=staff, rows=[("椿峰", "つばきみね", ""),
                                                           ("小手指", "kote", "")])  # fmt: skip
    assert not ReadingEntry.objects.exists()
    assert services.reading_entries_import(actor=staff, rows=[("椿峰", "つばきみね", "地名")]) == 1


def test_metrics_count_published_and_mailed_notices_of_the_fiscal_year(world, staff, channel):
    mailed = approve(staff, make_notice(staff, topic_keys=["events"]))
    services.notice_publish(actor=staff, notice=mailed)
    site_only = approve(staff, make_notice(staff, title="別の知らせ"))
    services.notice_publish(actor=staff, notice=site_only, site_only=True)
    make_notice(staff, title="下書き")
    mailed.refresh_from_db()
    year = fiscal_year_of(mailed.published_at.date())
    assert metrics.get("notices.published").compute(world.tenant_a.pk, year) == 2
    assert metrics.get("notices.mailed").compute(world.tenant_a.pk, year) == 1
    assert metrics.get("notices.published").compute(world.tenant_a.pk, year - 1) == 0


def test_the_demo_loader_publishes_a_notice_with_approved_readings_for_tokorozawa(
    world, no_channel
):
    from sasaeai.core.tenancy import tenant_context
    from sasaeai.notices.demo import load_notices

    load_notices({"112089": world.tenant_b, "112097": world.tenant_a})
    with tenant_context(world.tenant_b.pk):
        published = Notice.objects.get(tenant=world.tenant_b, status=NoticeStatus.PUBLISHED)
        assert published.is_demo and published.readings_approved
        assert ["椿峰", "つばきみね"] in published.readings["fields"]["body"]
        entries = dict(
            ReadingEntry.objects.filter(tenant=world.tenant_b).values_list("surface", "reading")
        )
    assert entries["小手指"] == "こてさし"
    assert not Notice.objects.filter(tenant=world.tenant_a).exists()
