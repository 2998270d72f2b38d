from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("payments/notify/<int:gateway_id>/", views.notify, name="notify"),
    path("orders/<int:number>/charge/", views.charge, name="charge"),
    path("orders/<int:number>/payments/offline/", views.manual_payment, name="manual_payment"),
    path(
        "orders/<int:number>/payment-update-request/",
        views.payment_update_request,
        name="payment_update_request",
    ),
    path("settings/gateways/", views.gateway_list, name="gateway_list"),
    path("settings/gateways/new/", views.gateway_create, name="gateway_create"),
    path("settings/gateways/<int:pk>/", views.gateway_edit, name="gateway_edit"),
    path("settings/gateways/<int:pk>/activate/", views.gateway_activate, name="gateway_activate"),
    path(
        "settings/gateways/<int:pk>/deactivate/",
        views.gateway_deactivate,
        name="gateway_deactivate",
    ),
]
