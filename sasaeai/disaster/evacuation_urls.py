"""/disaster/plans/ and /disaster/shelters/: 個別避難計画 and 福祉避難所 (evacuation_views)."""

from django.urls import path

from sasaeai.disaster import evacuation_views as views

urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/fees/", views.plan_fees, name="plan_fees"),
    path("plans/fees.csv", views.plan_fees_csv, name="plan_fees_csv"),
    path("plans/coverage/", views.coverage, name="plan_coverage"),
    path("plans/coverage.csv", views.coverage_csv, name="plan_coverage_csv"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/plan.pdf", views.plan_print, name="plan_print"),
    path(
        "plans/<int:pk>/supporters/<int:supporter_pk>/remove/",
        views.supporter_remove,
        name="supporter_remove",
    ),
    path("shelters/", views.shelter_list, name="shelter_list"),
    path("shelters/new/", views.shelter_edit, name="shelter_new"),
    path("shelters/<int:pk>/", views.shelter_edit, name="shelter_edit"),
]
