"""The JSON API (django-ninja): one NinjaAPI, with each app's router mounted here."""

from django.contrib.auth.decorators import login_not_required
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError

from orders.api import router as orders_router


class MachineAPI(NinjaAPI):
    """An API for machines: they authenticate each request with an API key, never with a
    session, so its URLs (the endpoints, the OpenAPI schema and the docs page) are exempt
    from LoginRequiredMiddleware. Ninja's views are already CSRF-exempt, and bearer keys are
    not sent by a browser on its own, so there is nothing to forge."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            login_not_required(pattern.callback)
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
)
api.add_router("/orders", orders_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc: AuthenticationError):
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
