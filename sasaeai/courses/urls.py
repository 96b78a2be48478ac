from django.urls import path, re_path

from sasaeai.courses import public_views, views

app_name = "courses"
urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("new/", views.course_form, name="course_create"),
    path("statistics/", views.statistics, name="statistics"),
    path("course/<int:pk>/", views.course_detail, name="course_detail"),
    path("course/<int:pk>/edit/", views.course_form, name="course_edit"),
    path("course/<int:course_pk>/sessions/new/", views.session_form, name="session_create"),
    path("session/<int:pk>/", views.session_detail, name="session_detail"),
    path("session/<int:pk>/edit/", views.session_form, name="session_edit"),
    path("session/<int:pk>/attendance/", views.session_attendance, name="session_attendance"),
    path("session/<int:pk>/head-count/", views.session_head_count, name="session_head_count"),
    path("session/<int:pk>/register/", views.session_register, name="session_register"),
    path("session/<int:pk>/sheet/", views.session_sheet, name="session_sheet"),
    path("session/<int:pk>/thank-you/", views.session_thank_you, name="session_thank_you"),
    path(
        "session/<int:pk>/participants.<str:fmt>",
        views.session_export,
        name="session_export",
    ),
    path("outreach/", views.outreach_list, name="outreach_list"),
    path("outreach/<int:pk>/decide/", views.outreach_decide, name="outreach_decide"),
    path("registration/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    # Public pages (no login), by the municipality's six-digit local government code.
    re_path(r"^(?P<tenant_code>[0-9]{6})/$", public_views.public_sessions, name="public_sessions"),
    re_path(
        r"^(?P<tenant_code>[0-9]{6})/sessions/(?P<session_id>[0-9]+)/register/$",
        public_views.public_register,
        name="public_register",
    ),
    re_path(
        r"^(?P<tenant_code>[0-9]{6})/outreach/$",
        public_views.public_outreach_request,
        name="public_outreach_request",
    ),
    re_path(
        r"^(?P<tenant_code>[0-9]{6})/registered/(?P<token>[-\w:]+)/$",
        public_views.public_registered,
        name="public_registered",
    ),
]
