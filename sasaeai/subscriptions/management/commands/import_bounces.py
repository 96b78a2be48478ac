"""python manage.py import_bounces --tenant 112089 bounces.csv [--soft]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context
from sasaeai.subscriptions.bounces import BounceFileError, bounces_import


class Command(BaseCommand):
    help = "Mark bounced addresses from a mail server's list (CSV or one address a line)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--tenant", required=True, help="local government code")
        parser.add_argument("--soft", action="store_true", help="count every line as a soft bounce")

    def handle(self, *args, **options):
        with translation.override("ja"):
            tenant = Tenant.objects.filter(code=options["tenant"]).first()
            if tenant is None:
                raise CommandError(
                    _("No tenant with the code %(code)s.") % {"code": options["tenant"]}
                )
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(_("File not found: %(path)s") % {"path": path})
            actor = Actor(user_id=None, username="import_bounces", tenant_id=tenant.pk,
                          membership_id=None, role=None)  # fmt: skip
            with tenant_context(tenant.pk):
                try:
                    result = bounces_import(
                        actor=actor, tenant_id=tenant.pk, data=path.read_bytes(),
                        all_soft=options["soft"],
                    )  # fmt: skip
                except BounceFileError as error:
                    raise CommandError(
                        "\n".join([_("Nothing was saved."), *error.problems[:50]])
                    ) from None
            self.stdout.write(
                _(
                    "Bounced: %(bounced)d, soft bounces counted: %(soft)d, not subscribers: %(unknown)d"
                )
                % {"bounced": result.bounced, "soft": result.soft, "unknown": result.unknown}
            )
