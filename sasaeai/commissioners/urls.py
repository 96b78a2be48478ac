from django.urls import path

from sasaeai.commissioners import views

app_name = "commissioners"
MONTH = "<int:user_id>/<int:year>/<int:month>"
urlpatterns = [
    path("", views.home, name="home"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    path(f"forms/{MONTH}/", views.month_form, name="form"),
    path(f"forms/{MONTH}/form.<str:fmt>", views.month_form_export, name="form_export"),
    path(f"forms/{MONTH}/submit/", views.month_submit, name="submit"),
    path(f"forms/{MONTH}/lock/", views.month_lock, name="lock"),
    path(f"forms/{MONTH}/unlock/", views.month_unlock, name="unlock"),
    path("office/<int:year>/<int:month>/", views.office, name="office"),
    path("districts/<int:year>/<int:month>/", views.districts, name="districts"),
    path(
        "districts/<int:year>/<int:month>/totals.xlsx",
        views.districts_export,
        name="districts_export",
    ),
    path("fiscal/", views.fiscal_year, name="fiscal_year_current"),
    path("fiscal/<int:year>/", views.fiscal_year, name="fiscal_year"),
    path("fiscal/<int:year>/totals.<str:fmt>", views.fiscal_year_export, name="fiscal_export"),
]
