"""Background jobs: one row per piece of work a user asked for (docs/jobs.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.models import TenantScoped


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class Job(TenantScoped):
    """A job of a registered kind (core.jobs). Parameters hold ids and options, never personal
    data. The result lives in the database (and so in its backups) until `expires_at`."""

    kind = models.CharField(_("kind"), max_length=80)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("requested by"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    result_filename = models.CharField(_("file name"), max_length=200, blank=True)
    result_content_type = models.CharField(max_length=200, blank=True)
    result_data = models.BinaryField(null=True, blank=True, editable=False)
    result_size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("result kept until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["tenant", "requested_by", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


class ScheduledRun(models.Model):
    """One scheduled command on one night. The unique row is claimed by inserting it, so two
    workers never run the same command for the same night twice. Global (no tenant): the
    commands loop over the tenants themselves."""

    name = models.CharField(max_length=80)
    run_date = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    output = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "run_date"], name="jobs_scheduledrun_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.run_date}"
