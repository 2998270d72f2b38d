"""Order entry's writes: every step saved on the draft, refusals that change nothing, and
placing exactly (seed 003)."""

from decimal import Decimal

import pytest

from catalog.models import Variant
from entry import placing, services
from entry.models import Draft, DraftLine
from orders.actors import Actor
from orders.models import Order, OrderStatus
from orders.services import order_transition
from payments.services import PaymentInfo
from promotions.models import CodeUse, Promotion

pytestmark = pytest.mark.django_db


def place(draft, clerk, **payment):
    return placing.draft_place(
        draft_id=draft.pk, owner=clerk, payment=placing.Payment(**payment), actor=Actor.of(clerk)
    )


def offline(amount):
    return {
        "choice": Draft.Payment.OFFLINE,
        "info": PaymentInfo(method="check", amount=Decimal(amount), reference="CHK-1"),
    }


def test_contact_without_address_cannot_go_on(shop, clerk):
    draft = services.draft_create(owner=clerk)
    profile = services.draft_contact_create(
        draft_id=draft.pk, owner=clerk, first_name="No", last_name="Address"
    )
    with pytest.raises(services.EntryError, match="has no address"):
        services.draft_contact_confirm(draft_id=draft.pk, owner=clerk)
    assert Draft.objects.get(pk=draft.pk).step == Draft.Step.CONTACT
    services.draft_address_add(
        draft_id=draft.pk, owner=clerk, line1="1 Elm", city="Austin", country="US"
    )
    services.draft_contact_confirm(draft_id=draft.pk, owner=clerk)
    assert profile.addresses.get().is_default_shipping


def test_line_refused_without_variant_or_stock_changes_nothing(shop, clerk, ready_draft):
    before = list(DraftLine.objects.values_list("pk", "quantity"))
    with pytest.raises(services.EntryError, match="variant"):
        services.draft_line_add(draft_id=ready_draft.pk, owner=clerk, variant_id=None, quantity=1)
    with pytest.raises(services.EntryError, match="Only 5 of SHIRT-S in stock"):
        services.draft_line_add(
            draft_id=ready_draft.pk, owner=clerk, variant_id=shop["small"].pk, quantity=4
        )
    assert list(DraftLine.objects.values_list("pk", "quantity")) == before


def test_promotion_adds_its_lines_which_go_with_it(shop, clerk, ready_draft):
    added = services.draft_promotion_add(
        draft_id=ready_draft.pk, owner=clerk, promotion_id=shop["bundle"].pk
    )
    assert added == 1
    line = ready_draft.lines.get(promotion_id=shop["bundle"].pk)
    assert (line.variant_id, line.quantity) == (shop["mug"].pk, 2)
    with pytest.raises(services.EntryError, match="remove the promotion"):
        services.draft_line_remove(draft_id=ready_draft.pk, owner=clerk, line_id=line.pk)
    with pytest.raises(services.EntryError, match="remove the promotion"):
        services.draft_line_edit(
            draft_id=ready_draft.pk,
            owner=clerk,
            line_id=line.pk,
            variant_id=shop["mug"].pk,
            quantity=5,
        )
    services.draft_promotion_remove(
        draft_id=ready_draft.pk, owner=clerk, promotion_id=shop["bundle"].pk
    )
    assert not ready_draft.lines.filter(promotion_id__isnull=False).exists()


def test_refused_code_names_its_reason_and_is_not_kept(shop, clerk, ready_draft):
    with pytest.raises(services.EntryError, match="NOPE"):
        services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="NOPE")
    Promotion.objects.filter(pk=shop["order_code"].pk).update(usage_limit=1, uses=1)
    with pytest.raises(services.EntryError, match="not applied"):
        services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="five")
    assert Draft.objects.get(pk=ready_draft.pk).codes == []


def test_shipping_must_assign_every_unit_and_a_speed(shop, clerk, ready_draft):
    line = ready_draft.lines.get()
    with pytest.raises(services.EntryError, match="1 of 2 assigned"):
        services.draft_shipping_set(
            draft_id=ready_draft.pk,
            owner=clerk,
            allocations=[services.Allocation(line.pk, shop["home"].pk, 1)],
            speeds={shop["home"].pk: shop["standard"].pk},
        )
    with pytest.raises(services.EntryError, match="shipping speed"):
        services.draft_shipping_set(
            draft_id=ready_draft.pk,
            owner=clerk,
            allocations=[services.Allocation(line.pk, shop["home"].pk, 2)],
            speeds={},
        )
    assert ready_draft.destinations.get().shipping_method_id == shop["standard"].pk


