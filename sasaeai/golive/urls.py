from django.urls import path

from sasaeai.golive import views

app_name = "golive"
urlpatterns = [
    path("", views.checklist, name="checklist"),
    path("tenants/", views.tenant_list, name="tenant_list"),
    path("tenants/new/", views.tenant_new, name="tenant_new"),
]
