from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "sasaeai.courses"
    label = "courses"
    verbose_name = _("Courses and events")

    def ready(self):
        from sasaeai.accounts.models import Role
        from sasaeai.accounts.policy import register_permissions
        from sasaeai.core import demo, events, modules, public_site
        from sasaeai.courses.demo import load_courses
        from sasaeai.courses.metrics import register_metrics

        # The council runs most courses, the volunteer centre the ボランティア体験, the city
        # its own 出前講座 and events; the system administrator sets a tenant up.
        register_permissions(
            {
                "courses.manage": {Role.SYSTEM_ADMIN, Role.MUNICIPAL_STAFF,
                                   Role.WELFARE_COUNCIL_STAFF, Role.VOLUNTEER_COORDINATOR},
            }
        )  # fmt: skip
        public_site.register(
            public_site.PublicPage(
                key="courses",
                label=_("Courses and events"),
                url=public_courses_url,
                order=35,
                description=_("Courses, volunteer experiences and events you can join."),
            )
        )
        modules.register(
            modules.Module(
                key="courses",
                label=_("Courses and events"),
                url_name="courses:course_list",
                permission="courses.manage",
                order=40,
            )
        )
        events.register(
            events.EventKind(
                key="courses.registration_received",
                label=_("New registration for a course"),
                asks_action=False,
                source="courses",
            )
        )
        events.register(
            events.EventKind(
                key="courses.outreach_requested",
                label=_("A group asks for an outreach course"),
                asks_action=True,
                source="courses",
            )
        )
        register_metrics()
        # Before the plans (order 50), whose demo indicators read these metrics.
        demo.register_demo_loader(load_courses, order=24)


def public_courses_url(tenant) -> str:
    from django.urls import reverse

    return reverse("courses:public_sessions", args=[tenant.code])
