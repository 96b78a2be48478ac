"""Email each desk worker a daily reminder of their due tasks and reviews (run each morning),
and tell each assignee in the app (core.events) of a task that falls due today or has just
become overdue (services.task_reminders_publish; e-mailed by their notification preferences).

The mail carries counts and case numbers only: no names, no titles. Mail from an LGWAN
system may leave it, so nothing in it identifies a person; the worker signs in to see more.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sasaeai.accounts.models import Membership, Role
from sasaeai.accounts.policy import Actor
from sasaeai.consultation import selectors, services
from sasaeai.consultation.rules import DESK_ROLES
from sasaeai.core.models import Tenant
from sasaeai.core.tenancy import tenant_context


def worker_actor(membership: Membership) -> Actor:
    """The worker as the rules see them, to list exactly the cases they may open."""
    return Actor(
        user_id=membership.user_id, username=membership.user.username, tenant_id=membership.tenant_id,
        membership_id=membership.pk, role=Role(membership.role), otp_verified=True,
    )  # fmt: skip


def case_numbers(case_ids) -> str:
    return ", ".join(f"#{pk}" for pk in sorted(set(case_ids)))


def reminder(actor: Actor, *, task_days: int, review_days: int) -> tuple[str, str] | None:
    """(subject, body) for one worker, or None when nothing is due."""
    today = timezone.localdate()
    tasks = list(selectors.due_tasks(actor, within_days=task_days).values_list("case_id", "due_on"))
    overdue = [case_id for case_id, due in tasks if due < today]
    due = [case_id for case_id, due in tasks if due >= today]
    reviews = list(
        selectors.reviews_due(actor, within_days=review_days).values_list("pk", flat=True)
    )
    if not (tasks or reviews):
        return None
    lines = [_("Good morning. This is your reminder from Sasaeai (consultation and support)."), ""]
    if overdue:
        lines.append(
            _("Overdue tasks: %(count)s (cases %(cases)s)")
            % {"count": len(overdue), "cases": case_numbers(overdue)}
        )
    if due:
        lines.append(_("Tasks due within %(days)s days: %(count)s (cases %(cases)s)") % {
            "days": task_days, "count": len(due), "cases": case_numbers(due)})  # fmt: skip
    if reviews:
        lines.append(_("Case reviews due within %(days)s days: %(count)s (cases %(cases)s)") % {
            "days": review_days, "count": len(reviews), "cases": case_numbers(reviews)})  # fmt: skip
    lines += ["", _("Sign in to Sasaeai to see the details.")]
    subject = _("[Sasaeai] %(tasks)s tasks and %(reviews)s reviews due") % {
        "tasks": len(tasks),
        "reviews": len(reviews),
    }
    return subject, "\n".join(lines)


class Command(BaseCommand):
    help = "Email desk workers the counts and case numbers of their due tasks and reviews."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's code (default: every active tenant)")
        parser.add_argument(
            "--task-days", type=int, default=7, help="tasks due within this many days"
        )
        parser.add_argument(
            "--review-days", type=int, default=14, help="reviews due within this many days"
        )

    def handle(self, *args, tenant=None, task_days=7, review_days=14, **options):
        translation.activate(settings.LANGUAGE_CODE)
        tenants = Tenant.objects.filter(is_active=True)
        if tenant:
            tenants = Tenant.objects.filter(code=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with code {tenant}")
        sent, self.failed = 0, 0
        for row in tenants.order_by("code"):
            with tenant_context(row.pk):
                with transaction.atomic():
                    services.task_reminders_publish(tenant_id=row.pk)
                sent += self._tenant(row, task_days, review_days)
        self.stdout.write(f"{sent}")
        if self.failed:
            raise CommandError(f"{self.failed} reminders could not be sent")

    def _tenant(self, tenant: Tenant, task_days: int, review_days: int) -> int:
        workers = (
            Membership.objects.active()
            .filter(tenant=tenant, role__in=[r.value for r in DESK_ROLES])
            .exclude(user__email="")
            .select_related("user")
            .order_by("pk")
        )
        sent = 0
        for membership in workers:
            message = reminder(
                worker_actor(membership), task_days=task_days, review_days=review_days
            )
            if message is None:
                continue
            try:
                send_mail(message[0], message[1], None, [membership.user.email])
            except OSError as error:  # SMTP refused or unreachable: the others still get theirs
                self.failed += 1
                self.stderr.write(f"{tenant.code} {membership.user.username}: {error}")
                continue
            sent += 1
        return sent
