from django.urls import path

from apps.identity.rest_api.v1.views import accounts, erasure, invitations, memberships, password_reset, users

app_name = "identity-v1"
urlpatterns = [
    path("register/", accounts.RegisterApi.as_view(), name="register"),
    path("me/", accounts.MeApi.as_view(), name="me"),
    path("me/password/", accounts.PasswordChangeApi.as_view(), name="password-change"),
    path("me/export/", accounts.MyDataExportApi.as_view(), name="export"),
    path("me/erase/", erasure.MyErasureApi.as_view(), name="my-erasure"),
    path("password-reset/", password_reset.PasswordResetRequestApi.as_view(), name="password-reset"),
    path("password-reset/confirm/", password_reset.PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("invitations/", invitations.InvitationListCreateApi.as_view(), name="invitations"),
    path("invitations/accept/", invitations.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("invitations/<uuid:invitation_id>/", invitations.InvitationRevokeApi.as_view(), name="invitation"),
    path("memberships/", memberships.MembershipListApi.as_view(), name="memberships"),
    path("memberships/<uuid:membership_id>/", memberships.MembershipRevokeApi.as_view(), name="membership"),
    path("users/<uuid:user_id>/deactivate/", users.UserDeactivateApi.as_view(), name="user-deactivate"),
    path("users/<uuid:user_id>/erase/", erasure.UserEraseApi.as_view(), name="user-erase"),
]
