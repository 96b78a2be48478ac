"""Job pages: my jobs, one job (progress polled by htmx), the result download."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from sasaeai.core import jobs as registry
from sasaeai.jobs import selectors, services
from sasaeai.jobs.models import JobStatus


def _label(job) -> str:
    try:
        return registry.get(job.kind).label
    except KeyError:
        return job.kind


def _result_url(job) -> str:
    try:
        kind = registry.get(job.kind)
    except KeyError:
        return ""
    return kind.result_url(job.parameters) if kind.result_url and job.finished else ""


def job_list(request):
    jobs = list(selectors.jobs_visible_to(request.actor)[:50])
    for job in jobs:
        job.label = _label(job)
    return render(request, "jobs/job_list.html", {"jobs": jobs})


def job_detail(request, job_id: int):
    job = selectors.job_for(request.actor, job_id)
    job.label = _label(job)
    job.result_url = _result_url(job)
    template = "jobs/_job_status.html" if request.htmx else "jobs/job_detail.html"
    return render(request, template, {"job": job, "statuses": JobStatus})


def job_download(request, job_id: int):
    job = selectors.job_result(request.actor, job_id)
    if job.status != JobStatus.SUCCEEDED or job.result_data is None:
        raise Http404
    services.job_download(actor=request.actor, job=job)
    response = HttpResponse(bytes(job.result_data), content_type=job.result_content_type)
    response["Content-Disposition"] = content_disposition_header(True, job.result_filename)
    return response
