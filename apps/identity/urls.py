from django.urls import path

from apps.identity.rest_api.v1.views.auth import JwksApi
from apps.identity.views import invitations, passwords, sessions

app_name = "identity"
urlpatterns = [
    path("login/", sessions.login_page, name="login"),
    path("logout/", sessions.logout_page, name="logout"),
    # the addresses in emailed links (LOGITRACK_APP_URL/invitation?token=…, /reset-password?token=…)
    path("invitation", invitations.invitation_page, name="invitation"),
    path("reset-password", passwords.password_reset_page, name="reset-password"),
    path("forgot-password", passwords.forgot_password_page, name="forgot-password"),
    # the public keys of the JWTs (RFC 8414's well-known place), for services that verify tokens on their own
    path(".well-known/jwks.json", JwksApi.as_view(), name="jwks"),
]
