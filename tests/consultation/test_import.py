"""Bulk intake of consultations from CSV: every problem reported, and all rows or none saved."""

import datetime
import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sasaeai.accounts.models import Role
from sasaeai.audit.models import Action, AuditEntry
from sasaeai.consultation import importer, services
from sasaeai.consultation.models import Channel, Consultation, ConsultationStatus
from sasaeai.core.models import Area
from sasaeai.core.tenancy import tenant_context
from tests.consultation.factories import actor_of

FIXTURES = Path(__file__).parent.parent / "fixtures" / "consultation"
HEADER = "受付日時,受付方法,相談内容,地区,相談分類,受付者"


@pytest.fixture
def tenant(world):
    services.concern_tags_ensure(world.tenant_a.pk)
    return world.tenant_a


def run(data: bytes, tenant, actor):
    with tenant_context(tenant.pk):
        return importer.import_consultations(data, tenant_id=tenant.pk, actor=actor)


def csv_bytes(*lines: str, encoding="utf-8") -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding)


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args), timezone.get_current_timezone())  # noqa: DTZ001


def codes(parsed) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.code) for p in parsed.problems]


@pytest.mark.parametrize(
    "name, encoding", [("consultations.csv", "utf-8-sig"), ("consultations_cp932.csv", "cp932")]
)
def test_a_valid_file_imports_every_row_with_its_concerns(world, tenant, name, encoding):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    data = (FIXTURES / name).read_bytes()
    audits_before = AuditEntry.objects.count()

    parsed, result = run(data, tenant, actor)

    assert parsed.problems == [] and parsed.encoding == encoding
    assert result.created == 5 and result.concerns == 9
    rows = list(
        Consultation.objects.filter(tenant=tenant)
        .order_by("received_at")
        .prefetch_related("concerns")
    )
    assert [r.channel for r in rows] == [
        Channel.COUNTER,
        Channel.PHONE,
        Channel.COMMISSIONER,
        Channel.VISIT,
        Channel.OUTREACH,
    ]
    assert [sorted(t.code for t in r.concerns.all()) for r in rows] == [
        ["dementia", "elderly"], ["8050", "hikikomori"], ["hoarding"], ["hardship", "housing"],
        ["children", "young_carer"],
    ]  # fmt: skip
    first, second = rows[0], rows[1]
    assert first.received_at == local(2026, 4, 1, 10, 0)
    assert first.area_id == world.district.pk and first.caller_relation == "長女"
    assert first.received_by_id == world.user(Role.COMMUNITY_SOCIAL_WORKER).pk
    assert first.received_by_role == Role.COMMUNITY_SOCIAL_WORKER
    assert second.description == "息子が10年ほど家から出ない。\n親も80代で今後が不安。"
    # Rows without a receiver are the importing member's.
    assert rows[2].received_by_id == actor.user_id and rows[2].status == ConsultationStatus.RECEIVED
    # One audit entry for the file, not one per row.
    assert AuditEntry.objects.count() == audits_before + 1
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry.action == Action.CREATE and entry.object_type == "consultation.consultation"
    assert entry.detail["count"] == 5 and entry.detail["sha256"] == hashlib.sha256(data).hexdigest()


def test_dates_in_every_accepted_form(tenant):
    expected = {
        "2026-04-01 10:00": local(2026, 4, 1, 10, 0),
        "2026/4/1 10:00": local(2026, 4, 1, 10, 0),
        "2026/04/01 10:00:30": local(2026, 4, 1, 10, 0, 30),
        "2026年4月1日 9時05分": local(2026, 4, 1, 9, 5),
        "令和8年4月1日": local(2026, 4, 1),
        "令和元年5月1日 10時": local(2019, 5, 1, 10),
        "R8.4.1 10:00": local(2026, 4, 1, 10),
        "平成31年4月30日": local(2019, 4, 30),
        "２０２６－０４－０１": local(2026, 4, 1),
    }
    for text, moment in expected.items():
        assert importer.parse_received_at(text) == moment, text
    for text in (
        "2026-02-30",
        "令和元年4月1日",
        "平成32年1月1日",
        "4/1",
        "昨日",
        "2026-04-01 25:00",
        "2026-04-01 10:00 x",
    ):
        with pytest.raises(ValueError):
            importer.parse_received_at(text)


