from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("payments/notify/<int:gateway_id>/", views.notify, name="notify"),
]
