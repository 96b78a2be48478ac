"""manage.py import_register --tenant 所沢市 --kind residents FILE [--apply]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.core.commands import command_actor, tenant_named
from sasaeai.core.tenancy import tenant_context
from sasaeai.disaster import services
from sasaeai.disaster.models import ExtractKind


class Command(BaseCommand):
    help = (
        "Check a 住基/介護/障害 extract (CSV, UTF-8 or CP932) against the register and show the "
        "difference; with --apply, apply it. With any problem nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--tenant", required=True, help="code or name (112089 / 所沢市)")
        parser.add_argument("--kind", required=True, choices=ExtractKind.values)
        parser.add_argument("--apply", action="store_true", help="apply the difference")

    def handle(self, *args, file: Path, tenant: str, kind: str, apply: bool, **options):
        with translation.override("ja"):
            self._run(file, tenant_named(tenant), kind, apply)

    def _run(self, file: Path, tenant, kind: str, apply: bool) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        actor = command_actor(tenant)  # the system acts: no role to check
        with tenant_context(tenant.pk):
            checked, record = services.register_import_preview(
                actor=actor, kind=kind, file_name=file.name, data=data, check_permission=False
            )
            for warning in checked.warnings:
                self.stderr.write(warning)
            if record is None:
                for error in checked.errors:
                    self.stderr.write(error)
                raise CommandError(
                    _("%(count)s problem(s) in %(file)s; nothing was saved.")
                    % {"count": len(checked.errors), "file": file.name}
                )
            counts = " ".join(f"{k}={v}" for k, v in sorted(checked.counts.items()))
            self.stdout.write(f"encoding: {checked.encoding}, rows: {checked.rows}, {counts}")
            if apply:
                services.register_import_apply(
                    actor=actor, register_import=record, check_permission=False
                )
                self.stdout.write(_("Applied."))
            else:
                self.stdout.write(_("Checked only: add --apply to apply the difference."))
