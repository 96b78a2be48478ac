from django.urls import path

from sasaeai.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("import/", views.plan_import, name="plan_import"),
    path("compare/", views.compare, name="compare"),
    path("<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("<int:plan_id>/publication/", views.plan_publication, name="plan_publication"),
    path("<int:plan_id>/dashboard/", views.dashboard, name="dashboard"),
    path("<int:plan_id>/report.<str:fmt>", views.report_download, name="report_download"),
    path("<int:plan_id>/export.<str:fmt>", views.plan_export, name="plan_export"),
    path("<int:plan_id>/actuals/upload/", views.actuals_upload, name="actuals_upload"),
    path("<int:plan_id>/nodes/<int:node_id>/", views.node_detail, name="node_detail"),
    path(
        "<int:plan_id>/nodes/<int:node_id>/evaluations/<int:year>/",
        views.evaluation_edit,
        name="evaluation_edit",
    ),
    path(
        "<int:plan_id>/nodes/<int:node_id>/evaluations/<int:year>/<str:action>/",
        views.evaluation_transition,
        name="evaluation_transition",
    ),
    path(
        "<int:plan_id>/indicators/<int:indicator_id>/",
        views.indicator_detail,
        name="indicator_detail",
    ),
]
