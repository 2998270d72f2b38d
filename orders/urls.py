from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/<int:number>/", views.order_detail, name="detail"),
]
