from django.urls import path

from apps.identity import views

app_name = "identity"
urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    # the addresses in emailed links (LOGITRACK_APP_URL/invitation?token=…, /reset-password?token=…)
    path("invitation", views.invitation_page, name="invitation"),
    path("reset-password", views.password_reset_page, name="reset-password"),
    path("forgot-password", views.forgot_password_page, name="forgot-password"),
]
