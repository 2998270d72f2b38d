from django.urls import path

from . import views

app_name = "invoicing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="list"),
    path("invoices/export.csv", views.invoice_export, name="export"),
    path("invoices/post-batch/", views.invoice_post_batch, name="post_batch"),
    path("invoices/<int:number>/", views.invoice_detail, name="detail"),
    path("invoices/<int:number>/pdf/", views.invoice_pdf_download, name="pdf"),
    path("invoices/<int:number>/move/", views.invoice_move, name="move"),
    path("invoices/<int:number>/post/", views.invoice_post, name="post"),
]
