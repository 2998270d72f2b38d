from django.urls import path

from . import views

app_name = "promotions"

urlpatterns = [
    path("settings/promotions/", views.promotion_list_view, name="list"),
    path("settings/promotions/sku-search/", views.sku_search, name="sku_search"),
    path("settings/promotions/new/<str:kind>/", views.promotion_create, name="create"),
    path("settings/promotions/<int:pk>/", views.promotion_edit, name="edit"),
    path(
        "settings/promotions/<int:pk>/deactivate/",
        views.promotion_deactivate_view,
        name="deactivate",
    ),
    path("settings/promotions/<int:pk>/uses/", views.promotion_uses, name="uses"),
    path("settings/tax-rates/", views.tax_rate_list_view, name="tax_rate_list"),
    path("settings/tax-rates/new/", views.tax_rate_create, name="tax_rate_create"),
    path("settings/tax-rates/shipping/", views.tax_settings, name="tax_settings"),
    path("settings/tax-rates/<int:pk>/", views.tax_rate_edit, name="tax_rate_edit"),
    path("settings/tax-rates/<int:pk>/delete/", views.tax_rate_delete_view, name="tax_rate_delete"),
]
