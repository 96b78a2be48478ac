"""Figures the resource directory publishes into the metrics registry for the plans.

They count what is published and active today, so the plans module records them only for the
current fiscal year (it never rewrites past years with present counts).
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from sasaeai.core import metrics
from sasaeai.core.tenancy import tenant_context

# key suffix → (category codes, label, unit)
PLACE_COUNTS = {
    "gathering_places": (("gathering_place", "salon"), _("Gathering places for older people (通いの場・サロン)")),
    "children_places": (("children_cafeteria", "children_place", "study_support"), _("Children's cafeterias and other places for children")),
    "children_cafeterias": (("children_cafeteria",), _("Children's cafeterias")),
    "dementia_cafes": (("dementia_cafe",), _("Dementia cafés")),
    "consultation_desks": (("consultation", "community_care_center"), _("Places to consult")),
    "welfare_shelters": (("welfare_shelter",), _("Welfare shelters")),
    "child_rearing_hubs": (("child_rearing_hub",), _("Community child-rearing support hubs")),
}  # fmt: skip
DISTRICT_COUNTS = {
    "school_districts_with_child_rearing_hub": (
        ("child_rearing_hub",),
        _("Junior high school districts with a child-rearing support hub"),
    ),
}


def _counter(fn, codes: tuple[str, ...]) -> Callable[[int, int], int]:
    def compute(tenant_id: int, fiscal_year: int) -> int:
        with tenant_context(tenant_id):
            return fn(tenant_id, list(codes))

    return compute


def register_metrics() -> None:
    from sasaeai.resources import selectors

    for suffix, (codes, label) in PLACE_COUNTS.items():
        metrics.register(
            metrics.Metric(
                key=f"resources.{suffix}",
                label=label,
                unit=_("places"),
                compute=_counter(selectors.count_places, codes),
                source="resources",
            )
        )
    for suffix, (codes, label) in DISTRICT_COUNTS.items():
        metrics.register(
            metrics.Metric(
                key=f"resources.{suffix}",
                label=label,
                unit=_("districts"),
                compute=_counter(selectors.school_districts_with, codes),
                source="resources",
            )
        )
