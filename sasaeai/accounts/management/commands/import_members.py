"""manage.py import_members --tenant 市川市 FILE [--dry-run] [--no-invite]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts import importer
from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context


class Command(BaseCommand):
    help = (
        "Import members from a CSV (UTF-8 or Shift_JIS) or Excel (.xlsx) sheet with the columns "
        "氏名, ふりがな, メールアドレス, 役割, 地区, and invite the new ones by e-mail. The whole "
        "sheet is checked first; with any error nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--tenant", required=True, help="local government code or name (122033 / 市川市)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show; save nothing")
        parser.add_argument(
            "--no-invite", action="store_true", help="create the members without sending mail"
        )

    def handle(self, *args, file: Path, tenant: str, dry_run: bool, no_invite: bool, **options):
        with translation.override("ja"):
            self._run(file, tenant, dry_run, no_invite, options.get("verbosity", 1))

    def _run(self, file: Path, tenant_name: str, dry_run: bool, no_invite: bool, verbosity: int):
        tenant = Tenant.objects.filter(Q(code=tenant_name) | Q(name=tenant_name)).first()
        if tenant is None:
            raise CommandError(_("No tenant has the code or name %(name)s") % {"name": tenant_name})
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        preview = importer.validate(data, tenant=tenant, filename=file.name)
        for problem in preview.warnings:
            self.stdout.write(f"warning: {problem.message}")
        for problem in preview.errors:
            self.stderr.write(problem.message)
        if preview.has_errors:
            raise CommandError(
                _("%(count)s error(s) in %(file)s; nothing was saved.")
                % {"count": len(preview.errors), "file": file.name}
            )
        if verbosity >= 2 or dry_run:
            for row in preview.rows:
                if row.status == "new":
                    self.stdout.write(f"+ {row.line}: {row.name} <{row.email}> {row.role}")
                elif row.status == "changed":
                    self.stdout.write(f"~ {row.line}: {row.name} <{row.email}>")
                    for change in row.changes:
                        self.stdout.write(f"    {change}")
        counts = preview.counts
        self.stdout.write(
            f"new: {counts['new']}, changed: {counts['changed']}, unchanged: {counts['unchanged']}"
        )
        if dry_run:
            self.stdout.write("dry run: nothing was saved.")
            return
        # The system acts here, not a member: the operator running the command is trusted.
        actor = Actor(
            user_id=None,
            username="import_members",
            tenant_id=tenant.pk,
            membership_id=None,
            role=None,
        )
        with tenant_context(tenant.pk):
            with transaction.atomic():
                result = importer.apply(preview, actor=actor)
            if not no_invite and result.created:
                importer.send_invitations(
                    user_ids=result.created, tenant=tenant, sent_by=None, actor=actor
                )
        invited = 0 if no_invite else len(result.created)
        self.stdout.write(f"imported into {tenant.name}; invitations sent: {invited}.")
