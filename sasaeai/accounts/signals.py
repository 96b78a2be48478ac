"""Session bookkeeping at login. No business logic: the time is what the absolute timeout needs."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

AUTH_STARTED_AT = "sasaeai_auth_started_at"


@receiver(user_logged_in, dispatch_uid="sasaeai-auth-started-at")
def remember_login_time(sender, request, user, **kwargs):
    request.session[AUTH_STARTED_AT] = timezone.now().timestamp()
