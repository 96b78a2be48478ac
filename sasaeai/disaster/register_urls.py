"""/disaster/: the register, consent, imports, settings, recipients and copies."""

from django.urls import path

from sasaeai.disaster import register_views as views

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register_list, name="register_list"),
    path("register/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("register/consent/", views.consent_by_number, name="consent_by_number"),
    path("register/imports/", views.import_upload, name="import_upload"),
    path("register/imports/<int:pk>/", views.import_preview, name="import_preview"),
    path("settings/", views.settings_page, name="settings"),
    path("recipients/", views.recipient_list, name="recipient_list"),
    path("recipients/new/", views.recipient_edit, name="recipient_create"),
    path("recipients/<int:pk>/", views.recipient_detail, name="recipient_detail"),
    path("recipients/<int:pk>/edit/", views.recipient_edit, name="recipient_edit"),
    path(
        "recipients/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("recipients/<int:pk>/copies/", views.copy_issue, name="copy_issue"),
    path("copies/<int:pk>/close/", views.copy_close, name="copy_close"),
]
