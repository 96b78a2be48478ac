"""Public plan progress: no login, the city chosen by its local government code in the URL.

Each view finds the tenant and a *published* plan first (404 otherwise: an unpublished plan and
an unknown city look alike) and reads it inside that tenant."""

from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from sasaeai.core.public_site import public_page
from sasaeai.plans import public


def _published(tenant, plan_code: str):
    plan = public.published_plan(tenant.pk, plan_code)
    if plan is None:
        raise Http404
    return plan


@public_page
def plan_list(request, tenant):
    plans = list(public.published_plans(tenant.pk))
    return render(request, "plans/public/plan_list.html", {"tenant": tenant, "plans": plans})


@public_page
def plan_progress(request, tenant, plan_code: str):
    plan = _published(tenant, plan_code)
    year = public.public_year(plan)
    body = mark_safe(public.plan_body(plan, tenant, year))  # noqa: S308 - our own template
    return render(request, "plans/public/plan.html", {"tenant": tenant, "plan": plan, "body": body})


@public_page
def node_progress(request, tenant, plan_code: str, node_id: int):
    plan = _published(tenant, plan_code)
    context = public.node_context(plan, tenant, public.public_year(plan), node_id)
    if context is None:
        raise Http404
    return render(request, "plans/public/node.html", context)
