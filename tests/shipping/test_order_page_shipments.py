"""The order page's shipments: what each took of which line, and as many queries for one
shipment as for several (what a shipment took rides on the shipments' query)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import OrderStatus
from shipping.models import Carrier, Shipment, ShipmentLine, TrackingNumber
from tests.factories import order_with_lines

pytestmark = pytest.mark.django_db


def shipped_in(parcels: int):
    """An order of 3 lines (2 units each) sent in `parcels` parcels, each with one unit of
    every line and its own tracking number."""
    order = order_with_lines(lines=3, status=OrderStatus.SHIPPED)
    lines = list(order.lines.order_by("id"))
    for line in lines:
        line.quantity = 2
        line.save(update_fields=["quantity"])
    for i in range(parcels):
        shipment = Shipment.objects.create(
            order=order,
            carrier=Carrier.objects.get(code="ups"),
            shipped_on=datetime.date(2024, 5, 1 + i),
        )
        for line in lines:
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=1)
        TrackingNumber.objects.create(shipment=shipment, number=f"1Z999AA1012345678{i}")
    return order, lines


def test_each_shipment_lists_what_it_took_in_constant_queries(staff_client):
    one, _ = shipped_in(1)
    two, lines = shipped_in(2)
    staff_client.get(reverse("orders:list"))  # warm: session and permissions come from cache
    with CaptureQueriesContext(connection) as single:
        staff_client.get(one.get_absolute_url())
    with CaptureQueriesContext(connection) as double:
        html = staff_client.get(two.get_absolute_url()).content.decode()
    assert len(single) == len(double)
    for line in lines:
        shipped = re.findall(rf"1 × <span class=\"mono\">{re.escape(line.sku)}</span>", html)
        assert len(shipped) == 2, line.sku  # one unit of it in each parcel
    assert "1Z999AA10123456780" in html and "1Z999AA10123456781" in html


def test_each_tracking_number_shows_its_link_its_correction_form_and_any_override(
    staff_client,
):
    order, _ = shipped_in(2)
    overridden = TrackingNumber.objects.filter(shipment__order=order).order_by("id").last()
    overridden.override_reason = "Carrier's new format"
    overridden.save(update_fields=["override_reason"])
    html = staff_client.get(order.get_absolute_url()).content.decode()
    ups = Carrier.objects.get(code="ups")
    for tn in TrackingNumber.objects.filter(shipment__order=order):
        assert f'href="{ups.tracking_url(tn.number)}"' in html
        edit = reverse("shipping:tracking_edit", args=[order.number, tn.pk])
        assert f'action="{edit}"' in html  # each number's correction form
    assert html.count('title="Carrier&#x27;s new format">check overridden</span>') == 1
