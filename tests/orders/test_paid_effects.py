"""What "paid" means, exactly once, and its exact reverse (seed 001's list)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogSettings, DigitalFile, SerialCode
from orders.actors import Actor
from orders.models import DownloadLink, OrderEvent, OrderStatus
from orders.services import OrderError, TransitionRefused, order_delete, order_transition
from tests.factories import OrderLineFactory, ProductFactory, VariantFactory, order_with_lines

ACTOR = Actor.system("Test")
pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def licence(db):
    variant = VariantFactory(
        product=ProductFactory(is_shippable=False, name="Photo editor"),
        stock=0,
        track_stock=False,
        hands_out_serial_codes=True,
    )
    SerialCode.objects.bulk_create(SerialCode(variant=variant, code=f"KEY-{i}") for i in range(5))
    return variant


@pytest.fixture
def ebook(db, media):
    variant = VariantFactory(product=ProductFactory(is_shippable=False, name="Field guide"))
    DigitalFile.objects.create(
        variant=variant, title="Field guide (PDF)", file=ContentFile(b"%PDF-1.4 guide", "guide.pdf")
    )
    return variant


def pay(order):
    return order_transition(
        order_id=order.pk, to=OrderStatus.PAID, actor=ACTOR, payment_recorded=True
    )


def state(*variants):
    rows = []
    for v in variants:
        v.refresh_from_db()
        rows.append((v.stock, v.units_sold))
    return rows


def test_paying_hands_out_codes_and_links_and_rollback_reverses_everything(licence, ebook):
    tee = VariantFactory(stock=7, units_sold=2)
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=licence, quantity=2)
    OrderLineFactory(order=order, variant=ebook, quantity=1)
    OrderLineFactory(order=order, variant=tee, quantity=3)
    before = state(licence, ebook, tee)

    pay(order)

    order.refresh_from_db()
    assert order.paid_at and order.first_paid_at and order.stock_committed
    tee.refresh_from_db()
    assert (tee.stock, tee.units_sold) == (4, 5)
    handed = SerialCode.objects.filter(allocation_reference=order.reference)
    assert handed.count() == 2 and all(c.allocated_at for c in handed)
    link = DownloadLink.objects.get(line__order=order)
    assert link.is_live and link.digital_file.variant == ebook

    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)

    assert state(licence, ebook, tee) == before
    # The codes stay with the order, retired: the buyer may have them.
    assert set(handed.values_list("status", flat=True)) == {SerialCode.Status.RETIRED}
    assert SerialCode.objects.filter(status=SerialCode.Status.AVAILABLE).count() == 3
    link.refresh_from_db()
    assert link.revoked_at is not None and not link.is_live
    order.refresh_from_db()
    assert order.paid_at is None and order.first_paid_at is not None
    reversal = order.events.filter(kind=OrderEvent.Kind.STOCK).last()
    assert reversal.message == (
        "Stock and sales restored, 2 serial codes retired and 1 download link revoked."
    )


def test_paying_twice_is_refused_and_hands_out_nothing_more(licence):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=licence, quantity=1)
    pay(order)
    with pytest.raises(TransitionRefused):
        pay(order)
    assert SerialCode.objects.filter(allocation_reference=order.reference).count() == 1


def test_an_empty_code_pool_refuses_payment_and_changes_nothing(licence):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=licence, quantity=6)
    with pytest.raises(TransitionRefused, match="Not enough serial codes"):
        pay(order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not order.stock_committed
    assert not SerialCode.objects.filter(allocated_at__isnull=False).exists()
    assert not DownloadLink.objects.exists()


def test_download_link_serves_the_file_without_login(client, ebook):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=ebook)
    pay(order)
    link = DownloadLink.objects.get()
    response = client.get(link.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    assert "attachment" in response["Content-Disposition"]
    link.refresh_from_db()
    assert link.downloads == 1


@pytest.mark.parametrize("spoil", ["forged", "revoked", "expired", "unknown"])
def test_bad_download_links_all_get_the_same_404(client, ebook, spoil):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=ebook)
    pay(order)
    link = DownloadLink.objects.get()
    url = link.get_absolute_url()
    if spoil == "forged":
        url = url[:-3] + ("xyz" if not url.endswith("xyz/") else "abc") + "/"
    elif spoil == "revoked":
        order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)
    elif spoil == "expired":
        DownloadLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        DownloadLink.objects.all().delete()
    response = client.get(url)
    assert response.status_code == 404


def test_a_never_paid_order_can_be_deleted():
    order = order_with_lines(lines=2)
    number = order_delete(order_id=order.pk, actor=ACTOR)
    assert number == order.number
    assert not type(order).objects.filter(pk=order.pk).exists()


def test_an_order_that_was_ever_paid_cannot_be_deleted():
    order = order_with_lines(lines=1)
    pay(order)
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)
    with pytest.raises(OrderError, match="paid once"):
        order_delete(order_id=order.pk, actor=ACTOR)
    assert type(order).objects.filter(pk=order.pk).exists()


def test_an_order_with_sent_items_cannot_be_deleted():
    order = order_with_lines(lines=0, status=OrderStatus.CANCELLED)
    OrderLineFactory(order=order, quantity=2, quantity_fulfilled=1)
    with pytest.raises(OrderError, match="were sent"):
        order_delete(order_id=order.pk, actor=ACTOR)


def test_download_url_is_reversible():
    assert reverse("orders:download", kwargs={"signed_token": "abc:def:ghi"})


def test_with_backorders_allowed_a_short_order_is_paid_and_rollback_is_exact():
    CatalogSettings.objects.update_or_create(pk=1, defaults={"allow_backorders": True})
    tee = VariantFactory(stock=1, units_sold=4)
    order = order_with_lines(lines=0)
    line = OrderLineFactory(order=order, variant=tee, quantity=3)

    pay(order)

    tee.refresh_from_db()
    line.refresh_from_db()
    assert (tee.stock, tee.backordered, tee.units_sold) == (0, 2, 7)
    assert line.quantity_backordered == 2
    assert "2 units on backorder" in order.events.filter(kind=OrderEvent.Kind.STOCK).get().message

    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)

    tee.refresh_from_db()
    line.refresh_from_db()
    assert (tee.stock, tee.backordered, tee.units_sold) == (1, 0, 4)
    assert line.quantity_backordered == 0


def test_without_backorders_a_short_order_is_refused_with_a_clear_message():
    tee = VariantFactory(stock=1, sku="TEE-M")
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=tee, quantity=3)
    with pytest.raises(
        TransitionRefused, match="Not enough stock for TEE-M: 3 requested, 1 on hand"
    ):
        pay(order)


def one_licence_order(licence):
    order = order_with_lines(lines=0)
    OrderLineFactory(order=order, variant=licence, quantity=1)
    return order


def codes_of(order) -> list[tuple[str, str]]:
    return list(
        SerialCode.objects.filter(allocation_reference=order.reference)
        .order_by("id")
        .values_list("code", "status")
    )


def test_a_rolled_back_code_is_retired_and_never_reaches_a_second_buyer(licence):
    first, second = one_licence_order(licence), one_licence_order(licence)
    pay(first)
    order_transition(order_id=first.pk, to=OrderStatus.PENDING, actor=ACTOR)
    pay(second)

    assert codes_of(first) == [("KEY-0", SerialCode.Status.RETIRED)]
    assert codes_of(second) == [("KEY-1", SerialCode.Status.ASSIGNED)]
    retired = SerialCode.objects.get(code="KEY-0")
    assert retired.retired_at is not None and retired.allocated_at is not None
    reversal = first.events.filter(kind=OrderEvent.Kind.STOCK).last()
    assert reversal.message == "Stock and sales restored and 1 serial code retired."


def test_repaying_the_same_rolled_back_order_hands_out_a_fresh_code(licence):
    order = one_licence_order(licence)
    pay(order)
    order_transition(order_id=order.pk, to=OrderStatus.PENDING, actor=ACTOR)
    pay(order)

    assert codes_of(order) == [
        ("KEY-0", SerialCode.Status.RETIRED),
        ("KEY-1", SerialCode.Status.ASSIGNED),
    ]
