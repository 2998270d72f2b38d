"""The JSON API (django-ninja): one NinjaAPI, with each app's router mounted here.

Every answer under /api/ is JSON, errors included: a refused body (415, 400, 422), an unknown
path (404), a method a path does not take (405), and a server error (500)."""

import functools
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.urls import resolve
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.parser import Parser

from orders.api import router as orders_router

logger = logging.getLogger(__name__)


class UnsupportedMediaType(Exception):
    """A body that is not declared as JSON."""


class JsonOnlyParser(Parser):
    """Bodies are JSON and say so: one sent as `text/plain` or a form is refused (415) rather
    than parsed on a guess."""

    def parse_body(self, request):
        if request.content_type != "application/json":
            raise UnsupportedMediaType(
                f"Send the body as `Content-Type: application/json`, not "
                f"{request.content_type or 'no content type'!r}."
            )
        return json.loads(request.body)


def _json_405(view):
    """Ninja answers a method a path does not take with an HTML 405; ours says it in JSON,
    with the Allow header kept."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/html"):
            allowed = response["Allow"]
            response = JsonResponse(
                {"detail": f"Method {request.method} not allowed; use {allowed}."}, status=405
            )
            response["Allow"] = allowed
        return response

    return wrapper


class MachineAPI(NinjaAPI):
    """An API for machines: they authenticate each request with an API key, never with a
    session, so its URLs (the endpoints, the OpenAPI schema and the docs page) are exempt
    from LoginRequiredMiddleware. Ninja's views are already CSRF-exempt, and bearer keys are
    not sent by a browser on its own, so there is nothing to forge."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = login_not_required(_json_405(pattern.callback))
        return patterns, app_name, namespace


api = MachineAPI(
    title="Backoffice API",
    version="1",
    description=(
        "The storefront and the register push orders in and read their status back. "
        "Authenticate with `Authorization: Bearer <API key>` (keys are per channel and are "
        "created by a store admin). Send an `Idempotency-Key` header on every create so that "
        "retries never make a second order."
    ),
    urls_namespace="api",
    # Swagger UI's assets are ninja's own static files; no validator badge fetched from
    # swagger.io either, so the docs page works offline.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
    parser=JsonOnlyParser(),
)
api.add_router("/orders", orders_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc: AuthenticationError):
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # Ninja turns any failure to parse the body into a 400; one that was not JSON at all is a 415.
    if isinstance(exc.__cause__, UnsupportedMediaType):
        return api.create_response(request, {"detail": str(exc.__cause__)}, status=415)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(Exception)
def server_error(request, exc: Exception):
    """JSON, not Django's HTML page, whatever DEBUG says; the traceback goes to the log."""
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(request, {"detail": "Server error."}, status=500)


@csrf_exempt  # it changes nothing, and a POST to a mistyped URL deserves the same JSON 404
@login_not_required
def unknown_path(request):
    """Any /api/ path that no endpoint has: a JSON 404, not the back office's HTML page (nor
    APPEND_SLASH's redirect, which a POST cannot follow), with the likely mistake named."""
    detail = f"No API endpoint at {request.path}."
    match = resolve(f"{request.path}/") if not request.path.endswith("/") else None
    if match is not None and match.func is not unknown_path:
        detail += f" Did you mean {request.path}/?"
    return JsonResponse({"detail": detail}, status=404)
