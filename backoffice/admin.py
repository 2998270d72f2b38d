"""The Django admin's user pages for store admins: a user gets one role, nothing more.

Django's own UserAdmin lets anyone with `auth.change_user` tick "superuser", "staff status",
any group or single permission — a store admin could make themselves superuser and escape the
one-role model. Store admins get a form with the role instead, and never reach a superuser's
account; superusers keep Django's full form."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .roles import ROLES, role_of, user_set_role

User = get_user_model()
ROLE_CHOICES = [(key, name) for key, name in ROLES.items()]
ROLE_HELP = "Order staff work orders; store admins also configure the store and open this admin."


class RoleChangeForm(UserChangeForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES, help_text=ROLE_HELP)

    class Meta(UserChangeForm.Meta):
        fields = ("username", "password", "first_name", "last_name", "email", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = role_of(self.instance)


class RoleCreationForm(AdminUserCreationForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES, help_text=ROLE_HELP)


class RoleUserAdmin(UserAdmin):
    role_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("is_active", "role")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    role_add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "role"),
            },
        ),
    )
    role_readonly_fields = ("last_login", "date_joined")

    def _roles_only(self, request) -> bool:
        return not request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # A superuser's account is beyond the roles: a store admin cannot reset its password.
        return queryset.filter(is_superuser=False) if self._roles_only(request) else queryset

    def get_fieldsets(self, request, obj=None):
        if not self._roles_only(request):
            return super().get_fieldsets(request, obj)
        return self.role_add_fieldsets if obj is None else self.role_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if not self._roles_only(request):
            return super().get_readonly_fields(request, obj)
        return self.role_readonly_fields

    def get_list_filter(self, request):
        return ("is_active", "groups") if self._roles_only(request) else self.list_filter

    def get_form(self, request, obj=None, **kwargs):
        if self._roles_only(request):
            kwargs["form"] = RoleCreationForm if obj is None else RoleChangeForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        # In the admin's own transaction (changeform_view is atomic).
        super().save_model(request, obj, form, change)
        if "role" in form.cleaned_data:
            user_set_role(obj, form.cleaned_data["role"])


admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
