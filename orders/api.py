"""The intake API: the storefront and the register push orders in and read their status back."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Header, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer

from .intake import (
    ApiKeyRefused,
    IdempotencyConflict,
    IntakeInvalid,
    apikey_authenticate,
    intake_submit,
    quantize_money,
)
from .models import ApiKey, Order, OrderLine
from .schemas import Message, OrderCreatedOut, OrderIn, OrderOut, ValidationErrorOut


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <API key>`; the key decides the channel. Not a session, so no
    CSRF: a browser never sends the header on its own."""

    def __call__(self, request: HttpRequest) -> ApiKey:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(
                message="Send an API key as `Authorization: Bearer <API key>`."
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        try:
            return apikey_authenticate(raw=token)
        except ApiKeyRefused as exc:
            raise AuthenticationError(message=str(exc)) from exc


router = Router(tags=["orders"], auth=ApiKeyAuth())

BODY = ("body", "payload")


def _created(result) -> dict:
    order = result.order
    return {
        "number": order.number,
        "status": result.status,
        "channel": order.channel,
        "currency": order.currency,
        "total": quantize_money(order.total),
        "placed_at": order.placed_at,
    }


@router.post(
    "/",
    response={
        201: OrderCreatedOut,
        200: OrderCreatedOut,
        400: Message,
        401: Message,
        409: Message,
        415: Message,
        422: ValidationErrorOut,
    },
    summary="Push an order in",
    operation_id="orders_create",
)
def create_order(
    request: HttpRequest,
    payload: OrderIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[ -~]+$",
        description=(
            "Any unique string per order (≤ 200 printable ASCII characters), sent again unchanged on retries. "
            "A retry with the same key and body answers 200 with the first order and the header "
            "`Idempotent-Replayed: true`; the same key with another body is refused (409)."
        ),
    ),
):
    """Create an order on the API key's channel (`online` or `in_store`).

    The body is JSON sent as `Content-Type: application/json` (otherwise 415; JSON that does
    not parse, 400). Types are strict: a quantity is a JSON integer (not `true`, not `"2"`),
    text fields are strings without NUL characters, amounts are decimal strings (`"20.00"`) or
    JSON numbers, `placed_at` an ISO 8601 string with an offset between 2000 and 2100.

    Every broken rule is reported at once (422), each naming its field in `loc`: unknown SKU,
    quantity below 1, amounts negative or with more decimal places than the store's currency,
    a subtotal that is not the sum of line totals (unit_price × quantity − discount), a total
    that is not subtotal − discount + shipping + tax, another currency, a missing or invalid
    email, no shipping address when a line ships, and, for a captured payment, a line whose
    stock is short. A refused request leaves nothing behind.
    """
    try:
        result = intake_submit(
            payload=payload, api_key=request.auth, idempotency_key=idempotency_key
        )
    except IntakeInvalid as exc:
        raise ValidationError(
            [{**error, "loc": [*BODY, *error["loc"]]} for error in exc.errors]
        ) from exc
    except IdempotencyConflict as exc:
        raise HttpError(409, str(exc)) from exc
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, _created(result))
    return Status(201, _created(result))


@router.get(
    "/{int:number}",
    response={200: OrderOut, 401: Message, 404: Message},
    summary="Read an order's status",
    operation_id="orders_read",
)
def read_order(request: HttpRequest, number: int):
    """An order of the API key's channel, by number, with its lines' fulfilment."""
    order = (
        Order.objects.filter(number=number, channel=request.auth.channel)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.only(
                    "order_id", "sku", "name", "options", "quantity", "fulfilment_status"
                ),
            )
        )
        .first()
    )
    if order is None:
        raise HttpError(404, f"No order {number} on this channel.")
    return {
        "number": order.number,
        "status": order.status,
        "status_label": order.get_status_display(),
        "channel": order.channel,
        "currency": order.currency,
        "total": quantize_money(order.total),
        "placed_at": order.placed_at,
        "updated_at": order.updated_at,
        "lines": [
            {
                "sku": line.sku,
                "name": line.label,  # the schema's "product name and options"
                "quantity": line.quantity,
                "fulfilment_status": line.fulfilment_status,
            }
            for line in order.lines.all()
        ],
    }
