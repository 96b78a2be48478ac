"""The mailing job (kind `subscriptions.send`): one broadcast to every subscriber its target
reaches, in batches, never blocking a request and never mailing anyone twice.

- The content is rendered once per language (core.broadcasts.render), not per subscriber.
- Subscribers are read SUBSCRIPTIONS_BATCH at a time by primary key (keyset pagination: each
  batch is an index range, however far the job has gone), leaving out those already mailed.
- Each batch's deliveries are recorded (committed) *before* its mails leave, then the batch
  goes through one mail connection; a mail the server refuses is marked failed. So a job run
  again (a worker killed, the mail server down) skips everyone recorded as sent and tries the
  failed ones again: at most once per subscriber. The price: if the worker dies in the middle
  of a batch, the rest of that batch is recorded as sent without having been sent.
- The kind does not run in one transaction (`writes=False`): each batch commits on its own,
  so progress survives a crash and is visible on the job page as it goes.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sasaeai.accounts import policy
from sasaeai.core import broadcasts
from sasaeai.core.jobs import JobError, JobKind, JobRun
from sasaeai.core.models import Tenant
from sasaeai.subscriptions import tokens
from sasaeai.subscriptions.channel import SEND_KIND, recipients, target_from
from sasaeai.subscriptions.models import Delivery, DeliveryStatus

PERMISSION = "subscriptions.send"


def authorize_send(actor, parameters: dict) -> None:
    policy.require(actor, PERMISSION)
    keys = parameters.get("topic_keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise JobError(_("A mailing needs at least one topic."))
    if not isinstance(parameters.get("source"), str) or not parameters.get("object_id"):
        raise JobError(_("A mailing needs what to send."))


class Mailing:
    """The parts of the mail that are the same for everyone who reads one language."""

    def __init__(self, tenant: Tenant, source: str, object_id: int):
        self.tenant, self.source, self.object_id = tenant, source, object_id
        self.by_language: dict[str, tuple[str, str, str]] = {}
        # One reverse() for the whole job: each link is this path with the subscriber's token.
        marker = "__token__"
        self.unsubscribe_base = tokens.absolute(
            reverse("subscriptions_public:unsubscribe", args=[tenant.code, marker])
        ).split(marker)
        self.preferences_base = tokens.absolute(
            reverse("subscriptions_public:preferences", args=[tenant.code, marker])
        ).split(marker)

    def parts(self, language: str) -> tuple[str, str, str]:
        """(subject, body before the links, footer template) in `language`."""
        if language not in self.by_language:
            content = broadcasts.render(self.source, self.tenant.pk, self.object_id, language)
            with translation.override(language):
                head = "\n".join(
                    [content.text.rstrip(), "", _("Read it on the web:"),
                     tokens.absolute(content.path), ""]
                )  # fmt: skip
                footer = _(
                    "――\nYou receive this mail because you subscribed to e-mail from "
                    "%(tenant)s.\nChange your topics, areas or language: %%(preferences)s\n"
                    "Stop receiving e-mail (one click): %%(unsubscribe)s"
                ) % {"tenant": self.tenant.name}
            self.by_language[language] = (content.subject, head, footer)
        return self.by_language[language]

    def still_wanted(self) -> None:
        """Ask the source again before each batch: a notice withdrawn meanwhile stops here."""
        try:
            broadcasts.render(self.source, self.tenant.pk, self.object_id, "ja")
        except broadcasts.Withdrawn:
            raise JobError(
                _("The content was withdrawn: the mailing stopped. Nobody else will receive it.")
            ) from None

    def message(self, subscriber_id: int, email: str, language: str) -> EmailMessage:
        subject, head, footer = self.parts(language)
        token = tokens.subscriber_token(self.tenant.pk, subscriber_id)
        unsubscribe = token.join(self.unsubscribe_base)
        body = head + "\n" + footer % {
            "preferences": token.join(self.preferences_base), "unsubscribe": unsubscribe,
        }  # fmt: skip
        return EmailMessage(
            subject, body, settings.DEFAULT_FROM_EMAIL, [email],
            headers={
                # RFC 2369 and RFC 8058: mail programs show an unsubscribe button that POSTs
                # "List-Unsubscribe=One-Click" to this URL (views.unsubscribe takes it).
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )  # fmt: skip


def send_job(run: JobRun) -> None:
    tenant = Tenant.objects.get(pk=run.tenant_id)
    source, object_id = run.parameters["source"], int(run.parameters["object_id"])
    target = target_from(run.tenant_id, run.parameters)
    mailing = Mailing(tenant, source, object_id)
    delivered = Delivery.objects.filter(
        tenant_id=tenant.pk, source=source, object_id=object_id, status=DeliveryStatus.SENT
    )
    everyone = recipients(target)
    total = everyone.count()
    done = min(total, delivered.count())
    run.progress(done, total, _("Sending"))
    size = settings.SUBSCRIPTIONS_BATCH
    last_pk = 0
    sent = 0
    while True:
        # Two bounded queries per batch: the next recipients by primary key (an index range
        # that stops after `size` rows), then which of those already have their mail. An
        # anti-join against every delivery instead made PostgreSQL scan them all each batch.
        rows = list(
            everyone.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "email", "language")[:size]
        )
        if not rows:
            break
        last_pk = rows[-1][0]
        already = set(
            delivered.filter(subscriber_id__in=[row[0] for row in rows]).values_list(
                "subscriber_id", flat=True
            )
        )
        batch = [row for row in rows if row[0] not in already]
        if not batch:
            continue
        mailing.still_wanted()
        # Build every message first: a rendering error stops the job before anything is
        # recorded or sent for this batch.
        messages = [(pk, mailing.message(pk, email, language)) for pk, email, language in batch]
        now = timezone.now()
        with transaction.atomic():
            Delivery.objects.bulk_create(
                [Delivery(tenant_id=tenant.pk, source=source, object_id=object_id,
                          subscriber_id=pk, sent_at=now, status=DeliveryStatus.SENT)
                 for pk, _message in messages],
                update_conflicts=True,
                unique_fields=["source", "object_id", "subscriber"],
                update_fields=["status", "sent_at"],
            )  # fmt: skip
        refused, gone_through = [], set()
        try:
            with get_connection() as connection:
                for pk, message in messages:
                    try:
                        connection.send_messages([message])
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
                        refused.append(pk)
                    gone_through.add(pk)
        except (smtplib.SMTPException, OSError) as error:
            # The server went away: whatever this batch did not get through is failed, and a
            # new run of the job sends exactly those (and the batches after).
            rest = [pk for pk, _m in messages if pk not in gone_through]
            _mark_failed(tenant.pk, source, object_id, refused + rest, now)
            sent += len(gone_through) - len(refused)
            raise JobError(
                _(
                    "The mail server could not be reached (%(error)s). %(sent)d mails were sent; "
                    "run the mailing again to send the rest."
                )
                % {"error": error.__class__.__name__, "sent": sent}
            ) from error
        if refused:
            _mark_failed(tenant.pk, source, object_id, refused, now)
        sent += len(messages) - len(refused)
        done += len(messages)
        run.progress(done, total, _("Sending"))


def _mark_failed(tenant_id: int, source: str, object_id: int, ids: list[int], when) -> None:
    Delivery.objects.filter(
        tenant_id=tenant_id, source=source, object_id=object_id, subscriber_id__in=ids,
        sent_at=when,
    ).update(status=DeliveryStatus.FAILED)  # fmt: skip


SEND = JobKind(
    key=SEND_KIND,
    label=gettext_lazy("E-mail to subscribers"),
    handler=send_job,
    permission=PERMISSION,
    source="subscriptions",
    authorize=authorize_send,
    writes=False,
)
