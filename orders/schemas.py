"""The intake API's request and response shapes (django-ninja / pydantic).

The schemas check structure and types only, strictly: no coercion between JSON types (`true` is
not a quantity, `5` is not a string), no NUL character in any string (Postgres cannot store
one), amounts and timestamps bounded so that nothing downstream overflows. The store's rules
(known SKUs, the currency and its decimal places, totals that add up, stock) live in
`orders.intake`, which reports every broken rule at once in the same shape as these schemas'
errors.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    IPvAnyAddress,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from core.text import NUL_MESSAGE, has_nul

MONEY_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$"


def _string(value):
    """Fields whose JSON form is a string: no number taken for one (an IP address from 5, a
    timestamp from seconds since 1970)."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return value


def _money_form(value):
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PydanticCustomError("decimal_type", "Input should be a decimal string or a number")
    if isinstance(value, str) and not re.fullmatch(MONEY_PATTERN, value):
        raise PydanticCustomError(
            "decimal_parsing", "Input should be a decimal such as 20.00 (digits, one point)"
        )
    return value


# A decimal string ("20.00") or a JSON number, never a boolean, an exponent or white space;
# parsed to Decimal (a JSON number goes through its shortest decimal repr, so 20.1 is exactly
# 20.1), never used as a float. Bounded here so that no amount ("1e999999999") costs more than
# a comparison: the store's own limits (its currency's places, the largest amount it stores)
# are checked, and named, by intake.
Money = Annotated[
    Decimal,
    Field(strict=False, max_digits=40, decimal_places=20),
    BeforeValidator(_money_form),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": MONEY_PATTERN}]}),
]

# Bounds of a plausible order time: outside them an offset can carry the instant past the
# calendar's edge (year 1 or 9999), where converting it to UTC overflows.
PLACED_AT_MIN = datetime(2000, 1, 1, tzinfo=UTC)
PLACED_AT_MAX = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not PLACED_AT_MIN <= instant < PLACED_AT_MAX:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "Must be between {min} and {max}.",
            {"min": PLACED_AT_MIN.isoformat(), "max": PLACED_AT_MAX.isoformat()},
        )
    return value


PlacedAt = Annotated[
    AwareDatetime,
    Field(strict=False),
    BeforeValidator(_string),
    AfterValidator(_plausible),
]


