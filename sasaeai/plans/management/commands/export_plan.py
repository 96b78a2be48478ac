from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, selectors, workbook
from sasaeai.plans.commands import tenant_named
from sasaeai.plans.models import Plan


class Command(BaseCommand):
    help = "Write a plan as a plan file: YAML, Excel or JSON."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the plan's code")
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--format", choices=["yaml", "xlsx", "json"], default="yaml")
        parser.add_argument(
            "-o", "--output", type=Path, help="file to write (default: standard output)"
        )

    def handle(self, *args, code: str, tenant: str, format: str, output: Path | None, **options):
        tenant_row = tenant_named(tenant)
        with tenant_context(tenant_row.pk):
            plan = Plan.objects.filter(tenant=tenant_row, code=code).first()
            if plan is None:
                raise CommandError(f"No plan {code} in {tenant_row.name}")
            document = selectors.plan_document(plan)
        if format == "xlsx":
            if output is None:
                raise CommandError("Excel output needs --output")
            output.write_bytes(workbook.document_to_workbook(document))
            return
        text = planfile.dump_yaml(document) if format == "yaml" else planfile.dump_json(document)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
