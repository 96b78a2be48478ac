from django.urls import path

from sasaeai.subscriptions import views

app_name = "subscriptions"
urlpatterns = [
    path("", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_form, name="topic_create"),
    path("topics/<int:pk>/", views.topic_form, name="topic_edit"),
    path("subscribers/", views.subscriber_search, name="subscriber_search"),
    path("subscribers/<int:pk>/", views.subscriber_detail, name="subscriber_detail"),
    path("subscribers/<int:pk>/bounced/", views.subscriber_bounced, name="subscriber_bounced"),
    path("counts.csv", views.counts_csv, name="counts_csv"),
]
