from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("emails/failed/", views.failed_list, name="failed"),
    path("emails/failed/retry/", views.retry_all, name="retry_all"),
    path("emails/<int:pk>/retry/", views.retry, name="retry"),
    path("settings/emails/", views.email_list, name="email_list"),
    path("settings/emails/sender/", views.email_sender_update, name="email_sender_update"),
    path("settings/emails/<slug:kind>/", views.email_preview, name="email_preview"),
]
