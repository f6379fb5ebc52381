from django.urls import path

from apps.identity.rest_api.v1 import views

app_name = "identity-v1"
urlpatterns = [
    path("register/", views.RegisterApi.as_view(), name="register"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/password/", views.PasswordChangeApi.as_view(), name="password-change"),
    path("me/export/", views.MyDataExportApi.as_view(), name="export"),
    path("password-reset/", views.PasswordResetRequestApi.as_view(), name="password-reset"),
    path("password-reset/confirm/", views.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("invitations/", views.InvitationListCreateApi.as_view(), name="invitations"),
    path("invitations/accept/", views.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<uuid:invitation_id>/", views.InvitationRevokeApi.as_view(), name="invitation"),
    path("memberships/", views.MembershipListApi.as_view(), name="memberships"),
    path("memberships/<uuid:membership_id>/", views.MembershipRevokeApi.as_view(), name="membership"),
    path("users/<uuid:user_id>/deactivate/", views.UserDeactivateApi.as_view(), name="user-deactivate"),
]