def test_placing_unpaid_writes_the_order_exactly_and_deletes_the_draft(shop, clerk, ready_draft):
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="SHIRT10")
    placed = place(ready_draft, clerk)
    order = placed.order
    # 2 × 20.00 = 40.00, 10% off shirts = 4.00; CA tax 10% of 36.00 = 3.60; Standard 5.00.
    assert order.status == OrderStatus.PENDING
    assert order.channel == "back_office"
    assert order.profile_id == shop["profile"].pk
    assert (order.subtotal, order.discount_total, order.shipping_total, order.tax_total) == (
        Decimal("36.00"),
        Decimal("0.00"),
        Decimal("5.00"),
        Decimal("3.60"),
    )
    assert order.total == Decimal("44.60")
    line = order.lines.get()
    assert (line.quantity, line.discount, line.tax, line.destination.position) == (
        2,
        Decimal("4.00"),
        Decimal("3.60"),
        0,
    )
    assert line.destination.shipping_method_name == "Standard"
    assert order.shipping_address["region"] == "CA"
    assert CodeUse.objects.get().order_id == order.pk
    assert not Draft.objects.exists()
    assert Variant.objects.get(pk=shop["small"].pk).stock == 5  # unpaid: nothing booked


def test_placing_paid_offline_ships_in_process(shop, clerk, ready_draft):
    order = place(ready_draft, clerk, **offline("49.00")).order  # 40 + 4 tax + 5 shipping
    assert order.status == OrderStatus.IN_PROCESS
    assert Variant.objects.get(pk=shop["small"].pk).stock == 3


def test_nothing_ships_paid_completes(shop, clerk):
    draft = services.draft_create(owner=clerk)
    services.draft_contact_set(draft_id=draft.pk, owner=clerk, profile_id=shop["profile"].pk)
    services.draft_line_add(draft_id=draft.pk, owner=clerk, variant_id=shop["ebook"].pk, quantity=1)
    assert services.draft_items_confirm(draft_id=draft.pk, owner=clerk) == Draft.Step.REVIEW
    order = place(draft, clerk, **offline("9.99")).order
    assert order.status == OrderStatus.COMPLETE
    assert order.shipping_total == 0 and not order.destinations.exists()


def test_price_changed_since_added_refuses_and_writes_nothing(shop, clerk, ready_draft):
    Variant.objects.filter(pk=shop["small"].pk).update(price=Decimal("22.00"))
    with pytest.raises(services.EntryError, match=r"changed from 20\.00 to 22\.00"):
        place(ready_draft, clerk)
    assert not Order.objects.exists()
    assert Draft.objects.filter(pk=ready_draft.pk).exists()


def test_stock_gone_since_added_refuses(shop, clerk, ready_draft):
    Variant.objects.filter(pk=shop["small"].pk).update(stock=1)
    with pytest.raises(services.EntryError, match="Not enough stock for SHIRT-S"):
        place(ready_draft, clerk, **offline("49.00"))
    assert not Order.objects.exists()


def test_code_used_up_at_placing_writes_nothing(shop, clerk, ready_draft):
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="FIVE")
    Promotion.objects.filter(pk=shop["order_code"].pk).update(usage_limit=1, uses=1)
    with pytest.raises(services.EntryError):
        place(ready_draft, clerk)
    assert not Order.objects.exists() and not CodeUse.objects.exists()
    assert Draft.objects.get(pk=ready_draft.pk).codes == ["FIVE"]


def test_ship_to_two_addresses_with_gift_and_free_shipping(shop, clerk, ready_draft):
    line = ready_draft.lines.get()
    services.draft_shipping_set(
        draft_id=ready_draft.pk,
        owner=clerk,
        allocations=[
            services.Allocation(line.pk, shop["home"].pk, 1),
            services.Allocation(line.pk, shop["other"].pk, 1, is_gift=True),
        ],
        speeds={shop["home"].pk: shop["standard"].pk, shop["other"].pk: shop["express"].pk},
        ship_to_many=True,
    )
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="FIVE")
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="SHIPFREE")
    order = place(ready_draft, clerk).order
    lines = list(order.lines.order_by("destination__position"))
    assert [(ln.quantity, ln.is_gift, ln.destination.address["region"]) for ln in lines] == [
        (1, False, "CA"),
        (1, True, "NY"),
    ]
    assert order.shipping_total == 0
    assert order.subtotal - order.discount_total + order.shipping_total + order.tax_total == (
        order.total
    )
    assert order.discount_total == Decimal("5.00")