def test_errors_on_several_lines_are_all_reported_and_nothing_is_saved(world, tenant):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    before, audits_before = Consultation.objects.count(), AuditEntry.objects.count()
    data = (FIXTURES / "consultations_errors.csv").read_bytes()

    parsed, result = run(data, tenant, actor)

    assert result is None
    assert codes(parsed) == [
        (3, "受付日時", "invalid_date"),
        (4, "受付日時", "future_date"),
        (5, "受付方法", "invalid_choice"),
        (6, "相談内容", "required"),
        (7, "地区", "unknown_area"),
        (7, "相談分類", "unknown_concern"),
        (7, "受付者", "unknown_user"),
        # One row breaking three rules reports all three, the row rules included.
        (8, "受付方法", "invalid_choice"),
        (8, "相談内容", "required"),
        (8, "受付日時", "future_date"),
    ]
    assert all(p.message for p in parsed.problems)
    assert Consultation.objects.count() == before
    assert AuditEntry.objects.count() == audits_before


def test_unknown_repeated_and_missing_columns(world, tenant):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    data = "受付日,受付方法,受付方法,備考\r\n2026-04-01,窓口,窓口,x\r\n".encode()
    parsed, result = run(data, tenant, actor)
    assert result is None
    assert codes(parsed) == [
        (1, "受付日", "unknown_column"),
        (1, "受付方法", "duplicate_column"),
        (1, "備考", "unknown_column"),
        (1, "受付日時", "missing_column"),
        (1, "相談内容", "missing_column"),
    ]


def test_unknown_area_concern_and_user_are_refused(world, tenant):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    data = csv_bytes(
        "2026-04-01,窓口,他市の地区。,並木地区,,",  # tenant B's district
        "2026-04-01,窓口,他市の受付者。,,,b-admin",  # a member of tenant B only
        "2026-04-01,窓口,無効な分類。,,高齢;存在しない,",
        "2026-04-01,窓口,退会した受付者。,,,a-resident",
    )
    world.members[Role.RESIDENT].is_active = False
    world.members[Role.RESIDENT].save()
    parsed, result = run(data, tenant, actor)
    assert result is None
    assert codes(parsed) == [
        (2, "地区", "unknown_area"),
        (3, "受付者", "unknown_user"),
        (4, "相談分類", "unknown_concern"),
        (5, "受付者", "unknown_user"),
    ]


def test_a_district_name_shared_by_two_areas_is_ambiguous(world, tenant):
    Area.objects.create(tenant=tenant, kind="elementary_school_district", name="桶川地区")
    parsed, result = run(
        csv_bytes("2026-04-01,窓口,どの地区か。,桶川地区,,"),
        tenant,
        actor_of(world, Role.MUNICIPAL_STAFF),
    )
    assert codes(parsed) == [(2, "地区", "ambiguous_area")]


def test_lines_count_the_lines_of_multi_line_descriptions(world, tenant):
    data = csv_bytes('2026-04-01,窓口,"一行目\n二行目\n三行目",,,', "2026-04-01,FAX,次の行。,,,")
    parsed, _result = run(data, tenant, actor_of(world, Role.MUNICIPAL_STAFF))
    assert codes(parsed) == [(5, "受付方法", "invalid_choice")]


def test_files_neither_utf8_nor_cp932_and_empty_files(world, tenant):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    assert codes(run(b"\xff\xfe\x00\x81\x00", tenant, actor)[0]) == [(1, "", "encoding")]
    assert codes(run(b"", tenant, actor)[0]) == [(1, "", "empty_file")]
    assert codes(run(csv_bytes(), tenant, actor)[0]) == [(2, "", "no_rows")]


def test_status_column_marks_history_as_answered(world, tenant):
    data = "受付日時,相談内容,対応状況\r\n2026-04-01,済んだ相談。,対応済み\r\n2026-04-01,まだの相談。,\r\n".encode()
    parsed, result = run(data, tenant, actor_of(world, Role.MUNICIPAL_STAFF))
    assert parsed.problems == [] and result.created == 2
    statuses = dict(Consultation.objects.values_list("description", "status"))
    assert statuses == {
        "済んだ相談。": ConsultationStatus.ANSWERED,
        "まだの相談。": ConsultationStatus.RECEIVED,
    }
    # Without 受付方法 the channel is その他.
    assert set(Consultation.objects.values_list("channel", flat=True)) == {Channel.OTHER}


