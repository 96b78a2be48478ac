"""Residents' pages: /mail/<tenant code>/… (no login)."""

from django.urls import path

from sasaeai.subscriptions import public_views as views

app_name = "subscriptions_public"
urlpatterns = [
    path("<str:tenant_code>/", views.subscribe, name="subscribe"),
    path("<str:tenant_code>/sent/", views.sent, name="sent"),
    path("<str:tenant_code>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("<str:tenant_code>/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<str:tenant_code>/preferences/<str:token>/", views.preferences, name="preferences"),
]