def test_cancelling_unpaid_order_gives_code_uses_back(shop, clerk, ready_draft):
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="FIVE")
    order = place(ready_draft, clerk).order
    assert Promotion.objects.get(pk=shop["order_code"].pk).uses == 1
    order_transition(order_id=order.pk, to=OrderStatus.CANCELLED, actor=Actor.of(clerk))
    assert Promotion.objects.get(pk=shop["order_code"].pk).uses == 0


def test_another_users_draft_is_not_theirs(shop, clerk, ready_draft):
    from tests.factories import UserFactory

    other = UserFactory(role="staff")
    with pytest.raises(services.EntryError):
        services.draft_discard(draft_id=ready_draft.pk, owner=other)
    services.draft_discard(draft_id=ready_draft.pk, owner=clerk)
    assert not Draft.objects.exists()


def test_a_product_promotions_code_adds_its_items(shop, clerk, ready_draft):
    Promotion.objects.filter(pk=shop["bundle"].pk).update(code="MUGS")
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="mugs")
    assert ready_draft.lines.filter(promotion_id=shop["bundle"].pk).count() == 1
    assert Draft.objects.get(pk=ready_draft.pk).codes == []  # the lines carry it


def test_editing_a_line_takes_the_variant_and_its_price_now(shop, clerk, ready_draft):
    line = ready_draft.lines.get()
    Variant.objects.filter(pk=shop["large"].pk).update(price=Decimal("24.00"))
    services.draft_line_edit(
        draft_id=ready_draft.pk,
        owner=clerk,
        line_id=line.pk,
        variant_id=shop["large"].pk,
        quantity=3,
    )
    line.refresh_from_db()
    assert (line.variant_id, line.quantity, line.unit_price) == (
        shop["large"].pk,
        3,
        Decimal("24.00"),
    )
    # Where items go is asked again: the shipping step comes back.
    assert not ready_draft.destinations.exists()
    with pytest.raises(services.EntryError, match="Shipping details"):
        place(ready_draft, clerk)


def test_charging_the_card_pays_it_after_placing(shop, clerk, ready_draft):
    from tests.payments.factories import GatewayFactory

    GatewayFactory(kind="test", is_active=True)
    placed = place(ready_draft, clerk, choice=Draft.Payment.CHARGE, card_token="tok_approve")
    assert placed.order.status == OrderStatus.IN_PROCESS
    assert "approved" in placed.message.lower()


def test_a_declined_card_leaves_the_order_pending(shop, clerk, ready_draft):
    from tests.payments.factories import GatewayFactory

    GatewayFactory(kind="test", is_active=True)
    placed = place(ready_draft, clerk, choice=Draft.Payment.CHARGE, card_token="tok_decline")
    assert placed.order.status == OrderStatus.PENDING
    assert "declined" in placed.message


def test_no_gateway_places_it_unpaid_and_says_so(shop, clerk, ready_draft):
    placed = place(ready_draft, clerk, choice=Draft.Payment.CHARGE, card_token="tok_approve")
    assert placed.order.status == OrderStatus.PENDING
    assert "not charged" in placed.message


def test_a_draft_touches_no_stock_code_or_number_until_placed(shop, clerk, ready_draft):
    from django.db import connection

    def next_number():
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value, is_called FROM orders_order_number_seq")
            return cursor.fetchone()

    before = next_number()
    services.draft_code_add(draft_id=ready_draft.pk, owner=clerk, code="FIVE")
    services.draft_promotion_add(
        draft_id=ready_draft.pk, owner=clerk, promotion_id=shop["bundle"].pk
    )
    assert next_number() == before
    assert not Order.objects.exists() and not CodeUse.objects.exists()
    assert Promotion.objects.filter(uses__gt=0).count() == 0
    assert Variant.objects.get(pk=shop["small"].pk).stock == 5
    assert Variant.objects.get(pk=shop["mug"].pk).stock == 100
