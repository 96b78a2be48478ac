"""Staff pages under /notices/ and the public pages /notices/<local government code>/."""

from django.urls import path, re_path

from sasaeai.notices import views

app_name = "notices"
TENANT = r"(?P<tenant_code>[0-9]{5,6})"
urlpatterns = [
    path("", views.notice_list, name="notice_list"),
    path("new/", views.notice_create, name="notice_create"),
    path("manage/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("manage/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("manage/<int:pk>/readings/", views.notice_readings, name="notice_readings"),
    path("manage/<int:pk>/publish/", views.notice_publish, name="notice_publish"),
    path("manage/<int:pk>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("manage/<int:pk>/delete/", views.notice_delete, name="notice_delete"),
    path("manage/<int:pk>/flyer.pdf", views.notice_flyer, name="notice_flyer"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("dictionary/import/", views.dictionary_import, name="dictionary_import"),
    path("dictionary/<int:pk>/edit/", views.dictionary_edit, name="dictionary_edit"),
    path("dictionary/<int:pk>/delete/", views.dictionary_delete, name="dictionary_delete"),
    re_path(rf"^{TENANT}/$", views.public_list, name="public_list"),
    re_path(rf"^{TENANT}/(?P<pk>[0-9]+)/$", views.public_detail, name="public_detail"),
]
