from django.urls import path

from . import views

app_name = "purchasing"

urlpatterns = [
    path("purchase-orders/", views.purchase_order_list, name="list"),
    path("settings/vendors/", views.vendor_list, name="vendor_list"),
    path("settings/vendors/new/", views.vendor_create, name="vendor_create"),
    path("settings/vendors/<int:pk>/", views.vendor_edit, name="vendor_edit"),
    path(
        "settings/vendors/<int:pk>/test-connection/",
        views.vendor_test_connection,
        name="vendor_test_connection",
    ),
    path(
        "settings/vendors/<int:pk>/accept-host-key/",
        views.vendor_accept_key,
        name="vendor_accept_key",
    ),
    path("orders/<int:number>/purchase-orders/", views.po_create, name="po_create"),
    path("orders/<int:number>/purchase-orders/<int:pk>/send/", views.po_send_view, name="po_send"),
    path(
        "orders/<int:number>/purchase-orders/<int:pk>/cancel/",
        views.po_cancel_view,
        name="po_cancel",
    ),
    path("orders/<int:number>/purchase-orders/<int:pk>/shipments/", views.po_ship, name="po_ship"),
]
