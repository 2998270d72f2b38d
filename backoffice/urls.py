from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from . import accounts
from .api import api, unknown_path
from .health import health, workers
from .views import PasswordChangeDoneView, PasswordChangeView, favicon

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False), name="home"),
    path(
        "accounts/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    # Before Django's own: the same names and paths, with the back office's templates (the
    # admin's change-password page keeps its own).
    path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),
    path("health/", health, name="health"),
    path("health/workers/", workers, name="health_workers"),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    path("", include("customers.urls")),
    path("", include("payments.urls")),
    path("", include("invoicing.urls")),
    path("", include("notifications.urls")),
    path("", include("shipping.urls")),
    path("", include("purchasing.urls")),
    path("", include("reports.urls")),
    path("", include("entry.urls")),
    path("", include("promotions.urls")),
]
