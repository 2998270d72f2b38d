from django.urls import path

from . import views

app_name = "entry"

urlpatterns = [
    path("orders/drafts/", views.draft_list, name="drafts"),
    path("orders/drafts/new/", views.draft_start, name="start"),
    path("orders/drafts/<int:pk>/discard/", views.draft_discard, name="discard"),
    path("orders/drafts/<int:pk>/contact/", views.contact, name="contact"),
    path(
        "orders/drafts/<int:pk>/contact/suggestions/",
        views.contact_suggestions,
        name="contact_suggestions",
    ),
    path("orders/drafts/<int:pk>/contact/pick/", views.contact_pick, name="contact_pick"),
    path("orders/drafts/<int:pk>/contact/new/", views.contact_create, name="contact_create"),
    path("orders/drafts/<int:pk>/contact/address/", views.address_add, name="address_add"),
    path("orders/drafts/<int:pk>/contact/next/", views.contact_next, name="contact_next"),
    path("orders/drafts/<int:pk>/items/", views.items, name="items"),
    path("orders/drafts/<int:pk>/items/dialog/", views.item_dialog, name="item_dialog"),
    path("orders/drafts/<int:pk>/items/products/", views.product_search, name="product_search"),
    path("orders/drafts/<int:pk>/items/save/", views.line_save, name="line_save"),
    path(
        "orders/drafts/<int:pk>/items/<int:line_id>/remove/",
        views.line_remove,
        name="line_remove",
    ),
    path("orders/drafts/<int:pk>/promotions/", views.promotion_add, name="promotion_add"),
    path(
        "orders/drafts/<int:pk>/promotions/<int:promotion_id>/remove/",
        views.promotion_remove,
        name="promotion_remove",
    ),
    path("orders/drafts/<int:pk>/codes/", views.code_add, name="code_add"),
    path("orders/drafts/<int:pk>/codes/remove/", views.code_remove, name="code_remove"),
    path("orders/drafts/<int:pk>/items/next/", views.items_next, name="items_next"),
    path("orders/drafts/<int:pk>/shipping/", views.shipping, name="shipping"),
    path("orders/drafts/<int:pk>/shipping/save/", views.shipping_save, name="shipping_save"),
    path("orders/drafts/<int:pk>/review/", views.review, name="review"),
    path("orders/drafts/<int:pk>/place/", views.place, name="place"),
]
