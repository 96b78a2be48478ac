"""manage.py import_consultations FILE --tenant 112097 [--check]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.consultation import importer
from sasaeai.core.commands import command_actor, tenant_named
from sasaeai.core.tenancy import tenant_context


class Command(BaseCommand):
    help = (
        "Import consultations from a CSV file (受付日時, 受付方法, 相談内容, 連絡先, 相談者氏名, "
        "続柄, 地区, 相談分類, 受付者, 対応状況). The whole file is checked first; with any "
        "problem nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--tenant", required=True, help="local government code or name (112097 / 桶川市)"
        )
        parser.add_argument("--check", action="store_true", help="check only; save nothing")

    def handle(self, *args, file: Path, tenant: str, check: bool, **options):
        with translation.override("ja"):
            self._run(file, tenant, check)

    def _run(self, file: Path, tenant_name: str, check: bool) -> None:
        tenant = tenant_named(tenant_name)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        # The system acts here, not a member: there is no role to check, and no receiver
        # is assumed for rows without 受付者.
        actor = command_actor(tenant)
        with tenant_context(tenant.pk):
            parsed, result = importer.import_consultations(
                data, tenant_id=tenant.pk, actor=actor, check_only=check, check_permission=False
            )
        for problem in parsed.problems:
            self.stderr.write(f"{problem.message} [{problem.code}]")
        if parsed.has_errors:
            raise CommandError(
                _("%(count)s problem(s) in %(file)s; nothing was saved.")
                % {"count": len(parsed.problems), "file": file.name}
            )
        self.stdout.write(f"encoding: {parsed.encoding}, rows: {len(parsed.rows)}")
        if result is None:
            self.stdout.write(_("Checked: no problem found. Nothing was saved (--check)."))
        else:
            self.stdout.write(
                _("%(count)s consultation(s) imported into %(tenant)s.")
                % {"count": result.created, "tenant": tenant.name}
            )
