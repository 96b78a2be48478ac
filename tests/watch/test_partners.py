"""Watch-over partners: report keys (issue, revoke, hash only), the public form, the API,
the desk's inbox (match, pass to the consultation desk, close), events and metrics."""

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.core import events, metrics
from sasaeai.core.fiscal import fiscal_year_of
from sasaeai.watch import partners
from sasaeai.watch.models import PartnerReport, ReportStatus, WatchPartner
from tests.watch.partner_factories import issue_key, make_partner, make_report, make_watched

API = "/api/v1/watch/partner-reports"
GOOD = {"description": "新聞が3日分たまっています", "address": "桶川市南1-2-3"}


def _post_api(client, key, body=None, ip="10.1.1.1"):
    return client.post(
        API, data=json.dumps(GOOD if body is None else body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=ip,
    )  # fmt: skip


def _form(world, key, ip="10.2.2.2", **extra):
    data = {"key": key, **GOOD, **extra}
    return Client().post(f"/watch/report/{world.tenant_a.code}/", data, REMOTE_ADDR=ip)


# ---- keys -----------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_hash_is_kept(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    partner.refresh_from_db()
    prefix, secret = key[3:].split("_", 1)
    assert key.startswith("wp_") and partner.report_key_prefix == prefix
    assert partner.report_key_hash == partners.hash_secret(secret)
    assert secret not in json.dumps(list(WatchPartner.objects.values()), default=str)
    assert partners.partner_for_key(key) == partner


def test_issuing_again_revokes_the_old_key(world):
    partner = make_partner(world)
    old = issue_key(world, partner)
    new = issue_key(world, partner)
    with pytest.raises(partners.KeyRefused) as refused:
        partners.partner_for_key(old)
    assert refused.value.code == "invalid_key"
    assert partners.partner_for_key(new) == partner


def test_revoked_key_is_refused(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    partners.partner_key_revoke(actor=world.actor(Role.MUNICIPAL_STAFF), partner=partner)
    with pytest.raises(partners.KeyRefused):
        partners.partner_for_key(key)


def test_only_partner_managers_issue_keys(world):
    partner = make_partner(world)
    with pytest.raises((PermissionDenied, Http404)):
        partners.partner_key_issue(actor=world.actor(Role.WELFARE_COMMISSIONER), partner=partner)


def test_agreement_cannot_end_before_it_was_signed(world):
    with pytest.raises(ValidationError) as error:
        make_partner(world, ends_on=date(2020, 1, 1))
    assert "agreement_ends_on" in error.value.message_dict


# ---- public form ----------------------------------------------------------------------------


def test_public_form_takes_a_report_with_a_good_key(world):
    partner = make_partner(world)
    response = _form(world, issue_key(world, partner), is_urgent="on")
    assert response.status_code == 200
    assert "ありがとうございました" in response.content.decode()
    report = PartnerReport.objects.get()
    assert report.partner == partner and report.is_urgent and report.status == ReportStatus.NEW
    assert AuditEntry.objects.filter(action=Action.CREATE, object_id=str(report.pk)).exists()


def test_public_form_get_has_the_key_script_and_no_key_in_query(world):
    response = Client().get(f"/watch/report/{world.tenant_a.code}/")
    assert response.status_code == 200
    assert "watch/report_key" in response.content.decode()


@pytest.mark.parametrize("key", ["wp_1t0000_" + "x" * 40, "nonsense", ""])
def test_public_form_refuses_a_wrong_key_in_japanese(world, key):
    make_partner(world)
    response = _form(world, key)
    assert response.status_code == 400
    assert not PartnerReport.objects.exists()
    body = response.content.decode()
    assert "通報キー" in body or "必須" in body or "このフィールドは必須です" in body


def test_public_form_refuses_another_tenants_key(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    response = Client().post(f"/watch/report/{world.tenant_b.code}/", {"key": key, **GOOD})
    assert response.status_code == 400 and not PartnerReport.objects.exists()


def test_public_form_refuses_an_ended_agreement(world):
    partner = make_partner(world, ends_on=timezone.localdate() - timedelta(days=1))
    response = _form(world, issue_key(world, partner))
    assert response.status_code == 400
    assert "協定の期間が終了" in response.content.decode()
    assert not PartnerReport.objects.exists()


def test_public_form_bad_input_saves_nothing(world):
    partner = make_partner(world)
    response = _form(world, issue_key(world, partner), description="", address="")
    assert response.status_code == 400 and not PartnerReport.objects.exists()


def test_public_form_is_rate_limited_per_address(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    for _ in range(partners.REPORTS_PER_HOUR):
        assert _form(world, key).status_code == 200
    assert _form(world, key).status_code == 429
    assert PartnerReport.objects.count() == partners.REPORTS_PER_HOUR


def test_rate_limit_per_key_across_addresses(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    for n in range(partners.REPORTS_PER_HOUR):
        assert _form(world, key, ip=f"10.3.0.{n}").status_code == 200
    assert _form(world, key, ip="10.3.1.1").status_code == 429


def test_unknown_tenant_is_404(world):
    assert Client().get("/watch/report/999999/").status_code == 404


# ---- API ------------------------------------------------------------------------------------


def test_api_takes_a_report(world):
    partner = make_partner(world)
    response = _post_api(Client(), issue_key(world, partner))
    assert response.status_code == 201, response.content
    report = PartnerReport.objects.get(pk=response.json()["id"])
    assert report.partner == partner and report.address == GOOD["address"]


def test_api_wrong_key_is_401_with_japanese_message(world):
    make_partner(world)
    response = _post_api(Client(), "wp_1t00000000_" + "y" * 43)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_key" and "通報キー" in error["message"]


def test_api_without_a_key_is_401(world):
    response = Client().post(API, data=json.dumps(GOOD), content_type="application/json")
    assert response.status_code == 401 and not PartnerReport.objects.exists()


def test_api_revoked_key_is_401(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    issue_key(world, partner)
    assert _post_api(Client(), key).status_code == 401


def test_api_inactive_partner_is_403(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    partners.partner_save(actor=world.actor(Role.MUNICIPAL_STAFF), partner=partner, is_active=False)
    response = _post_api(Client(), key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "partner_inactive"
    assert "受け付けていません" in response.json()["error"]["message"]


def test_api_ended_agreement_is_403(world):
    partner = make_partner(world, ends_on=timezone.localdate() - timedelta(days=1))
    response = _post_api(Client(), issue_key(world, partner))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "agreement_ended"


@pytest.mark.parametrize(
    "body",
    [{"address": "桶川市"}, {"description": "  ", "address": "桶川市"},
     {**GOOD, "observed_on": "2999-01-01"}, {**GOOD, "observed_on": "昨日"}],
)  # fmt: skip
def test_api_bad_input_is_422_and_saves_nothing(world, body):
    partner = make_partner(world)
    response = _post_api(Client(), issue_key(world, partner), body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"]
    assert not PartnerReport.objects.exists()


def test_api_rate_limit_is_429(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    client = Client()
    for _ in range(partners.REPORTS_PER_HOUR):
        assert _post_api(client, key).status_code == 201
    response = _post_api(client, key)
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_requests"


def test_api_key_does_not_act_as_a_member_elsewhere(world):
    partner = make_partner(world)
    key = issue_key(world, partner)
    response = Client().get("/api/v1/watch/partner-reports", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code in (401, 405)


# ---- inbox ----------------------------------------------------------------------------------


def test_inbox_puts_new_and_urgent_first(world):
    partner = make_partner(world)
    calm = make_report(world, partner)
    urgent = make_report(world, partner, urgent=True)
    closed = make_report(world, partner, urgent=True)
    staff = world.actor(Role.MUNICIPAL_STAFF)
    partners.report_close(actor=staff, report=closed, note="確認済み")
    assert list(partners.reports_visible_to(staff)) == [urgent, calm, closed]


def test_urgent_report_notifies_the_desk(world, django_capture_on_commit_callbacks):
    received = []
    events.subscribe(received.append)
    partner = make_partner(world)
    with django_capture_on_commit_callbacks(execute=True):
        make_report(world, partner, urgent=True)
        make_report(world, partner, urgent=False)
    mine = [e for e in received if e.kind == partners.REPORT_RECEIVED]
    assert len(mine) == 1
    desk = {world.user(r).pk for r in partners.DESK_ROLES}
    assert set(mine[0].recipients) == desk


def test_match_and_pass_to_the_consultation_desk(world):
    partner = make_partner(world)
    report = make_report(world, partner)
    watched = make_watched(world)
    staff = world.actor(Role.MUNICIPAL_STAFF)
    assert watched in list(partners.watched_candidates(staff, report))
    partners.report_match(actor=staff, report=report, watched=watched)
    partners.report_pass_on(actor=staff, report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.PASSED_ON and report.intake_reference
    assert report.area_id == world.district.pk
    assert str(report.intake_reference) in report.intake_url
    with pytest.raises(ValidationError):
        partners.report_pass_on(actor=staff, report=report)


def test_close_needs_a_note(world):
    report = make_report(world, make_partner(world))
    staff = world.actor(Role.MUNICIPAL_STAFF)
    with pytest.raises(ValidationError):
        partners.report_close(actor=staff, report=report, note=" ")
    partners.report_close(actor=staff, report=report, note="本人と連絡がとれた")
    report.refresh_from_db()
    assert report.status == ReportStatus.CLOSED


def test_inbox_page_audits_what_it_shows(world):
    report = make_report(world, make_partner(world), urgent=True)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    response = client.get("/watch/reports/")
    assert response.status_code == 200 and "桶川市南1-2-3" in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.READ, object_id=str(report.pk)).exists()


def test_detail_page_passes_on_and_closes(world):
    report = make_report(world, make_partner(world))
    client = world.client_for(world.user(Role.WELFARE_COUNCIL_STAFF))
    assert client.get(f"/watch/reports/{report.pk}/").status_code == 200
    assert client.post(f"/watch/reports/{report.pk}/", {"action": "pass_on"}).status_code == 302
    client.post(f"/watch/reports/{report.pk}/", {"action": "close", "note": "対応済み"})
    report.refresh_from_db()
    assert report.status == ReportStatus.CLOSED and report.intake_reference


def test_partner_page_shows_a_new_key_once(world):
    partner = make_partner(world)
    client = world.client_for(world.user(Role.MUNICIPAL_STAFF))
    shown = client.post(f"/watch/partners/{partner.pk}/", {"action": "issue_key"})
    body = shown.content.decode()
    partner.refresh_from_db()
    assert f"wp_{partner.report_key_prefix}_" in body
    key = body.split(f"wp_{partner.report_key_prefix}_")[1].split("<")[0].split("#")[0]
    again = client.get(f"/watch/partners/{partner.pk}/").content.decode()
    assert key not in again


# ---- metrics --------------------------------------------------------------------------------


def test_metrics_count_reports_and_partners_in_force(world):
    current = make_partner(world)
    make_partner(world, name="ガス会社", ends_on=date(2025, 1, 31))
    make_partner(world, name="銀行", ends_on=date(2025, 3, 31))
    make_report(world, current)  # received today: counted in this fiscal year
    year = fiscal_year_of(timezone.localdate())
    assert metrics.get("watch.partner_reports").compute(world.tenant_a.pk, year) == 1
    assert metrics.get("watch.partners").compute(world.tenant_a.pk, 2024) == 2
    assert metrics.get("watch.partners").compute(world.tenant_b.pk, 2024) == 0
