"""Password guessing, slowed without a CAPTCHA and without letting anyone lock a colleague out.

Three layers, all on django-axes' AccessAttempt rows (one per user name, address and browser):
- a user name from one address is locked after AXES_FAILURE_LIMIT failures (axes, with
  AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]): a stranger guessing from elsewhere
  no longer locks the real user out of their own desk;
- the user name is locked on every address after LOGIN_FAILURE_LIMIT_PER_USER failures in all,
  against guessing spread over many addresses (UserCeilingDatabaseHandler below);
- after each failure the same user name from the same address must wait, 2, 4, 8… seconds
  (LOGIN_RETRY_DELAY_SECONDS doubled per failure, at most LOGIN_RETRY_DELAY_MAX_SECONDS). A try
  within the wait is refused before the password is checked, and does not count: the worker
  answers at once instead of sleeping, and the attacker gains nothing by hammering.
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def _recent_attempts(username: str):
    """The user name's failure records still within the cool-off, from every address."""
    threshold = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(username=username, attempt_time__gte=threshold)


class UserCeilingDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler, which also locks a user name failed too often over all addresses."""

    def get_failures(self, request, credentials=None) -> int:
        from_this_address = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if username is None:
            return from_this_address
        everywhere = (
            _recent_attempts(username).aggregate(total=Sum("failures_since_start"))["total"] or 0
        )
        if everywhere >= settings.LOGIN_FAILURE_LIMIT_PER_USER:
            return max(from_this_address, get_failure_limit(request, credentials))
        return from_this_address


def retry_wait_seconds(request, username: str) -> int:
    """Seconds this address must still wait before trying this user name again (0: go ahead)."""
    base = settings.LOGIN_RETRY_DELAY_SECONDS
    if not username or base <= 0:
        return 0
    recent = _recent_attempts(username).filter(ip_address=get_client_ip_address(request))
    last = recent.aggregate(failures=Sum("failures_since_start"), at=Max("attempt_time"))
    if not last["failures"]:
        return 0
    wait = min(base * 2 ** (last["failures"] - 1), settings.LOGIN_RETRY_DELAY_MAX_SECONDS)
    remaining = (last["at"] + timedelta(seconds=wait) - timezone.now()).total_seconds()
    return max(0, math.ceil(remaining))
