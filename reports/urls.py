from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("exports/", views.export_list, name="export_list"),
    path("exports/new/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("reports/", views.sales_report, name="sales"),
    path("reports/channels/", views.channel_report, name="channels"),
    path("reports/products/", views.product_report, name="products"),
    path("reports/stock/", views.stock_report, name="stock"),
]
