"""The immediate e-mails of notifications, sent by the worker (django-tasks on the database
queue, the same backend as sasaeai.jobs), so the request that publishes never waits for SMTP.

Not a core.jobs kind: a job belongs to a member, shows in their 「ジョブ」 list and announces
its end with a notification, which would notify about notifying. A plain task is enough: it is
queued in the delivery's transaction (it exists exactly when the rows do) and carries only ids.
"""

from django_tasks import task


@task()
def send_notification_mails(tenant_id: int, notification_ids: list[int], attempt: int = 1) -> None:
    from sasaeai.notifications.services import immediate_mails_send

    immediate_mails_send(tenant_id=tenant_id, notification_ids=notification_ids, attempt=attempt)
