from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class BackofficeAdminSite(AdminSite):
    """The Django admin is for store admins only; order staff never see it."""

    site_header = "Backoffice administration"
    site_title = "Backoffice admin"

    def has_permission(self, request):
        from .roles import is_store_admin

        return super().has_permission(request) and is_store_admin(request.user)


class BackofficeAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.BackofficeAdminSite"