class StrictSchema(Schema):
    """A request body: strict types (fields that take a string form too, money, timestamps and
    IP addresses, opt out one by one) and no NUL in any string field, named by its `loc`."""

    model_config = ConfigDict(strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and has_nul(value):
            raise PydanticCustomError("nul_character", NUL_MESSAGE)
        return value


class CustomerIn(StrictSchema):
    email: str = Field(..., max_length=254, description="The buyer's email address.")
    first_name: str = Field("", max_length=100, description="The buyer's first name.")
    last_name: str = Field("", max_length=100, description="The buyer's last name.")
    phone: str = Field("", max_length=40, description="The buyer's phone number.")
    member_ref: str | None = Field(
        None,
        max_length=100,
        description=(
            "The storefront account id when the buyer was logged in: the order is filed on that "
            "member's profile (created on first sight). Null for a guest."
        ),
    )


class AddressIn(StrictSchema):
    name: str = Field("", max_length=200, description="Addressee.")
    line1: str = Field(..., min_length=1, max_length=200, description="Street and number.")
    line2: str = Field("", max_length=200, description="Apartment, suite, building.")
    city: str = Field(..., min_length=1, max_length=100)
    region: str = Field("", max_length=100, description="State, province or county.")
    postal_code: str = Field("", max_length=20)
    country: str = Field(
        ..., pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. `US`."
    )
    phone: str = Field("", max_length=40, description="A phone number for the carrier.")


class LineIn(StrictSchema):
    sku: str = Field(..., max_length=64, description="A variant's SKU, e.g. `TEE-M-RED`.")
    quantity: int = Field(..., description="Units bought; at least 1.")
    unit_price: Money = Field(..., description="Price of one unit, before the line's discount.")
    discount: Money = Field(Decimal("0"), description="Discount on the whole line.")
    tax: Money = Field(Decimal("0"), description="Tax on the whole line (informational).")


class PaymentIn(StrictSchema):
    status: Literal["pending", "captured"] = Field(
        "pending",
        description=(
            "`captured`: the storefront or register already took the money; the order is "
            "created paid, stock is decreased and the sale recorded, or the whole request is "
            "refused (422) when stock is short. `pending`: the back office collects payment."
        ),
    )
    token: str = Field("", max_length=200, description="The gateway's payment token, if any.")
    authorization_code: str = Field(
        "", max_length=100, description="The gateway's authorization code of a captured payment."
    )
    card_fingerprint: str = Field(
        "",
        max_length=64,
        description=(
            "A stable fingerprint of the card from the gateway (never the card number): fraud "
            "review counts the orders paid with the same card in the last 24 hours."
        ),
    )


class OrderIn(StrictSchema):
    external_ref: str = Field(
        "", max_length=100, description="The storefront's or register's own order id."
    )
    placed_at: PlacedAt | None = Field(
        None,
        description=(
            "When the buyer placed the order (ISO 8601 with offset), from 2000 up to 2100. "
            "Default: now."
        ),
    )
    currency: str = Field(..., description="Must be the store's currency, e.g. `USD`.")
    customer: CustomerIn = Field(..., description="Who bought: the order keeps a copy.")
    billing_address: AddressIn = Field(..., description="The payer's address (fraud checks).")
    shipping_address: AddressIn | None = Field(
        None, description="Required when any line's product ships; null for digital-only orders."
    )
    lines: list[LineIn] = Field(..., min_length=1, max_length=500, description="At least one.")
    subtotal: Money = Field(
        ..., description="Sum of line totals (unit_price × quantity − discount)."
    )
    discount: Money = Field(Decimal("0"), description="Order-level discount.")
    shipping: Money = Field(Decimal("0"), description="Shipping charged.")
    tax: Money = Field(Decimal("0"), description="Tax charged on the whole order.")
    total: Money = Field(..., description="subtotal − discount + shipping + tax.")
    client_ip: Annotated[IPvAnyAddress, BeforeValidator(_string)] | None = Field(
        None, description="The buyer's IP address (fraud checks)."
    )
    payment: PaymentIn = Field(
        default_factory=PaymentIn,
        description="The payment as the channel took it; default pending.",
    )


class OrderCreatedOut(Schema):
    number: int = Field(..., description="The back office's order number.")
    status: Literal["pending", "paid"] = Field(
        ..., description="The status intake gave the order: `paid` when payment was captured."
    )
    channel: str = Field(..., description="`online` or `in_store`, from the API key.")
    currency: str
    total: Decimal
    placed_at: datetime


class OrderLineOut(Schema):
    sku: str
    name: str = Field(..., description="Product name and options when the order was placed.")
    quantity: int
    fulfilment_status: str = Field(
        ..., description="`unfulfilled`, `partial`, `fulfilled` or `not_required`."
    )


class OrderOut(Schema):
    number: int
    status: str = Field(..., description="The order's status now, e.g. `shipped`.")
    status_label: str = Field(..., description="The status as staff see it, e.g. `Shipped`.")
    channel: str
    currency: str
    total: Decimal
    placed_at: datetime
    updated_at: datetime
    lines: list[OrderLineOut]


class Message(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int] = Field(
        ..., description='Where the bad value is, e.g. `["body", "payload", "lines", 0, "sku"]`.'
    )
    msg: str
    type: str = Field(..., description="A stable code, e.g. `unknown_sku`, `total_mismatch`.")


class ValidationErrorOut(Schema):
    detail: list[FieldError]
