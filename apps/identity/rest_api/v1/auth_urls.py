from django.urls import path

from apps.identity.rest_api.v1 import views

app_name = "auth-v1"
urlpatterns = [
    path("token/", views.TokenObtainApi.as_view(), name="token"),
    path("token/refresh/", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", views.LogoutApi.as_view(), name="logout"),
]
