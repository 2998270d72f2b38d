"""The JSON API (django-ninja): one NinjaAPI, with each app's router mounted here."""

from ninja import NinjaAPI

from orders.api import router as orders_router

api = NinjaAPI(
    title="Backoffice API",
    version="1",
    description=(
        "The storefront and the register push orders in and read their status back. "
        "Authenticate with `Authorization: Bearer <API key>` (keys are per channel and are "
        "created by a store admin). Send an `Idempotency-Key` header on every create so that "
        "retries never make a second order."
    ),
    urls_namespace="api",
)
api.add_router("/orders", orders_router)
