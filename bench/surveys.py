"""The results page of a survey with 20,000 answers (a town's 市民意識調査) beside the minimal
one-row view, through the full middleware stack: plain counts with the bar charts, the
cross-tab by 年代 with small-group suppression, the API's results, the metric and the CSV export.

Usage: python -m bench.surveys [--count 20000] [--repeat 10]
`make bench` runs the same figures (survey_benchmarks) on its own database; this entry point
uses a throw-away database of its own (SQLite file, or DATABASE_URL's server with a
`_surveys_bench` suffix) with one tenant and one verified member.
"""

import argparse

from bench.run import scratch_database, setup_django, timed

AGES = [("age20", "10〜20代"), ("age30", "30代"), ("age40", "40代"), ("age50", "50代"),
        ("age60", "60代"), ("age70", "70歳以上"), ("rare", "回答の少ない区分")]  # fmt: skip


def fill(tenant_id: int, count: int) -> int:
    """A survey of four questions answered `count` times (rows written in bulk); its id."""
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.surveys import services
    from sasaeai.surveys.models import Answer, QuestionKind, Response, SurveyKind, SurveyMode

    actor = Actor(user_id=None, username="bench", tenant_id=tenant_id, membership_id=None,
                  role=Role.MUNICIPAL_STAFF, otp_verified=True)  # fmt: skip
    survey = services.survey_create(actor=actor, title="市民意識調査（ベンチ）", kind=SurveyKind.CITIZEN,
                                    fiscal_year=2030, mode=SurveyMode.ANONYMOUS)  # fmt: skip
    age = services.question_save(actor=actor, survey=survey, kind=QuestionKind.SINGLE, text="年代",
                                 choices=AGES, is_breakdown=True)  # fmt: skip
    likert = services.question_save(actor=actor, survey=survey, kind=QuestionKind.LIKERT,
                                    text="情報発信の満足度", metric_slug="bench_satisfaction",
                                    counted_keys=["satisfied", "somewhat_satisfied"])  # fmt: skip
    topics = services.question_save(actor=actor, survey=survey, kind=QuestionKind.MULTIPLE,
                                    text="関心のある分野", choices=[("a", "介護"), ("b", "子育て"), ("c", "防災")])  # fmt: skip
    free = services.question_save(
        actor=actor, survey=survey, kind=QuestionKind.FREE_TEXT, text="ご意見"
    )
    survey = services.survey_set_status(actor=actor, survey=survey, status="open")
    likert_keys = [key for key, _label in services.LIKERT_DEFAULT]
    for start in range(0, count, 2000):
        responses = Response.objects.bulk_create(
            [
                Response(tenant_id=tenant_id, survey=survey)
                for _n in range(start, min(count, start + 2000))
            ]
        )
        answers = []
        for offset, response in enumerate(responses):
            n = start + offset
            age_key = "rare" if n % 5000 == 0 else AGES[n % 6][0]  # a group of 4: suppressed
            answers.append(
                Answer(tenant_id=tenant_id, response=response, question=age, choice_key=age_key)
            )
            answers.append(Answer(tenant_id=tenant_id, response=response, question=likert,
                                  choice_key=likert_keys[(n * 7) % 5]))  # fmt: skip
            for key in "abc"[: n % 3 + 1]:
                answers.append(
                    Answer(tenant_id=tenant_id, response=response, question=topics, choice_key=key)
                )
            if n % 20 == 0:
                answers.append(
                    Answer(tenant_id=tenant_id, response=response, question=free, text=f"意見{n}")
                )
        Answer.objects.bulk_create(answers, batch_size=5000)
    return survey.pk


def survey_benchmarks(
    tenant_id: int, client, get, repeat: int, count: int = 20_000
) -> list[tuple[str, float]]:
    """`client` is signed in (verified) as a staff member of `tenant_id`."""
    from sasaeai.core import metrics
    from sasaeai.core.tenancy import tenant_context

    with tenant_context(tenant_id):
        survey_id = fill(tenant_id, count)

    def metric():
        with tenant_context(tenant_id):
            metrics.compute(
                "surveys.share:bench_satisfaction", tenant_id=tenant_id, fiscal_year=2030
            )

    label = f"{count:,}"
    url = f"/surveys/{survey_id}"
    return [
        (f"surveys: results of {label} answers (GET /surveys/N/results/)", timed(get(client, f"{url}/results/"), repeat)),
        ("surveys: results by 年代, suppressed (GET …/results/?by=1)", timed(get(client, f"{url}/results/?by=1"), repeat)),
        ("surveys: API results by 年代 (GET /api/v1/surveys/N/results?by=1)", timed(get(client, f"/api/v1/surveys/{survey_id}/results?by=1"), repeat)),
        (f"surveys: metric surveys.share over {label} answers", timed(metric, repeat)),
        (f"surveys: CSV export of {label} answers", timed(get(client, f"{url}/export.csv"), max(1, repeat // 5))),
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    setup_django(scratch_database("surveys"))

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sasaeai.accounts import services as account_services
    from sasaeai.accounts.models import Role
    from sasaeai.accounts.policy import Actor
    from sasaeai.core.models import Tenant

    call_command("migrate", verbosity=0)
    system = Actor(user_id=None, username="bench", tenant_id=None, membership_id=None, role=None)
    tenant = Tenant.objects.create(code="112089", name="所沢市", prefecture="埼玉県")
    member = account_services.member_create(
        actor=system, tenant=tenant, username="bench-staff", password="bench-password-9",
        role=Role.MUNICIPAL_STAFF,
    )  # fmt: skip
    device = TOTPDevice.objects.create(user=member.user, name="bench", confirmed=True)

    with override_settings(ROOT_URLCONF="bench.urls", DEBUG=False):
        client = Client()
        client.force_login(member.user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        anonymous = Client()

        def get(c, url, status=200):
            def request():
                response = c.get(url)
                assert response.status_code == status, (url, response.status_code)

            return request

        baseline = timed(get(anonymous, "/bench/baseline/"), args.repeat)
        signed_in = timed(get(client, "/surveys/"), args.repeat)
        results = survey_benchmarks(tenant.pk, client, get, args.repeat, args.count)
    print(f"database: {connection.vendor}")
    print(f"\n{'benchmark':66} {'median ms':>10} {'× baseline':>11}")
    print(f"{'baseline: minimal view reading one row':66} {baseline * 1000:10.2f} {1:11.2f}")
    rows = [("staff page for comparison: survey list (GET /surveys/)", signed_in)]
    for name, seconds in rows + results:
        print(f"{name:66} {seconds * 1000:10.2f} {seconds / baseline:11.2f}")


if __name__ == "__main__":
    main()
