from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from shipping.carriers import KNOWN_CARRIERS, ValidationResult
from shipping.models import Carrier, ShippingMethod
from shipping.services import shipping_method_price, tracking_check

pytestmark = pytest.mark.django_db


def courier(**fields) -> Carrier:
    fields = {"name": "Royal Mail", "code": "royal-mail", **fields}
    carrier = Carrier(**fields)
    carrier.full_clean()
    carrier.save()
    return carrier


def method(**fields) -> ShippingMethod:
    return ShippingMethod.objects.create(**{"name": "Standard", "price": Decimal("5.00"), **fields})


def test_the_four_known_carriers_exist_after_migrate_with_their_tracking_pages():
    seeded = {
        c.code: (c.name, c.tracking_url_template, c.is_active, c.is_known)
        for c in Carrier.objects.filter(code__in=KNOWN_CARRIERS)
    }
    assert seeded == {
        code: (known.name, known.tracking_url_template, True, True)
        for code, known in KNOWN_CARRIERS.items()
    }


def test_a_known_carrier_links_to_its_tracking_page():
    ups = Carrier.objects.get(code="ups")
    assert ups.tracking_url("1Z999AA10123456784") == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )


def test_a_known_carrier_checks_the_number():
    ups = Carrier.objects.get(code="ups")
    assert tracking_check(carrier=ups, number="1z999aa10123456784") == ValidationResult(
        True, "1Z999AA10123456784", ""
    )
    result = tracking_check(carrier=ups, number="1Z999AA10123456785")
    assert not result.ok
    assert result.message == (
        "This is not a valid UPS tracking number: the check digit should be 4, not 5."
    )


def test_a_courier_added_by_name_accepts_any_reference():
    royal_mail = courier()
    assert not royal_mail.is_known
    assert tracking_check(carrier=royal_mail, number=" not-a-ups-number 42 ") == (
        ValidationResult(True, "not-a-ups-number 42", "")
    )
    assert tracking_check(carrier=royal_mail, number="1Z999AA10123456785").ok


def test_a_courier_added_by_name_refuses_an_empty_reference_naming_the_courier():
    assert tracking_check(carrier=courier(), number="  ") == ValidationResult(
        False, "", "Enter the tracking number or reference Royal Mail gave you."
    )


def test_a_courier_without_a_template_has_no_link():
    assert courier().tracking_url("AB123") == ""


def test_a_courier_template_links_with_the_number_quoted():
    evri = courier(
        name="Evri", code="evri", tracking_url_template="https://www.evri.com/track/{number}"
    )
    assert evri.tracking_url("H01 ABC") == "https://www.evri.com/track/H01%20ABC"


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("https://www.evri.com/track/", "no_number_placeholder"),
        ("https://www.evri.com/track/{num}", "no_number_placeholder"),
        ("javascript:alert({number})", "invalid_url"),
        ("www.evri.com/track/{number}", "invalid_url"),
    ],
)
def test_model_validation_refuses_a_template_without_number_or_not_a_web_address(template, code):
    with pytest.raises(ValidationError) as refused:
        courier(tracking_url_template=template)
    assert [e.code for e in refused.value.error_dict["tracking_url_template"]] == [code]


def test_the_database_refuses_a_template_without_number():
    with pytest.raises(IntegrityError):
        Carrier.objects.create(
            name="Evri", code="evri", tracking_url_template="https://www.evri.com/track/"
        )


def test_an_admin_may_change_a_known_carriers_template():
    ups = Carrier.objects.get(code="ups")
    ups.tracking_url_template = "https://www.ups.com/track?loc=en_GB&tracknum={number}"
    ups.full_clean()
    ups.save()
    assert ups.tracking_url("1Z999AA10123456784").endswith("loc=en_GB&tracknum=1Z999AA10123456784")


def test_carrier_names_are_unique_whatever_the_case():
    with pytest.raises(ValidationError) as refused:
        courier(name="ups", code="ups-2")
    assert refused.value.messages == ["There is already a carrier with this name."]


def test_flat_price_below_the_free_threshold():
    standard = method(price=Decimal("5.95"), free_from_subtotal=Decimal("50.00"))
    assert shipping_method_price(method=standard, subtotal=Decimal("49.99")) == Decimal("5.95")


def test_free_from_the_threshold_exactly():
    standard = method(price=Decimal("5.95"), free_from_subtotal=Decimal("50.00"))
    price = shipping_method_price(method=standard, subtotal=Decimal("50.00"))
    assert price == Decimal("0.00")
    assert str(price) == "0.00"
    assert shipping_method_price(method=standard, subtotal=Decimal("50.01")) == Decimal("0.00")


def test_the_threshold_compares_decimals_exactly():
    # 0.1 + 0.2 is 0.30000000000000004 in floats; in Decimal it is the threshold exactly.
    cheap = method(price=Decimal("1.00"), free_from_subtotal=Decimal("0.30"))
    subtotal = Decimal("0.10") + Decimal("0.20")
    assert shipping_method_price(method=cheap, subtotal=subtotal) == Decimal("0.00")
    assert shipping_method_price(method=cheap, subtotal=Decimal("0.29")) == Decimal("1.00")


def test_without_a_threshold_the_flat_price_always_applies():
    express = method(name="Express", price=Decimal("19.90"))
    price = shipping_method_price(method=express, subtotal=Decimal("10000.00"))
    assert (price, str(price)) == (Decimal("19.90"), "19.90")


def test_a_free_method_costs_nothing():
    pickup = method(name="Pickup", price=Decimal("0"))
    assert str(shipping_method_price(method=pickup, subtotal=Decimal("3.00"))) == "0.00"


def test_price_refuses_a_float_subtotal():
    with pytest.raises(TypeError):
        shipping_method_price(method=method(), subtotal=49.99)


def test_the_database_refuses_a_negative_price():
    with pytest.raises(IntegrityError):
        method(price=Decimal("-1.00"))


def test_the_database_refuses_a_negative_threshold():
    with pytest.raises(IntegrityError):
        method(free_from_subtotal=Decimal("-0.01"))


def test_model_validation_refuses_fewest_days_above_most_days():
    slow = ShippingMethod(name="Slow", price=Decimal("1.00"), days_min=5, days_max=3)
    with pytest.raises(ValidationError) as refused:
        slow.full_clean()
    assert refused.value.messages == ["The fewest days cannot be more than the most days."]


@pytest.mark.parametrize(
    ("speed", "days_min", "days_max", "shown"),
    [
        ("2-day", 2, 2, "2-day"),
        ("", 3, 5, "3–5 business days"),
        ("", 1, 1, "1 business day"),
        ("", None, 7, "up to 7 business days"),
        ("", 10, None, "10 or more business days"),
        ("", None, None, ""),
    ],
)
def test_transit_time_reads_the_label_or_the_days(speed, days_min, days_max, shown):
    speedy = ShippingMethod(speed=speed, days_min=days_min, days_max=days_max)
    assert speedy.transit_time == shown


def test_methods_list_by_position_then_name():
    ups = Carrier.objects.get(code="ups")
    method(name="Overnight", position=3, carrier=ups)
    method(name="Standard", position=1)
    method(name="Economy", position=1)
    assert list(ShippingMethod.objects.values_list("name", flat=True)) == [
        "Economy",
        "Standard",
        "Overnight",
    ]
