"""Staff pages and the public answering pages share /surveys/: a public path starts with the
six-digit local government code and a survey code of 16 URL-safe characters."""

from django.urls import path, re_path

from sasaeai.surveys import views

PUBLIC = r"^(?P<tenant_code>[0-9]{6})/(?P<code>[A-Za-z0-9_-]{12,32})/"

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("new/", views.survey_create, name="survey_create"),
    path("<int:pk>/", views.survey_detail, name="survey_detail"),
    path("<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("<int:pk>/status/", views.survey_status, name="survey_status"),
    path("<int:pk>/qr.png", views.survey_qr, name="survey_qr"),
    path("<int:pk>/questions/new/", views.question_edit, name="question_create"),
    path("<int:pk>/questions/<int:order>/", views.question_edit, name="question_edit"),
    path("<int:pk>/questions/<int:order>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/links/", views.invitations_create, name="invitations_create"),
    path("<int:pk>/results/", views.survey_results, name="survey_results"),
    path("<int:pk>/export.<str:fmt>", views.survey_export, name="survey_export"),
    re_path(PUBLIC + r"$", views.answer, name="answer"),
    re_path(
        PUBLIC + r"t/(?P<token>[A-Za-z0-9_-]{16,64})/$", views.answer, name="answer_with_token"
    ),
    re_path(PUBLIC + r"thanks/$", views.thanks, name="thanks"),
]
