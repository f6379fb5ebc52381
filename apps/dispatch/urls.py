from django.urls import path

from apps.dispatch import views

app_name = "dispatch"
urlpatterns = [path("", views.screen, name="screen")]
