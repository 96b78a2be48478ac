"""manage.py tenant_create --code 122033 --name 市川市 [--council …] --admin USER --email …"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.policy import Actor
from sasaeai.golive import services


class Command(BaseCommand):
    help = (
        "Create a municipality's tenant from its 全国地方公共団体コード (6 digits with the check "
        "digit) and name, its first system administrator and every module's defaults. "
        "Prints the administrator's one-time password once. Running it again with the same "
        "arguments changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="local government code, e.g. 122033")
        parser.add_argument("--name", required=True, help="municipality name, e.g. 市川市")
        parser.add_argument(
            "--council", default="", help="welfare council (default: <name>社会福祉協議会)"
        )
        parser.add_argument("--admin", required=True, help="the first system admin's user name")
        parser.add_argument("--email", required=True, help="the first system admin's e-mail")
        parser.add_argument("--admin-name", default="", help="the admin's display name")
        parser.add_argument(
            "--invite",
            action="store_true",
            help="e-mail the admin an invitation link instead of printing a one-time password",
        )

    def handle(self, *args, **options):
        with translation.override("ja"):
            self._run(options)

    def _run(self, options) -> None:
        actor = Actor(
            user_id=None, username="tenant_create", tenant_id=None, membership_id=None, role=None
        )
        try:
            result = services.tenant_create(
                actor=actor,
                code=options["code"],
                name=options["name"],
                council_name=options["council"],
                admin_username=options["admin"],
                admin_email=options["email"],
                admin_display_name=options["admin_name"],
                invite=options["invite"],
            )
        except ValidationError as error:
            messages = [m for errors in error.message_dict.values() for m in errors]
            raise CommandError(" ".join(messages) + " " + _("Nothing was saved.")) from error
        tenant = result.tenant
        if not result.created:
            self.stdout.write(
                _("%(name)s (%(code)s) already exists with the administrator %(admin)s; "
                  "nothing was changed.")
                % {"name": tenant.name, "code": tenant.code, "admin": result.admin.user.username}
            )  # fmt: skip
            return
        self.stdout.write(
            _("Created %(prefecture)s%(name)s (%(code)s), %(council)s, with the system "
              "administrator %(admin)s.")
            % {"prefecture": tenant.prefecture, "name": tenant.name, "code": tenant.code,
               "council": tenant.welfare_council_name, "admin": result.admin.user.username}
        )  # fmt: skip
        if result.invited:
            self.stdout.write(
                _("An invitation was sent to %(email)s: the link sets a password, and "
                  "two-factor setup follows the first sign-in.")
                % {"email": result.admin.user.email}
            )  # fmt: skip
        elif result.password:
            self.stdout.write(
                _("One-time password (shown only now; two-factor setup follows the first "
                  "sign-in): %(password)s")
                % {"password": result.password}
            )  # fmt: skip
        else:
            self.stdout.write(_("The administrator keeps their existing password."))
