from django.urls import path

from . import views

app_name = "purchasing"

urlpatterns = [
    path("orders/<int:number>/purchase-orders/", views.po_create, name="po_create"),
    path("orders/<int:number>/purchase-orders/<int:pk>/send/", views.po_send_view, name="po_send"),
    path(
        "orders/<int:number>/purchase-orders/<int:pk>/cancel/",
        views.po_cancel_view,
        name="po_cancel",
    ),
    path("orders/<int:number>/purchase-orders/<int:pk>/shipments/", views.po_ship, name="po_ship"),
]
