from django.urls import path

from . import views
from .grid import views as grid_views

app_name = "orders"

urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/numbers/", views.order_number_suggestions, name="number_suggestions"),
    path("orders/new-online/", views.new_online_orders, name="new_online"),
    path("orders/items/", grid_views.grid, name="grid"),
    path("orders/items/choices/", grid_views.grid_items, name="grid_items"),
    path("orders/items/count/", grid_views.grid_count, name="grid_count"),
    path("orders/items/actions/", grid_views.grid_action, name="grid_action"),
    path("orders/<int:number>/", views.order_detail, name="detail"),
    path("orders/status/", views.order_bulk_status, name="bulk_status"),
    path("orders/<int:number>/status/", views.order_status_change, name="status_change"),
    path("orders/<int:number>/row/", views.order_row, name="row"),
    path("orders/<int:number>/notes/", views.order_note_add, name="note_add"),
    path("orders/<int:number>/delete/", views.order_delete, name="delete"),
    path("orders/views/", views.saved_view_save, name="saved_view_save"),
    path("orders/saved-views/", views.saved_view_list, name="saved_view_list"),
    path("orders/views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("downloads/<str:signed_token>/", views.download, name="download"),
    path("settings/api-keys/", views.apikey_list, name="apikey_list"),
    path("settings/api-keys/new/", views.apikey_create, name="apikey_create"),
    path("settings/api-keys/<int:pk>/revoke/", views.apikey_revoke, name="apikey_revoke"),
]
