"""Jobs in the admin site, read only, for the system administrator. The task queue's own admin
(django_tasks_db) is taken off: it is not policy-scoped, and the job rows say everything."""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

from sasaeai.admin_site import PolicyAdmin
from sasaeai.jobs.models import Job

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(Job)
class JobAdmin(PolicyAdmin):
    view_permission = "jobs.view_all_jobs"
    list_display = ["pk", "kind", "status", "requested_by", "created_at", "finished_at", "attempts"]
    list_filter = ["status", "kind"]
    exclude = ["result_data"]
    list_select_related = ["requested_by"]
