from django.urls import path

from sasaeai.watch import extra_urls, views

app_name = "watch"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/end/", views.person_end, name="person_end"),
    path("people/<int:pk>/contact/", views.contact_new, name="contact_new"),
    path("watchers/<int:pk>/end/", views.watcher_end, name="watcher_end"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("missed/", views.missed, name="missed"),
    *extra_urls.urlpatterns,
]
