"""The customer settings pages of the back office (store admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import AnonymousProfileForm, ProfileSearchForm
from .models import CustomerSettings


@require_http_methods(["GET", "POST"])
@permission_required("customers.change_customersettings", raise_exception=True)
def anonymous_profile(request):
    """Show the anonymous profile; search profiles by name or email and pick another one."""
    form = AnonymousProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        profile = form.cleaned_data["profile"]
        services.anonymous_profile_set(profile=profile)
        messages.success(request, f"Invoices of anonymous buyers go to “{profile}” from now on.")
        return redirect("customers:anonymous_profile")

    search = ProfileSearchForm(request.GET)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    current = CustomerSettings.objects.select_related("anonymous_profile").filter(pk=1).first()
    context = {
        "current": current.anonymous_profile if current else None,
        "form": form,
        "search": search,
        "query": text,
        "results": selectors.profile_search(q=text) if text else [],
        "limit": selectors.SEARCH_RESULTS,
    }
    return render(request, "settings/anonymous_profile.html", context)
