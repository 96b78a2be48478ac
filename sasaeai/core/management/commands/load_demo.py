from django.core.management.base import BaseCommand
from django.utils import translation

from sasaeai.core import demo
from sasaeai.core.tenancy import all_tenants


class Command(BaseCommand):
    help = "Load the demo tenants (桶川市, 所沢市, 鴻巣市), their areas and one user per role."

    def handle(self, *args, **options):
        translation.activate("ja")
        with all_tenants():
            if demo.demo_loaded():
                self.stdout.write("Demo data is already loaded.")
                logins = None
            else:
                logins = demo.load_demo()
        self.stdout.write("")
        self.stdout.write("=== Sasaeai demo: http://127.0.0.1:8000/ ===")
        self.stdout.write(f"Password for every demo user: {demo.DEMO_PASSWORD}")
        if logins:
            for username, tenant, role in logins:
                self.stdout.write(f"  {username:26} {tenant}  {role}")
        else:
            self.stdout.write(
                "  users: okegawa-admin, okegawa-csw, okegawa-commissioner, ... (okegawa-,"
            )
            self.stdout.write(
                "  tokorozawa-, konosu- + admin/city/council/csw/coordinator/commissioner/"
            )
            self.stdout.write(
                "  committee/volunteer/resident/agency), saitama-officer (three tenants)"
            )
        self.stdout.write(
            "Two-factor (staff roles and commissioners): print the current 6-digit code with"
        )
        self.stdout.write("  .venv/bin/python manage.py demo_otp okegawa-csw")
        self.stdout.write("  or add the key it prints to an authenticator app.")