def test_only_members_who_record_consultations_may_import(world, tenant):
    with pytest.raises(PermissionDenied):
        run(csv_bytes("2026-04-01,窓口,相談。,,,"), tenant, actor_of(world, Role.VOLUNTEER))
    assert Consultation.objects.count() == 0


def _rows(count: int, area="桶川地区") -> bytes:
    return csv_bytes(
        *[f"2026-04-01 10:{i % 60:02d},電話,相談{i}。,{area},高齢、認知症," for i in range(count)]
    )


def test_a_failure_in_a_later_batch_leaves_nothing_behind(world, tenant):
    """An honest database failure in the second batch, after the first was inserted.

    The checked row is changed after the check, as nothing in the importer would: its
    description becomes NULL, which the NOT NULL constraint refuses at once (unlike the
    foreign keys, which both SQLite and PostgreSQL check only at commit; see the next test).
    """
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    with tenant_context(tenant.pk):
        parsed = importer.parse(_rows(5), tenant_id=tenant.pk, actor=actor)
    assert not parsed.has_errors
    parsed.rows[3].data.description = None  # in the second batch of two
    audits_before = AuditEntry.objects.count()

    from django.db import connection

    with CaptureQueriesContext(connection) as queries, pytest.raises(IntegrityError):
        importer.save(parsed, actor=actor, batch_size=2)

    inserts = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('INSERT INTO "consultation_consultation"')
    ]
    assert len(inserts) == 2  # the first batch went in before the second failed
    assert Consultation.objects.count() == 0
    assert Consultation.concerns.through.objects.count() == 0
    assert AuditEntry.objects.count() == audits_before


@pytest.mark.django_db(transaction=True)
def test_a_district_deleted_between_check_and_save_rolls_the_whole_file_back(world, tenant):
    """A real race: the file is checked, then someone deletes a district it names.

    The foreign key (deferred, as Django creates them) fails at commit, after every batch
    was inserted; the import's own transaction is the outermost here, as in production.
    """
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    spare = Area.objects.create(tenant=tenant, kind="district", name="消える地区")
    data = _rows(3) + "2026-04-02,窓口,後の行。,消える地区,,\r\n".encode()
    with tenant_context(tenant.pk):
        parsed = importer.parse(data, tenant_id=tenant.pk, actor=actor)
        assert not parsed.has_errors and len(parsed.rows) == 4
        Area.objects.filter(pk=spare.pk).delete()
        audits_before = AuditEntry.objects.count()
        with pytest.raises(IntegrityError):
            importer.save(parsed, actor=actor, batch_size=2)
    assert Consultation.objects.count() == 0
    assert Consultation.concerns.through.objects.count() == 0
    assert AuditEntry.objects.count() == audits_before


def test_the_command_imports_or_reports_with_exit_code_1(world, tenant):
    out, err = StringIO(), StringIO()
    call_command(
        "import_consultations",
        str(FIXTURES / "consultations.csv"),
        tenant="112097",
        check=True,
        stdout=out,
    )
    assert Consultation.objects.count() == 0
    call_command(
        "import_consultations",
        str(FIXTURES / "consultations_cp932.csv"),
        tenant="桶川市",
        stdout=out,
    )
    assert Consultation.objects.filter(tenant=tenant).count() == 5
    # Rows without 受付者 have no receiver when the system imports.
    assert Consultation.objects.filter(received_by__isnull=True).count() == 2
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_consultations",
            str(FIXTURES / "consultations_errors.csv"),
            tenant="112097",
            stderr=err,
        )
    assert raised.value.returncode == 1  # manage.py's exit code
    assert Consultation.objects.count() == 5
    assert "[unknown_area]" in err.getvalue() and "[future_date]" in err.getvalue()


def test_a_hundred_rows_each_with_two_concerns(world, tenant):
    actor = actor_of(world, Role.MUNICIPAL_STAFF)
    _parsed, result = run(_rows(120), tenant, actor)
    assert result.created == 120 and result.concerns == 240
    per_row = Consultation.objects.annotate(n=Count("concerns")).values_list("n", flat=True)
    assert len(per_row) == 120 and set(per_row) == {2}
