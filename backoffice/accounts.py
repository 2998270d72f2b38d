"""Signing in and resetting passwords, throttled: the lockout page django-axes shows (our login
form with a plain message) and the password-reset request, limited per email and per client."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from core import throttling

RESET_WINDOW = 60 * 60  # seconds
RESET_THROTTLED = (
    "Too many password reset requests for this address or from your connection: "
    "try again in an hour."
)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once an account or a client used up its sign-in attempts."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {"locked_out_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, sending at most PASSWORD_RESET_LIMIT_PER_EMAIL emails to one
    address and accepting PASSWORD_RESET_LIMIT_PER_CLIENT requests from one client an hour
    (counted whether or not the address has an account, so the answer reveals nothing)."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        allowed = throttling.allow(
            f"password-reset-client:{throttling.client_ip(self.request)}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
            window=RESET_WINDOW,
        ) and throttling.allow(
            f"password-reset-email:{email}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
            window=RESET_WINDOW,
        )
        if not allowed:
            form.add_error("email", RESET_THROTTLED)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)
