from django.urls import path

from sasaeai.accounts import member_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/setup/", views.otp_setup, name="otp_setup"),
    path("tenant/", views.tenant_choose, name="tenant_choose"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/invite/", member_views.member_invite, name="member_invite"),
    path(
        "members/<int:pk>/invitation/revoke/",
        member_views.member_invitation_revoke,
        name="member_invitation_revoke",
    ),
    path("members/import/", member_views.member_import, name="member_import"),
    path(
        "members/import/<int:import_id>/",
        member_views.member_import_preview,
        name="member_import_preview",
    ),
    path(
        "invitation/<int:tenant_id>/<str:token>/",
        member_views.invitation_accept,
        name="invitation_accept",
    ),
]
