"""manage.py import_areas --tenant 市川市 FILE [FILE …] [--kind KIND] [--parent AREA] [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.core import area_import
from sasaeai.core.models import AreaKind, Tenant
from sasaeai.core.tenancy import tenant_context

SHAPEFILE_PARTS = ("shp", "shx", "dbf", "prj", "cpg")


class Command(BaseCommand):
    help = (
        "Import areas (districts) from GeoJSON, CSV, or an e-Stat 小地域 shapefile (.zip or .shp "
        "with its .shx/.dbf/.prj beside it). The whole file is checked first; with any error "
        "nothing is saved. Existing areas are matched by (kind, code), else (kind, name)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", type=Path, nargs="+")
        parser.add_argument(
            "--tenant", required=True, help="local government code or name (122033 / 市川市)"
        )
        parser.add_argument(
            "--kind",
            default="",
            choices=["", *AreaKind.values],
            help="kind of rows that name none (e-Stat files: district by default)",
        )
        parser.add_argument("--parent", default="", help="code or name of the parent of all rows")
        parser.add_argument(
            "--parent-from-city",
            action="store_true",
            help="e-Stat: the parent is the area named like CITY_NAME (wards of a designated city)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; save nothing"
        )

    def handle(self, *args, files, tenant, kind, parent, parent_from_city, dry_run, **options):
        with translation.override("ja"):
            self._run(files, tenant, kind, parent, parent_from_city, dry_run, options["verbosity"])

    def _read(self, paths: list[Path]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for path in paths:
            candidates = [path]
            if path.suffix.lower() == ".shp":
                for suffix in SHAPEFILE_PARTS:
                    for sibling in (
                        path.with_suffix("." + suffix),
                        path.with_suffix("." + suffix.upper()),
                    ):
                        if sibling.exists():
                            candidates.append(sibling)
            for candidate in candidates:
                try:
                    found[candidate.name] = candidate.read_bytes()
                except OSError as error:
                    raise CommandError(f"{candidate}: {error.strerror}") from error
        return found

    def _run(self, paths, tenant_name, kind, parent, parent_from_city, dry_run, verbosity):
        tenant = Tenant.objects.filter(Q(code=tenant_name) | Q(name=tenant_name)).first()
        if tenant is None:
            raise CommandError(_("No tenant has the code or name %(name)s") % {"name": tenant_name})
        files = self._read(paths)
        options = area_import.Options(kind=kind, parent=parent, parent_from_city=parent_from_city)
        with tenant_context(tenant.pk):
            preview = area_import.validate(files, tenant_id=tenant.pk, options=options)
            self.stdout.write(
                f"format: {preview.format}, encoding: {preview.encoding or '-'}, "
                f"rows: {len(preview.rows)}"
            )
            for row in preview.rows:
                if verbosity >= 2 or (verbosity >= 1 and row.status != area_import.UNCHANGED):
                    where = area_import.Problem(preview.place, row.number, "").where
                    changes = f" ({', '.join(row.changes)})" if row.changes else ""
                    self.stdout.write(
                        f"{where}\t{row.status}\t{row.kind}\t{row.code}\t{row.name}{changes}"
                    )
            for problem in preview.problems:
                stream = self.stderr if problem.severity == area_import.ERROR else self.stdout
                stream.write(f"{problem.where} {problem.severity}: {problem.message}")
            if preview.has_errors:
                raise CommandError(
                    _("%(count)s error(s) in %(file)s; nothing was saved.")
                    % {"count": len(preview.errors), "file": ", ".join(p.name for p in paths)}
                )
            counts = preview.counts
            if not dry_run:
                actor = Actor(
                    user_id=None, username="import_areas", tenant_id=tenant.pk,
                    membership_id=None, role=None,
                )  # fmt: skip
                try:
                    counts = area_import.apply(
                        preview, actor=actor, filename=", ".join(p.name for p in paths)
                    )
                except area_import.AreaImportError as error:
                    for problem in error.problems:
                        self.stderr.write(f"{problem.where} error: {problem.message}")
                    raise CommandError(
                        _("%(count)s error(s) in %(file)s; nothing was saved.")
                        % {"count": len(error.problems), "file": ", ".join(p.name for p in paths)}
                    ) from None
        self.stdout.write(
            f"new: {counts['new']}, changed: {counts['changed']}, unchanged: {counts['unchanged']}"
        )
        self.stdout.write(
            "dry run: nothing was saved." if dry_run else f"imported into {tenant.name}."
        )
