from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import accounts
from .api import api
from .health import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False), name="home"),
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("health/", health, name="health"),
    path("", include("orders.urls")),
    path("", include("customers.urls")),
    path("", include("payments.urls")),
    path("", include("invoicing.urls")),
    path("", include("notifications.urls")),
    path("", include("shipping.urls")),
    path("", include("reports.urls")),
]
