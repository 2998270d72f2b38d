"""Placements racing for the last use of a code or the last units of stock, on real threads
against Postgres: exactly the right number win, and the losers write nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Variant
from entry import placing, services
from entry.models import Draft
from orders.actors import Actor
from orders.models import Order
from payments.models import Payment
from payments.services import PaymentInfo
from promotions.models import CodeUse, Promotion
from tests.entry.factories import entry_shop
from tests.factories import UserFactory, VariantFactory

RACERS = 20


def _race(drafts, clerk, payment):
    barrier = threading.Barrier(len(drafts))
    results, lock = [], threading.Lock()

    def run(draft_id):
        try:
            barrier.wait()
            placing.draft_place(
                draft_id=draft_id, owner=clerk, payment=payment(draft_id), actor=Actor.of(clerk)
            )
            outcome = "placed"
        except services.EntryError as exc:
            outcome = str(exc)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _draft(shop, clerk, variant, codes=()) -> int:
    draft = services.draft_create(owner=clerk)
    services.draft_contact_set(draft_id=draft.pk, owner=clerk, profile_id=shop["profile"].pk)
    line = services.draft_line_add(
        draft_id=draft.pk, owner=clerk, variant_id=variant.pk, quantity=1
    )
    services.draft_shipping_set(
        draft_id=draft.pk,
        owner=clerk,
        allocations=[services.Allocation(line.pk, shop["home"].pk, 1)],
        speeds={shop["home"].pk: shop["standard"].pk},
    )
    for code in codes:
        services.draft_code_add(draft_id=draft.pk, owner=clerk, code=code)
    return draft.pk


@pytest.mark.django_db(transaction=True)
def test_code_with_one_use_left_is_used_once():
    shop, clerk = entry_shop(), UserFactory(role="staff")
    Promotion.objects.filter(pk=shop["order_code"].pk).update(usage_limit=1)
    # A variant each: nothing but the code is shared, so its guarded UPDATE decides.
    drafts = [_draft(shop, clerk, VariantFactory(stock=10), codes=["FIVE"]) for _ in range(RACERS)]

    results = _race(drafts, clerk, lambda _: placing.Payment())

    assert results.count("placed") == 1
    assert all("used up" in r for r in results if r != "placed"), results
    assert Promotion.objects.get(pk=shop["order_code"].pk).uses == 1
    order = Order.objects.get()
    assert list(CodeUse.objects.values_list("order_id", flat=True)) == [order.pk]
    assert Draft.objects.count() == RACERS - 1


@pytest.mark.django_db(transaction=True)
def test_paid_placements_never_oversell():
    shop, clerk = entry_shop(), UserFactory(role="staff")
    shirt = shop["small"]  # 5 in stock, 20.00; CA tax 10%, Standard 5.00: 27.00 each
    drafts = [_draft(shop, clerk, shirt) for _ in range(RACERS)]

    def offline(_):
        info = PaymentInfo(method="check", amount=Decimal("27.00"), reference="CHK")
        return placing.Payment(choice=Draft.Payment.OFFLINE, info=info)

    results = _race(drafts, clerk, offline)

    assert results.count("placed") == 5
    assert all("stock" in r for r in results if r != "placed"), results
    shirt = Variant.objects.get(pk=shirt.pk)
    assert (shirt.stock, shirt.units_sold) == (0, 5)
    assert Order.objects.count() == Payment.objects.count() == 5
    assert Draft.objects.count() == RACERS - 5
