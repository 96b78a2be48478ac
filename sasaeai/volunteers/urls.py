from django.urls import path

from sasaeai.volunteers import matching_views, stats_views, views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("helpers/", views.helper_list, name="helper_list"),
    path("helpers/new/", views.helper_edit, name="helper_create"),
    path("helpers/<int:pk>/", views.helper_detail, name="helper_detail"),
    path("helpers/<int:pk>/edit/", views.helper_edit, name="helper_edit"),
    path("helpers/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("registries/", views.registry_list, name="registry_list"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/shortlist/", matching_views.shortlist, name="shortlist"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("reports/<int:pk>/sign-off/", views.report_sign_off, name="report_sign_off"),
    path("matching/", matching_views.matching, name="matching"),
    path("statistics/", stats_views.statistics_page, name="statistics"),
    path("statistics/export.<str:fmt>", stats_views.statistics_export, name="statistics_export"),
    path("my/", views.my_home, name="my_home"),
    path("my/profile/", views.my_profile, name="my_profile"),
    path("my/offers/<int:pk>/", views.my_offer, name="my_offer"),
    path("my/offers/<int:pk>/report/", views.my_report, name="my_report"),
    path("my/requests/", views.my_requests, name="my_requests"),
    path("my/requests/new/", views.help_request_new, name="help_request_new"),
    path("my/requests/<int:pk>/", views.my_request, name="my_request"),
]
