import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import report, selectors
from sasaeai.plans.commands import tenant_named
from sasaeai.plans.models import Plan


class Command(BaseCommand):
    help = "Write the plan committee's report (推進委員会資料) for a fiscal year: PDF or Excel."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the plan's code")
        parser.add_argument("--tenant", required=True, help="tenant code or name")
        parser.add_argument(
            "--year", type=int, help="fiscal year (default: the plan's current fiscal year)"
        )
        parser.add_argument(
            "--format",
            choices=["pdf", "xlsx"],
            help="default: from the output file's extension, else pdf",
        )
        parser.add_argument("-o", "--output", type=Path, required=True, help="file to write")

    def handle(self, *args, code: str, tenant: str, year, format, output: Path, **options):
        if format is None:
            format = "xlsx" if output.suffix.lower() == ".xlsx" else "pdf"
        with translation.override("ja"):
            tenant_row = tenant_named(tenant)
            with tenant_context(tenant_row.pk):
                plan = Plan.objects.filter(tenant=tenant_row, code=code).first()
                if plan is None:
                    raise CommandError(f"No plan {code} in {tenant_row.name}")
                if year is None:
                    year = selectors.current_plan_year(plan)
                if year not in plan.fiscal_years:
                    raise CommandError(
                        f"Fiscal year {year} is outside the plan's period "
                        f"({plan.start_year}–{plan.end_year})"
                    )
                started = time.perf_counter()
                progress = selectors.plan_progress(plan, year)
                data = (report.report_pdf if format == "pdf" else report.report_xlsx)(progress)
        output.write_bytes(data)
        self.stdout.write(
            f"{output}: {plan.code} FY{year} {format}, {len(data):,} bytes, "
            f"{time.perf_counter() - started:.1f}s"
        )
