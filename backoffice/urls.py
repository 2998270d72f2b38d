from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .api import api
from .health import health, workers

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("health/", health, name="health"),
    path("health/workers/", workers, name="health_workers"),
    path("", include("orders.urls")),
    path("", include("customers.urls")),
    path("", include("payments.urls")),
    path("", include("invoicing.urls")),
    path("", include("notifications.urls")),
    path("", include("shipping.urls")),
    path("", include("reports.urls")),
]
