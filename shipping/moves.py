"""Seed 004's *Shipped* from the order list: choosing it in a row's status menu asks, in place,
for the courier and tracking numbers, and records a shipment of everything left to send.
Registered with orders.moves in ShippingConfig.ready(); shipping.views.shipment_record_in_row
takes the form."""

from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from orders.models import OrderLine, OrderStatus
from orders.moves import MoveForm, form_row_id

from .forms import RowShipmentForm


def row_form_context(number: int, form: RowShipmentForm | None = None) -> dict:
    """What the form shows: its fields (blank, or bound with errors) and what it will send."""
    unsent = OrderLine.objects.filter(
        order__number=number, is_shippable=True, quantity_fulfilled__lt=F("quantity")
    )
    return {
        "number": number,
        "form": form or RowShipmentForm(number=number),
        "left_to_send": [
            f"{quantity - sent} × {sku}"
            for sku, quantity, sent in unsent.order_by("id").values_list(
                "sku", "quantity", "quantity_fulfilled"
            )
        ],
        "action": reverse("shipping:shipment_record_in_row", kwargs={"number": number}),
        "cancel_url": reverse("orders:row", kwargs={"number": number}),
    }


def row_form_html(request: HttpRequest, number: int, columns: int) -> str:
    """The blank form, in a table row of `columns` cells' width under order `number`'s row."""
    context = {**row_form_context(number), "row_id": form_row_id(number), "columns": columns}
    return render_to_string("shipping/_row_shipment.html", context, request)


SHIPPED_IN_ROW = MoveForm(
    target=OrderStatus.SHIPPED,
    permission="shipping.add_shipment",
    asks_for="its courier and tracking number",
    row_html=row_form_html,
    page_url=lambda number: reverse("orders:detail", kwargs={"number": number}) + "#order-shipping",
)
