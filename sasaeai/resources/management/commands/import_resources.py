"""manage.py import_resources FILE --tenant 112089 [--preview]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.resources import opendata


class Command(BaseCommand):
    help = (
        "Import a 自治体標準オープンデータセット CSV (介護サービス事業所一覧, 子育て施設一覧, "
        "指定緊急避難場所一覧, 公共施設一覧 or 医療機関一覧) into a tenant's resource directory. "
        "The whole file is checked first; with any error nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--tenant", required=True, help="local government code or name (112089 / 所沢市)"
        )
        parser.add_argument(
            "--preview", action="store_true", help="show what would change; save nothing"
        )

    def handle(self, *args, file: Path, tenant: str, preview: bool, **options):
        with translation.override("ja"):
            self._run(file, tenant, preview, options.get("verbosity", 1))

    def _run(self, file: Path, tenant_name: str, preview: bool, verbosity: int) -> None:
        tenant = Tenant.objects.filter(Q(code=tenant_name) | Q(name=tenant_name)).first()
        if tenant is None:
            raise CommandError(_("No tenant has the code or name %(name)s") % {"name": tenant_name})
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        parsed = opendata.read_open_data(data, tenant=tenant)
        if parsed.dataset:
            self.stdout.write(
                f"dataset: {parsed.dataset_title} ({parsed.dataset}), "
                f"column set: {parsed.column_set_title} ({parsed.column_set}), "
                f"encoding: {parsed.encoding}, rows: {parsed.rows}"
            )
        for problem in parsed.problems:
            stream = self.stderr if problem.severity == opendata.ERROR else self.stdout
            place = f"line {problem.line}" if problem.line else "file"
            column = f" [{problem.column}]" if problem.column else ""
            stream.write(f"{place}{column} {problem.severity}: {problem.message}")
        if parsed.has_errors or not parsed.dataset:
            count = len(parsed.errors)
            raise CommandError(
                _("%(count)s error(s) in %(file)s; nothing was saved.")
                % {"count": count, "file": file.name}
            )
        with tenant_context(tenant.pk):
            if preview:
                diff = opendata.preview_import(parsed, tenant_id=tenant.pk)
            else:
                actor = Actor(
                    user_id=None,
                    username="import_resources",
                    tenant_id=tenant.pk,
                    membership_id=None,
                    role=None,
                )
                # The system acts here, not a member: there is no role to check.
                diff = opendata.apply_import(
                    parsed, actor=actor, tenant_id=tenant.pk, check_permission=False
                )
        if verbosity >= 2:
            for label, rows in (("+", diff.added), ("~", diff.changed), ("-", diff.removed)):
                for row in rows:
                    self.stdout.write(f"{label} {row.name} ({row.key})")
                    for change in row.changes:
                        self.stdout.write(f"    {change.label}: {change.old} → {change.new}")
        counts = diff.counts
        self.stdout.write(
            f"added: {counts['added']}, changed: {counts['changed']}, "
            f"removed: {counts['removed']}, unchanged: {counts['unchanged']}"
        )
        self.stdout.write(
            "preview only: nothing was saved." if preview else f"imported into {tenant.name}."
        )
