from django.urls import path

from sasaeai.tokens import views

app_name = "tokens"
urlpatterns = [
    path("", views.token_list, name="token_list"),
    path("new", views.token_create, name="token_create"),
    path("service/new", views.service_token_create, name="service_token_create"),
    path("<int:pk>/revoke", views.token_revoke, name="token_revoke"),
    path("api-docs/", views.api_docs, name="api_docs"),
]
