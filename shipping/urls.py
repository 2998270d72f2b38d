from django.urls import path

from . import views

app_name = "shipping"

urlpatterns = [
    path("settings/carriers/", views.carrier_list, name="carrier_list"),
    path("settings/carriers/new/", views.carrier_create, name="carrier_create"),
    path("settings/carriers/<int:pk>/", views.carrier_edit, name="carrier_edit"),
    path("settings/shipping-speeds/", views.shipping_method_list, name="shipping_method_list"),
    path(
        "settings/shipping-speeds/new/", views.shipping_method_create, name="shipping_method_create"
    ),
    path(
        "settings/shipping-speeds/<int:pk>/",
        views.shipping_method_edit,
        name="shipping_method_edit",
    ),
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:token>/", views.track, name="track"),
    path("orders/<int:number>/shipments/", views.shipment_record, name="shipment_record"),
    path(
        "orders/<int:number>/shipments/in-row/",
        views.shipment_record_in_row,
        name="shipment_record_in_row",
    ),
    path("orders/<int:number>/lines/sent/", views.lines_sent, name="lines_sent"),
    path(
        "orders/<int:number>/tracking/<int:tracking_id>/",
        views.tracking_edit,
        name="tracking_edit",
    ),
    path(
        "orders/<int:number>/tracking-link/revoke/",
        views.revoke_tracking_link,
        name="tracking_link_revoke",
    ),
    path(
        "orders/<int:number>/packing-slips/<int:position>/",
        views.packing_slip,
        name="packing_slip",
    ),
]
