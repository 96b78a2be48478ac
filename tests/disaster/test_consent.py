"""Consent per ordinance: each model decides who recipients see in normal times; a withdrawal
hides the person at once (through a recipient's page and the API); presumed consent after the
ordinance's days; a commissioner records the 同意書 of their districts."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.disaster import services
from sasaeai.disaster.models import ConsentEvent, ConsentModel, ConsentStatus
from tests.disaster.register_factories import consent, make_entry, make_organisation, staff

HELPER = Role.EVACUATION_HELPER


def _model(world, model, days=30):
    services.settings_save(
        actor=staff(world), consent_model=model, presumed_after_days=days,
        ordinance_name="" if model == ConsentModel.OPT_IN else "桶川市避難支援条例",
    )  # fmt: skip


def _helper_sees(world, entry) -> tuple[bool, bool]:
    """Whether the recipient member sees the entry on the register page and in the API."""
    client = world.client_for(world.user(HELPER))
    page = client.get("/disaster/register/").content.decode()
    api = client.get("/api/v1/disaster/register").json()
    return entry.name in page, any(row["id"] == entry.pk for row in api["items"])


@pytest.fixture
def shared(world):
    entry = make_entry(world)
    make_organisation(world, members=[HELPER])
    return entry


def test_opt_in_shares_only_written_consent(world, shared):
    assert _helper_sees(world, shared) == (False, False)
    consent(world, shared, ConsentEvent.ASKED, days_ago=100)
    assert _helper_sees(world, shared) == (False, False)
    consent(world, shared, ConsentEvent.GIVEN)
    assert _helper_sees(world, shared) == (True, True)


def test_a_withdrawal_hides_the_person_from_recipients_at_once(world, shared):
    consent(world, shared, ConsentEvent.GIVEN, days_ago=5)
    assert _helper_sees(world, shared) == (True, True)
    consent(world, shared, ConsentEvent.WITHDRAWN)
    shared.refresh_from_db()
    assert shared.consent_status == ConsentStatus.WITHDRAWN
    assert _helper_sees(world, shared) == (False, False)
    detail = world.client_for(world.user(HELPER)).get(f"/api/v1/disaster/register/{shared.pk}")
    assert detail.status_code == 404


def test_presumed_consent_counts_only_after_the_days(world, shared):
    _model(world, ConsentModel.PRESUMED, days=30)
    consent(world, shared, ConsentEvent.ASKED, days_ago=29)
    assert _helper_sees(world, shared) == (False, False)
    # A day later (the inquiry 30 days old): no reply now counts as consent.
    type(shared).objects.filter(pk=shared.pk).update(
        consent_changed_on=timezone.localdate() - datetime.timedelta(days=30)
    )
    assert _helper_sees(world, shared) == (True, True)


def test_a_refusal_under_presumed_consent_hides_the_person(world, shared):
    _model(world, ConsentModel.PRESUMED, days=30)
    consent(world, shared, ConsentEvent.ASKED, days_ago=40)
    assert _helper_sees(world, shared) == (True, True)
    consent(world, shared, ConsentEvent.REFUSED)
    assert _helper_sees(world, shared) == (False, False)


def test_opt_out_shares_everyone_who_did_not_refuse(world, shared):
    _model(world, ConsentModel.OPT_OUT)
    assert _helper_sees(world, shared) == (True, True)
    consent(world, shared, ConsentEvent.REFUSED)
    assert _helper_sees(world, shared) == (False, False)


def test_the_nightly_command_records_presumed_consent_in_the_history(world, shared):
    _model(world, ConsentModel.PRESUMED, days=30)
    consent(world, shared, ConsentEvent.ASKED, days_ago=31)
    call_command("register_nightly")
    shared.refresh_from_db()
    assert shared.consent_status == ConsentStatus.PRESUMED
    assert list(shared.consents.values_list("event", flat=True)) == ["presumed", "asked"]
    call_command("register_nightly")  # nothing more to record
    assert shared.consents.count() == 2


def test_presuming_without_an_inquiry_is_refused_and_the_page_offers_the_step(world, shared):
    _model(world, ConsentModel.PRESUMED)
    with pytest.raises(services.MissingStep) as refused:
        consent(world, shared, ConsentEvent.PRESUMED)
    assert refused.value.step == ConsentEvent.ASKED
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    page = client.post(
        f"/disaster/register/{shared.pk}/", {"event": "presumed", "on": "2026-01-01"}
    )
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="record-missing-step"' in body
    assert 'value="asked"' in body
    assert shared.consents.count() == 0


def test_presumed_consent_needs_the_presumed_model(world, shared):
    with pytest.raises(ValidationError):
        consent(world, shared, ConsentEvent.PRESUMED)


def test_a_consent_date_in_the_future_is_refused(world, shared):
    with pytest.raises(ValidationError):
        consent(world, shared, ConsentEvent.GIVEN, days_ago=-3)
    assert shared.consents.count() == 0


def test_a_commissioner_records_a_consent_form_by_number_in_their_district(world, shared):
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    before = client.get("/disaster/register/").content.decode()
    assert shared.name not in before  # not consented: not shown yet
    response = client.post(
        "/disaster/register/consent/",
        {"entry": shared.pk, "event": "given", "on": "2026-01-10", "method": "同意書"},
    )
    assert response.status_code == 302
    shared.refresh_from_db()
    assert shared.consent_status == ConsentStatus.GIVEN
    assert shared.name in client.get("/disaster/register/").content.decode()


def test_a_commissioner_cannot_record_outside_their_districts(world):
    outside = make_entry(world, key="K8", name="加納 ハナ", address="桶川市加納1-1")
    assert outside.area == world.other_district
    client = world.client_for(world.user(Role.WELFARE_COMMISSIONER))
    response = client.post(
        "/disaster/register/consent/", {"entry": outside.pk, "event": "given", "on": "2026-01-10"}
    )
    assert response.status_code == 200 and "担当地区" in response.content.decode()
    assert outside.consents.count() == 0
    api = client.post(f"/api/v1/disaster/register/{outside.pk}/consent",
                      {"event": "given"}, content_type="application/json")  # fmt: skip
    assert api.status_code == 404


def test_consent_through_the_api(world, shared):
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.post(f"/api/v1/disaster/register/{shared.pk}/consent",
                           {"event": "given", "method": "同意書"}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201 and response.json()["event"] == "given"
    bad = client.post(f"/api/v1/disaster/register/{shared.pk}/consent",
                      {"event": "maybe"}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "error" in bad.json()


def test_the_settings_need_an_ordinance_to_share_without_writing(world):
    with pytest.raises(ValidationError):
        services.settings_save(actor=staff(world), consent_model=ConsentModel.OPT_OUT)
    client = world.client_for(world.user(Role.SYSTEM_ADMIN))
    response = client.post(
        "/disaster/settings/", {"consent_model": "opt_out", "presumed_after_days": 30}
    )
    assert response.status_code == 200
    saved = client.post("/disaster/settings/", {"consent_model": "presumed",
                        "presumed_after_days": 14, "ordinance_name": "条例"})  # fmt: skip
    assert (
        saved.status_code == 302
        and services.settings_of(world.tenant_a.pk).presumed_after_days == 14
    )


def test_the_worker_runs_the_register_nightly_command_every_night():
    from django.conf import settings
    from django.core.management import get_commands

    assert "register_nightly" in settings.JOBS_SCHEDULE
    assert get_commands()["register_nightly"] == "sasaeai.disaster"
