"""The frame's own small pages: the favicon at its conventional address, and the password
change (Django's views, under the project's auth URLs, with the back office's templates)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@login_not_required
@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers and tools ask for /favicon.ico on their own (the admin, a JSON page, a
    bookmark): send them to the static file, whose name carries its hash in production."""
    return redirect(static("img/favicon.ico"))


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/change_password.html"


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/change_password_done.html"
