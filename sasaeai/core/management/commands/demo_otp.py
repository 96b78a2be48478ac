from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sasaeai.core.demo import demo_totp_key


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (demo data only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        device = TOTPDevice.objects.filter(user__username=username, name="demo").first()
        if device is None or device.key != demo_totp_key(username):
            raise CommandError(f"{username} is not a demo user with a demo two-factor key.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
        self.stdout.write(f"key (otpauth): {device.config_url}", self.style.NOTICE)
