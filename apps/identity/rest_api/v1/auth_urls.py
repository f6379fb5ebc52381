from django.urls import path

from apps.identity.rest_api.v1.views import auth

app_name = "auth-v1"
urlpatterns = [
    path("token/", auth.TokenObtainApi.as_view(), name="token"),
    path("token/refresh/", auth.TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", auth.LogoutApi.as_view(), name="logout"),
]
