from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("settings/anonymous-profile/", views.anonymous_profile, name="anonymous_profile"),
]
