from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from sasaeai.core.tenancy import tenant_context
from sasaeai.plans import planfile, services
from sasaeai.plans.commands import command_actor, read_plan_file, tenant_named


class Command(BaseCommand):
    help = (
        "Check a plan file (YAML, JSON or Excel) in full and, only if it has no problem, save it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--tenant", required=True, help="local government code or name (112097 / 桶川市)"
        )
        parser.add_argument(
            "--replace", action="store_true", help="replace a plan with the same code"
        )
        parser.add_argument("--check", action="store_true", help="check only; save nothing")

    def handle(self, *args, file: Path, tenant: str, replace: bool, check: bool, **options):
        with translation.override("ja"):
            self._import(file, tenant, replace, check)

    def _import(self, file: Path, tenant: str, replace: bool, check: bool):
        tenant_row = tenant_named(tenant)
        with tenant_context(tenant_row.pk):
            try:
                document = read_plan_file(file.name, file.read_bytes())
                if check:
                    self.stdout.write(f"OK: {document['plan']['title']}")
                    return
                plan = services.plan_import(
                    actor=command_actor(tenant_row),
                    tenant_id=tenant_row.pk,
                    document=document,
                    replace=replace,
                )
            except planfile.PlanFileError as error:
                for problem in error.problems:
                    self.stderr.write(str(problem))
                raise CommandError(
                    translation.gettext("%(count)s problem(s); nothing was saved.")
                    % {"count": len(error.problems)}
                ) from error
        self.stdout.write(
            f"{plan.title} ({plan.code}): {plan.nodes.count()} / {plan.indicators.count()}"
        )
