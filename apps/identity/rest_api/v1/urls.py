from django.urls import path

from apps.identity.rest_api.v1.views import accounts, api_keys, erasure, invitations, memberships, password_reset, users

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
    path("api-scopes/", api_keys.ApiScopeListApi.as_view(), name="api-scopes"),
    path("service-accounts/", api_keys.ServiceAccountListCreateApi.as_view(), name="service-accounts"),
    path("service-accounts/<uuid:service_account_id>/", api_keys.ServiceAccountApi.as_view(), name="service-account"),
    path("service-accounts/<uuid:service_account_id>/keys/", api_keys.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path(
        "service-accounts/<uuid:service_account_id>/keys/<uuid:key_id>/",
        api_keys.ApiKeyRevokeApi.as_view(),
        name="api-key",
    ),
    path(
        "service-accounts/<uuid:service_account_id>/keys/<uuid:key_id>/rotate/",
        api_keys.ApiKeyRotateApi.as_view(),
        name="api-key-rotate",
    ),
    path("users/<uuid:user_id>/deactivate/", users.UserDeactivateApi.as_view(), name="user-deactivate"),
    path("users/<uuid:user_id>/erase/", erasure.UserEraseApi.as_view(), name="user-erase"),
]
